"""`quiesce defaults [--json|--markdown]`: every timing and cost default with its source.
docs/defaults.md is the Markdown form byte for byte; every row has a source (a document, or
"assumed"); the JSON parses, each key once; every key is one a scenario accepts; the strategies'
rows are the registry's. And bench/calibrate --quick (run only when QUIESCE_CALIBRATE=1: ctest's
bench_calibrate_quick) exits 0 and prints every row."""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
KEYS = ["key", "value", "unit", "source", "source_value", "note"]
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def quiesce(*args):
    return subprocess.run([QUIESCE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)


@pytest.fixture(scope="module")
def table():
    p = quiesce("defaults", "--json")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return json.loads(p.stdout)["defaults"]


def test_docs_defaults_md_is_the_markdown_output():
    p = quiesce("defaults", "--markdown")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    with open(os.path.join(ROOT, "docs", "defaults.md"), encoding="utf-8") as f:
        doc = f.read()
    assert doc == p.stdout, "docs/defaults.md is stale: regenerate it with `build/quiesce defaults --markdown > docs/defaults.md`"


def test_json_rows_each_key_once_with_a_source(table):
    assert len(table) > 50
    keys = [r["key"] for r in table]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
    for r in table:
        assert list(r) == KEYS, r
        assert all(isinstance(r[k], str) for k in KEYS), r
        assert r["value"] and r["source"].strip(), r
        assert r["source_value"] == "" or NUMBER.fullmatch(r["source_value"]), r
        assert r["value"] in ("true", "false") or NUMBER.fullmatch(r["value"]), r
    # A source is a document or the word "assumed", never both.
    assumed = [r for r in table if r["source"].startswith("assumed")]
    assert assumed and len(assumed) < len(table)
    assert all(r["source_value"] == "" for r in assumed)
    for r in table:
        assert r["source"].startswith("assumed") or "assumed" not in r["source"], r


def test_markdown_counts_and_text_form(table):
    md = quiesce("defaults", "--markdown").stdout
    n_assumed = sum(r["source"].startswith("assumed") for r in table)
    assert f"{len(table)} defaults, {n_assumed} of them assumed." in md
    assert md.count("\n| `") == len(table)
    text = quiesce("defaults").stdout.splitlines()
    assert len(text) == len(table)
    for line, r in zip(text, table):
        assert line.split()[:2] == [r["key"], r["value"]], line


def test_same_output_every_time():
    assert quiesce("defaults", "--json").stdout == quiesce("defaults", "--json").stdout


def test_every_key_is_a_scenario_key(table):
    """Setting every row's key to its default is accepted by the scenario reader (which rejects unknown keys)."""
    sets = []
    for r in table:
        if r["key"].startswith("fixed:"):  # a cost the code fixes, not a setting
            continue
        if r["key"].startswith("policies.NAME."):  # needs a policy: tests/cli/test_policies.py sets them
            continue
        key = r["key"].replace("implementations.NAME.", "implementations.HashTable.")
        sets += ["--set", f"{key}={r['value']}"]
    scenario = os.path.join(ROOT, "scenarios", "quickstart.yaml")
    p = quiesce("validate", scenario, *sets)
    assert p.returncode == 0, p.stderr
    bad = quiesce("validate", scenario, "--set", "machine.core.no_such_latency=1")
    assert bad.returncode == 2, bad.stderr


def test_strategy_rows_are_the_registry(table):
    listed = json.loads(quiesce("strategies", "--json").stdout)["strategies"]
    want = {f"hotswap.strategies.{s['name']}.{p['key']}": (p["default"], p["source"])
            for s in listed if not s["test_only"] for p in s["params"]}
    got = {r["key"]: r for r in table if r["key"].startswith("hotswap.strategies.")}
    assert set(got) == set(want)
    for key, (default, source) in want.items():
        assert float(got[key]["value"]) == float(default) and got[key]["source"] == source, key


def test_bad_options_exit_2():
    assert quiesce("defaults", "--json", "--markdown").returncode == 2
    assert quiesce("defaults", "--no-such-flag").returncode == 2


CALIBRATE_ROWS = [
    "L1D hit, load-to-use", "L2 hit, load-to-use", "memory, load-to-use", "atomic increment, line this CPU holds",
    "atomic increment, line another CPU just wrote", "sync, nothing pending", "lwsync, nothing pending",
    "isync, nothing pending", "context switch", "thread creation",
    "DREF call (nested, through the translation tables)", "IPI round trip (stop request to acknowledged)"]


@pytest.mark.skipif(os.environ.get("QUIESCE_CALIBRATE") != "1", reason="ctest bench_calibrate_quick runs it")
def test_calibrate_quick_prints_every_row(tmp_path):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "calibrate"), "--quick", "--quiesce", QUIESCE,
                        "--build", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    for what in CALIBRATE_ROWS:
        row = [l for l in lines if l.startswith(what + "  ")]
        assert len(row) == 1, (what, p.stdout)
        measured = row[0][len(what):].split()[0]
        assert NUMBER.fullmatch(measured) and float(measured) > 0, row
    assert f"{len(CALIBRATE_ROWS)} rows" in lines[-1]
