"""`quiesce strategies [--json]`: the registry of quiescence strategies, the one list every tool
reads. The JSON lists each strategy once, in registry order, with its phases and parameters (each
default within its range); the text names every strategy and parameter; the output is the same
from run to run; a bad option exits 2. And no tool, analysis module or test keeps its own list of
the strategies' names (the repository is searched for one)."""
import json
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))

STRATEGY_KEYS = ["name", "summary", "safe", "safety", "fast_path", "waits_for", "phases", "constraints", "test_only",
                 "stops_world", "joins_patches", "in_patch", "reclaim", "reclaim_rule", "params"]
PARAM_KEYS = ["key", "default", "min", "max", "unit", "integer", "pow2", "meaning", "source"]
CONSTRAINTS = {"shared_root", "exclusive", "no_updates", "by_reference", "same_interface", "static_instances"}


def quiesce(*args):
    return subprocess.run([QUIESCE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)


@pytest.fixture(scope="module")
def listing():
    p = quiesce("strategies", "--json")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    return json.loads(p.stdout)["strategies"]


def test_json_lists_each_strategy_once_with_its_phases(listing):
    names = [s["name"] for s in listing]
    assert names and len(names) == len(set(names)), names
    for s in listing:
        assert list(s) == STRATEGY_KEYS, s["name"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*", s["name"]), s["name"]
        assert s["phases"] and all(isinstance(p, str) and p for p in s["phases"]), s["name"]
        assert len(set(s["phases"])) == len(s["phases"]), s["name"]
        for k in ("summary", "safety", "fast_path", "waits_for"):
            assert isinstance(s[k], str) and s[k], (s["name"], k)
        assert isinstance(s["safe"], bool) and isinstance(s["test_only"], bool)
        assert set(s["constraints"]) <= CONSTRAINTS, s["name"]
    # The shipped binary: at least one strategy that claims quiescence and one the oracle must catch.
    shipped = [s for s in listing if not s["test_only"]]
    assert any(s["safe"] for s in shipped) and any(not s["safe"] for s in shipped)


def test_every_param_default_is_within_its_range(listing):
    for s in listing:
        keys = [p["key"] for p in s["params"]]
        assert len(keys) == len(set(keys)), s["name"]
        for p in s["params"]:
            where = f"{s['name']}.{p['key']}"
            assert list(p) == PARAM_KEYS, where
            lo = float("-inf") if p["min"] is None else p["min"]
            hi = float("inf") if p["max"] is None else p["max"]
            assert isinstance(p["default"], (int, float)) and not isinstance(p["default"], bool), where
            assert lo <= p["default"] <= hi, where
            if p["integer"]:
                for v in (p["default"], p["min"], p["max"]):
                    assert v is None or (isinstance(v, int) and not isinstance(v, bool)), (where, v)
            if p["pow2"]:
                d = p["default"]
                assert d >= 1 and int(d) == d and (int(d) & (int(d) - 1)) == 0, where
            assert p["meaning"] and p["source"], where


def test_text_names_every_strategy_and_param(listing):
    p = quiesce("strategies")
    assert p.returncode == 0 and p.stderr == ""
    blocks = p.stdout.rstrip("\n").split("\n\n")  # one block per strategy, in registry order
    assert len(blocks) == len(listing)
    for block, s in zip(blocks, listing):
        head = block.splitlines()[0]
        assert re.match(rf"{re.escape(s['name'])}( \(test only\))?: ({'safe' if s['safe'] else 'UNSAFE'})\b", head), head
        assert s["summary"] in block
        assert ", ".join(s["phases"]) in block
        for par in s["params"]:
            assert re.search(rf"^\s+{re.escape(par['key'])}\s", block, re.M), (s["name"], par["key"])


def test_output_is_the_same_every_time():
    for args in (["strategies", "--json"], ["strategies"]):
        a, b = quiesce(*args), quiesce(*args)
        assert a.returncode == b.returncode == 0
        assert a.stdout == b.stdout, args


@pytest.mark.parametrize("args", [["strategies", "--bogus"], ["strategies", "--json", "extra"], ["strategie"]])
def test_a_bad_option_exits_2(args):
    p = quiesce(*args)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert p.stdout == ""
    assert p.stderr.strip(), args


# --- no hand-kept list of the strategies ------------------------------------------------------------

# Files that may name every strategy in one list, and why.
ALLOWED = {
    "tools/same-results": "its fallback for an old binary, which cannot list its strategies",
}
SEARCHED = ("bench/", "tools/", "analysis/", "tests/")
# An innermost bracketed group: [..], {..} or (..) with no bracket inside.
GROUP = re.compile(r"\[[^\[\]{}()]*\]|\{[^\[\]{}()]*\}|\([^\[\]{}()]*\)")
WORD = re.compile(r"[A-Za-z0-9_]+")


def hand_lists(text, names_sets):
    """The bracketed groups of `text` that hold every name of one of `names_sets`."""
    found = []
    for m in GROUP.finditer(text):
        words = set(WORD.findall(m.group()))
        if any(names <= words for names in names_sets):
            found.append(m.group()[:120].replace("\n", " "))
    return found


def test_the_search_finds_a_hand_kept_list():
    names = {"alpha_one", "beta", "gamma"}
    assert hand_lists('X = ["alpha_one", "beta",\n     "gamma"]', [names])
    assert hand_lists("const char* k[] = {\"gamma\", \"beta\", \"alpha_one\"};", [names])
    assert hand_lists("strategies: [alpha_one, beta, gamma]", [names])
    assert not hand_lists('X = ["alpha_one", "beta"]\nY = ["gamma"]', [names])
    assert not hand_lists("known: alpha_one, beta, gamma", [names])  # a message, not a list


def test_no_tracked_file_keeps_its_own_list_of_the_strategies(listing):
    if not shutil.which("git") or not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    shipped = [s for s in listing if not s["test_only"]]
    every = {s["name"] for s in shipped}
    safe = {s["name"] for s in shipped if s["safe"]}
    names_sets = [every] + ([safe] if len(safe) >= 3 else [])  # all of them, or all the safe ones
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--", *SEARCHED], stdout=subprocess.PIPE,
                           check=True).stdout.decode().split("\0")
    offenders = {}
    for f in files:
        if not f or f.endswith((".md", ".ipynb")) or f.startswith("analysis/notebooks/") or f in ALLOWED:
            continue
        try:
            with open(os.path.join(ROOT, f), encoding="utf-8") as fh:
                text = fh.read()
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        found = hand_lists(text, names_sets)
        if found:
            offenders[f] = found
    assert not offenders, ("hand-kept lists of the strategies (read `quiesce strategies --json` instead): "
                           + json.dumps(offenders, indent=1))


def test_scenarios_readme_has_the_generated_tables():
    """scenarios/README.md's strategy section is `quiesce strategies --markdown`, byte for byte."""
    p = quiesce("strategies", "--markdown")
    assert p.returncode == 0, p.stderr
    with open(os.path.join(ROOT, "scenarios", "README.md")) as f:
        text = f.read()
    begin = text.index("<!-- strategies:begin")
    begin = text.index("\n", begin) + 1
    end = text.index("<!-- strategies:end -->")
    assert text[begin:end] == p.stdout, ("scenarios/README.md is out of date: replace the part between the "
                                         "strategies:begin and strategies:end marks with `quiesce strategies --markdown`")
    for s in json.loads(quiesce("strategies", "--json").stdout)["strategies"]:
        if not s["test_only"]:
            assert f"| `{s['name']}` |" in p.stdout
            for param in s["params"]:
                assert f"| `{param['key']}` |" in p.stdout
