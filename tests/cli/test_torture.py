"""tools/torture and its regressions: a short torture run passes every check
(0 safety violations for the safe strategies, every call completed exactly
once, state preserved, every swap completed or reported) and flags
counter_threshold whenever it ran with calls in flight; the scenarios it
once failed on (tests/torture) stay fixed; the exactly-once audit can fail."""
import json
import os
import subprocess
import importlib.util
from importlib.machinery import SourceFileLoader

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TORTURE = os.path.join(ROOT, "tools", "torture")
RUNS = int(os.environ.get("TORTURE_RUNS", "100"))
_spec = importlib.util.spec_from_loader("torture", SourceFileLoader("torture", TORTURE))
torture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(torture)


def run(path, tmp_path):
    p = subprocess.run([QUIESCE, "run", str(path), "-q", "-o", str(tmp_path / "out")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "out" / "summary.json") as f:
        return json.load(f)


def test_short_torture(tmp_path):
    report = tmp_path / "report.json"
    p = subprocess.run([TORTURE, "--runs", str(RUNS), "--jobs", "2", "--seed", "7", "--quiesce", QUIESCE,
                        "--out", str(report), "--keep", str(tmp_path / "failed")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(report.read_text())
    assert r["runs"] == RUNS and r["failed_runs"] == 0
    assert set(r["swaps_by_strategy"]) >= set(torture.SAFE) | {"counter_threshold"}
    ct = r["counter_threshold"]
    assert ct["runs"] == RUNS // 5 and ct["with_calls_in_flight"] > 0
    assert ct["flagged"] >= 0.95 * ct["with_calls_in_flight"]


def test_scenarios_are_reproducible():
    assert torture.scenario(123, True) == torture.scenario(123, True)
    assert torture.scenario(123, False) != torture.scenario(124, False)


def test_no_arrival_after_stop(tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", "arrivals-after-stop.yaml"), tmp_path)
    assert s["simulated"]["calls"] == 0
    assert s["safety"]["calls_audit"] == [{"object": "c", "served": 0, "counted": 0}]


def test_the_audit_finds_lost_calls(tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", "threshold-lost-calls.yaml"), tmp_path)
    ctr = [a for a in s["safety"]["calls_audit"] if a["object"] == "ctr"]
    assert len(ctr) == 1 and ctr[0]["counted"] < ctr[0]["served"]
    assert any("calls lost or served twice" in d["what"] for d in s["safety"]["details"])
    others = [a for a in s["safety"]["calls_audit"] if a["object"] != "ctr"]
    assert others and all(a["counted"] == a["served"] for a in others)
    swap = next(w for w in s["swaps"] if w["strategy"] == "counter_threshold")
    assert swap["violations"] == s["safety"]["violations"] >= 2


def test_update_during_swap_keeps_state(tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", "update-during-swap.yaml"), tmp_path)
    assert [w["object"] for w in s["swaps"]].count("svca[1]") == 3 and all(w["completed"] for w in s["swaps"])
    assert s["updates"][0]["completed"]
    audit = {a["object"]: a for a in s["safety"]["calls_audit"]}
    assert set(audit) == {"log", "svca[0]", "svca[1]", "svcb", "ctr"}
    assert all(a["counted"] == a["served"] > 0 for o, a in audit.items() if o != "ctr")
    assert all(w["violations"] == 0 for w in s["swaps"] if w["strategy"] != "counter_threshold")


@pytest.mark.parametrize("name", ["swap-after-unused-swap.yaml", "thinking-daemon-at-end.yaml",
                                  "deadlock-race.yaml"])
def test_every_call_counted_once(name, tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", name), tmp_path)
    assert all(w["completed"] for w in s["swaps"])
    assert s["safety"]["violations"] == 0 and "calls_audit_skipped" not in s["safety"]
    assert s["safety"]["calls_audit"] and all(a["counted"] == a["served"] for a in s["safety"]["calls_audit"])
