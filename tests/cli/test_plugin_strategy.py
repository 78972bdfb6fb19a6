"""A quiescence strategy is one file and one registration line. tests/strategies/null_strategy.cpp
defines "null_swap" (unsafe, test-only: it waits delay_us and swaps with no quiescence at all)
and registers it with one StrategyRegistrar line; the binary quiesce_test_strategies is `quiesce`
plus every tests/strategies/*.cpp (a glob). Through that binary alone, every tool knows it:
`strategies --json` lists it, the scenario reader checks its parameter, `run` records its phases
and the safety oracle flags it, tools/torture rotates its extra unsafe swap over it, and
bench/compare measures it when named. And no file under sim/, bench/, tools/, analysis/,
scenarios/ names it. (Not plain "null": YAML reads `strategy: null` as no value.)"""
import csv
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TEST_BIN = os.path.abspath(os.environ.get("QUIESCE_TEST_STRATEGIES",
                                          os.path.join(ROOT, "build", "quiesce_test_strategies")))
NAME = "null_swap"
SOURCE = "tests/strategies/null_strategy.cpp"
BASE = os.path.join(ROOT, "scenarios", "compare", "base.yaml")
USE = ["--set", f"events[0].strategy={NAME}", "--set", f"hotswap.strategies.{NAME}.delay_us=3"]
# Methods 50 times longer than base.yaml's: every CPU is nearly always inside the object, so the swap
# always finds calls in flight (seeds 1..10 all flagged, 1..3 violations each).
IN_FLIGHT = ["--set", "implementations.ObjV1.methods.get.instructions=2000",
             "--set", "implementations.ObjV1.methods.peek.instructions=2000", "--set", "run.seed=1"]


def run(binary, *args, timeout=120):
    return subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def listing(binary):
    p = run(binary, "strategies", "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["strategies"]


def test_the_test_binary_lists_it_and_quiesce_does_not():
    mine = {s["name"]: s for s in listing(TEST_BIN)}
    s = mine[NAME]
    assert s["safe"] is False and s["test_only"] is True
    assert s["phases"] == ["pause", "transfer", "complete"]
    assert [p["key"] for p in s["params"]] == ["delay_us"]
    p = s["params"][0]
    assert (p["default"], p["min"], p["max"], p["unit"], p["integer"], p["source"]) == (1, 0, 1e6, "us", False,
                                                                                        "assumed")
    shipped = listing(QUIESCE)
    assert NAME not in [x["name"] for x in shipped]
    # Otherwise the same registry: the shipped strategies, in the same order, then the tests' own.
    assert [x["name"] for x in shipped] == [n for n in mine if not mine[n]["test_only"]]
    p = run(QUIESCE, "validate", BASE, *USE)
    assert p.returncode == 2 and f"unknown strategy '{NAME}'" in p.stderr, p.stderr


def test_validate_checks_its_parameter():
    p = run(TEST_BIN, "validate", BASE, *USE)
    assert p.returncode == 0, p.stderr
    place = f"hotswap.strategies.{NAME}"
    p = run(TEST_BIN, "validate", BASE, *USE, "--set", f"{place}.delay_us=2e6")
    assert p.returncode == 2, p.stderr
    assert f"{place}.delay_us: expected a number 0..1000000" in p.stderr, p.stderr
    p = run(TEST_BIN, "validate", BASE, *USE, "--set", f"{place}.bogus=1")
    assert p.returncode == 2, p.stderr
    assert f"{place}.bogus: unknown key; known keys: delay_us" in p.stderr, p.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same scenario and seed run twice."""
    outs = []
    for i in range(2):
        out = tmp_path_factory.mktemp(f"run{i}") / "out"
        p = run(TEST_BIN, "run", BASE, *USE, *IN_FLIGHT, "-q", "-o", str(out))
        assert p.returncode == 0, p.stderr
        outs.append(out)
    return outs


def test_run_records_its_phases_and_the_oracle_flags_it(runs):
    out = runs[0]
    summary = json.loads((out / "summary.json").read_text())
    [swap] = summary["swaps"]
    assert swap["strategy"] == NAME and swap["completed"], swap
    assert list(swap["cpus"][0]["phases"]) == ["pause", "transfer", "complete"], swap["cpus"][0]
    with open(out / "phases.csv", newline="") as f:
        assert [r["phase"] for r in csv.DictReader(f)] == ["pause", "transfer", "complete"]
    # No quiescence: the calls in flight at the transfer are the oracle's violations.
    assert swap["details"]["calls_in_flight"] > 0, swap
    assert swap["violations"] > 0 and summary["safety"]["violations"] == swap["violations"], summary["safety"]
    assert all("after its state was handed over" in d["what"] for d in summary["safety"]["details"])
    # The pause: at least delay_us = 3 us (its thread then waits for CPU 0, busy with long calls).
    cycles_per_us = summary["simulated"]["cycles"] / summary["simulated"]["us"]
    assert swap["cpus"][0]["phases"]["pause"]["cycles"] >= 3 * cycles_per_us, swap["cpus"][0]


def test_run_is_deterministic(runs):
    a, b = runs
    for name in ("summary.json", "phases.csv", "swaps.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_torture_exercises_it(tmp_path):
    # With --unsafe NAME every run swaps an extra object with it (by default every fifth run, rotating
    # over every unsafe strategy the binary lists, the tests' broken twins too).
    report = tmp_path / "torture.json"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "torture"), "--quiesce", TEST_BIN, "--runs", "10",
                        "--seed", "1", "--jobs", "2", "--unsafe", NAME, "--out", str(report)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(report.read_text())
    assert r["failed_runs"] == 0 and NAME in r["strategies"]
    assert r["swaps_by_strategy"][NAME] == 10, r["swaps_by_strategy"]
    u = r["unsafe"][NAME]
    assert u["runs"] == u["completed"] == 10 and u["reports_calls_in_flight"], u
    assert u["with_calls_in_flight"] >= 1 and u["flagged"] == u["with_calls_in_flight"], u
    assert u["flagged_any"] >= u["flagged"], u


def compare(tmp_path, *args):
    out = tmp_path / "compare.csv"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare"), "--quick", "--quiesce", TEST_BIN,
                        "--jobs", "2", "--out", str(out), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    with open(out, newline="") as f:
        return p.stdout, list(csv.DictReader(f))


def test_compare_measures_it_when_named(tmp_path):
    # bench/compare leaves test-only strategies out unless --strategies names them.
    text, rows = compare(tmp_path, "--strategies", f"{NAME},k42_generation")
    assert {r["strategy"] for r in rows} == {NAME, "k42_generation"}
    assert any(line.startswith(NAME) for line in text.splitlines()), text
    mine = {(r["metric"], r["param"]): r["value"] for r in rows if r["strategy"] == NAME}
    assert all(mine[("completed", p)] == "1" for m, p in mine if m == "completed"), mine
    assert sum(float(v) for (m, _), v in mine.items() if m == "violations") > 0, mine
    text, rows = compare(tmp_path)
    assert rows and NAME not in {r["strategy"] for r in rows} and NAME not in text


def tracked(*paths):
    p = subprocess.run(["git", "-C", ROOT, "ls-files", "--", *paths], stdout=subprocess.PIPE, text=True, check=True)
    return p.stdout.split()


def test_no_other_file_names_it():
    # The files this strategy needed: tests/strategies/null_strategy.cpp (the class, its StrategyInfo,
    # one StrategyRegistrar line). tests/CMakeLists.txt's glob over tests/strategies/*.cpp is generic
    # (it names no strategy); this test is the only other file that does.
    files = tracked("sim", "bench", "tools", "analysis", "scenarios", "tests/CMakeLists.txt")
    assert len(files) > 100
    named = []
    for path in files:
        try:
            with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
                text = f.read()
        except (FileNotFoundError, IsADirectoryError):
            continue
        if "null_strategy" in text or NAME in text:
            named.append(path)
    assert named == [], f"only {SOURCE} (and this test) may name the strategy; also named in {named}"
    with open(os.path.join(ROOT, "tests", "CMakeLists.txt")) as f:
        assert "CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/strategies/*.cpp" in f.read()
    with open(os.path.join(ROOT, SOURCE)) as f:
        assert f.read().count("StrategyRegistrar") == 1
