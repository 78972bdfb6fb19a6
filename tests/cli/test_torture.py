"""tools/torture and its regressions: a short torture run passes every check
(0 safety violations for the safe strategies, every call completed exactly
once, state preserved, every swap completed or reported), uses every strategy
the binary lists, and flags each unsafe one (counter_threshold) whenever it
ran with calls in flight; the scenarios it once failed on (tests/torture) stay
fixed; the exactly-once audit can fail."""
import json
import os
import subprocess
import importlib.util
from importlib.machinery import SourceFileLoader

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TEST_BIN = os.path.abspath(os.environ.get("QUIESCE_TEST_STRATEGIES",
                                          os.path.join(ROOT, "build", "quiesce_test_strategies")))
TORTURE = os.path.join(ROOT, "tools", "torture")
RUNS = int(os.environ.get("TORTURE_RUNS", "100"))
_spec = importlib.util.spec_from_loader("torture", SourceFileLoader("torture", TORTURE))
torture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(torture)


@pytest.fixture(scope="module")
def listed():
    return torture.list_strategies(QUIESCE)


def run(path, tmp_path, *args):
    p = subprocess.run([QUIESCE, "run", str(path), "-q", "-o", str(tmp_path / "out"), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "out" / "summary.json") as f:
        return json.load(f)


def test_torture_with_policies(tmp_path, listed):
    """--policies: autonomic policies in about half the runs (their own draw: the rest of each scenario is the
    one drawn without), their swaps within every constraint the reader enforces (no run refused), some of them
    acting, and every check still passes: no violation of a safe strategy, every call exactly once."""
    report = tmp_path / "report.json"
    p = subprocess.run([TORTURE, "--runs", str(RUNS), "--jobs", "2", "--seed", "9", "--quiesce", QUIESCE, "--policies",
                        "--scheduler", "mixed", "--out", str(report), "--keep", str(tmp_path / "failed")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(report.read_text())
    assert r["failed_runs"] == 0 and r["policies"] > 0 and r["decisions"] > 0, r
    for seed in (9_000_000, 9_000_001, 9_000_002, 9_000_003):
        with_policies = torture.scenario(seed, listed, policies=True)
        without = torture.scenario(seed, listed)
        with_policies.pop("policies", None)
        assert with_policies == without, seed
    assert any("policies" in torture.scenario(s, listed, policies=True) for s in range(9_000_000, 9_000_010))


@pytest.mark.parametrize("scheduler", ["run_to_completion", "preemptive"])
def test_short_torture(tmp_path, listed, scheduler):
    """The same batch under each scheduling policy (preemptive: 2-50 us slices, random priorities)."""
    report = tmp_path / "report.json"
    p = subprocess.run([TORTURE, "--runs", str(RUNS), "--jobs", "2", "--seed", "7", "--quiesce", QUIESCE,
                        "--scheduler", scheduler, "--out", str(report), "--keep", str(tmp_path / "failed")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(report.read_text())
    assert r["runs"] == RUNS and r["failed_runs"] == 0
    assert r["strategies"] == [s["name"] for s in listed]
    assert set(r["swaps_by_strategy"]) == set(r["strategies"])  # every strategy listed, and only those
    unsafe = torture.unsafe_names(listed)
    assert unsafe and list(r["unsafe"]) == unsafe
    assert sum(u["runs"] for u in r["unsafe"].values()) == RUNS // 5
    for name, u in r["unsafe"].items():
        assert u["runs"] >= 1, name
        if u["reports_calls_in_flight"]:
            assert u["with_calls_in_flight"] > 0, name
            assert u["flagged"] >= 0.95 * u["with_calls_in_flight"], name
        else:  # a strategy that does not say what was in flight must at least be caught sometimes
            assert u["flagged_any"] > 0, name


def test_preemptive_runs_get_their_scheduler_and_the_rest_is_unchanged(listed):
    plain = torture.scenario(7_000_001, listed)
    sc = torture.scenario(7_000_001, listed)
    torture.schedule(sc, 7_000_001, "preemptive")
    assert sc["os"]["scheduler"]["policy"] == "preemptive"
    del sc["os"]
    for w in sc["workloads"].values():
        w.pop("priority")
    assert sc == plain
    mixed = [torture.scenario(s, listed) for s in (7_000_002, 7_000_003)]
    for s, m in zip((7_000_002, 7_000_003), mixed):
        torture.schedule(m, s, "mixed")
    assert "os" not in mixed[0] and mixed[1]["os"]["scheduler"]["policy"] == "preemptive"


def test_scenarios_are_reproducible(listed):
    unsafe = torture.unsafe_names(listed)[0]
    assert torture.scenario(123, listed, unsafe) == torture.scenario(123, listed, unsafe)
    assert torture.scenario(123, listed) != torture.scenario(124, listed)


def fake(name, safe=True, constraints=(), params=()):
    return {"name": name, "safe": safe, "constraints": list(constraints), "params": [{"key": k} for k in params],
            "test_only": False, "phases": ["x"]}


def test_every_fifth_run_rotates_over_the_unsafe_strategies():
    listed = [fake("a"), fake("u1", safe=False), fake("b"), fake("u2", safe=False)]
    picks = [torture.unsafe_for(seed, listed) for seed in range(40)]
    assert [p for i, p in enumerate(picks) if i % 5 != 4] == [None] * 32
    assert [p for i, p in enumerate(picks) if i % 5 == 4] == ["u1", "u2"] * 4
    assert torture.unsafe_for(4, [fake("a")]) is None  # no unsafe strategy: no extra object


def test_constraints_from_the_registry_are_kept():
    # "solo" needs a shared root and an object of its own; updates (the first listed strategy) never
    # share an object with it; parameters only where a strategy declares them.
    listed = [fake("a"), fake("solo", constraints=["shared_root", "exclusive", "no_updates"]),
              fake("u", safe=False, params=["threshold_calls"])]
    used_solo = 0
    for seed in range(400):
        sc = torture.scenario(seed, listed, torture.unsafe_for(seed, listed))
        roots = {o: sc["implementations"][spec["implementation"]]["root"] for o, spec in sc["objects"].items()}
        by_object = {}
        for e in sc["events"]:
            obj = e.get("object", "").split("[")[0] or e["class"].lower()
            by_object.setdefault(obj, []).append(e.get("strategy", "a") if e["type"] == "swap" else "update")
        for obj, used in by_object.items():
            if "solo" in used:
                used_solo += 1
                assert set(used) == {"solo"} and roots[obj] == "shared", (seed, obj, used)
        assert set(sc.get("hotswap", {})) <= {"threshold_calls"}
    assert used_solo > 20


def test_no_arrival_after_stop(tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", "arrivals-after-stop.yaml"), tmp_path)
    assert s["simulated"]["calls"] == 0
    assert s["safety"]["calls_audit"] == [{"object": "c", "served": 0, "counted": 0, "in_flight": 0}]


def test_the_audit_finds_lost_calls(tmp_path):
    # Whether a call is lost is a race: the first of seeds 1-10 that loses one (every timing change moved it).
    for seed in range(1, 11):
        s = run(os.path.join(ROOT, "tests", "torture", "threshold-lost-calls.yaml"), tmp_path, "--seed", str(seed))
        ctr = [a for a in s["safety"]["calls_audit"] if a["object"] == "ctr"]
        if len(ctr) == 1 and ctr[0]["counted"] < ctr[0]["served"]:
            break
    assert len(ctr) == 1 and ctr[0]["counted"] < ctr[0]["served"], "no seed in 1-10 lost a call"
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


@pytest.mark.parametrize("name", ["update-after-given-up-swap.yaml", "update-after-given-up-swap-2.yaml"])
def test_a_given_up_swap_ends(name, tmp_path):
    """A stack_trace swap that gives up after max_retries ends (reported, not completed): what queued
    behind it goes on, and a later eager update of the class completes (it deadlocked before)."""
    s = run(os.path.join(ROOT, "tests", "torture", name), tmp_path)  # exit code 0: no deadlock
    first = s["swaps"][0]
    assert first["strategy"] == "stack_trace" and not first["completed"] and "gave up after" in first["waiting"]
    assert all(w["completed"] for w in s["swaps"][1:])
    eager = [u for u in s["updates"] if u["mode"] == "eager"]
    assert eager and all(u["completed"] and u["swapped"] == u["instances"] == 1 for u in eager)
    assert all("swaps_given_up" not in u for u in s["updates"])
    assert s["completed"] and all(e["completed"] for e in s["events"] if e["type"] == "update")
    audit = {a["object"]: a for a in s["safety"]["calls_audit"]}
    assert all(a["served"] <= a["counted"] <= a["served"] + a["in_flight"] for o, a in audit.items() if o != "ctr")


def test_an_update_whose_swap_gives_up_reports_it(tmp_path):
    """The update itself by stack_trace, with no retries: its swap of svcb gives up (a thread is
    inside), the update's worker goes on and the update says why it did not complete."""
    p = subprocess.run([QUIESCE, "run", os.path.join(ROOT, "tests", "torture", "update-after-given-up-swap.yaml"),
                        "-q", "-o", str(tmp_path / "out"), "--set", "events[3].strategy=stack_trace",
                        "--set", "hotswap.max_retries=0"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    u = s["updates"][0]
    assert not u["completed"] and u["instances"] == 1 and u["swapped"] == 0 and u["swaps_given_up"] == 1
    last = s["swaps"][-1]
    assert last["strategy"] == "stack_trace" and not last["completed"] and "gave up after" in last["waiting"]
    assert "threads_at_end" in s and not s["events"][-1]["completed"]


def test_a_thread_stopped_at_preempt_check_is_mid_code(tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", "stopped-at-preempt-check.yaml"), tmp_path)
    walker = next(w for w in s["swaps"] if w["strategy"] == "stack_trace")
    assert walker["object"] == "svca[0]" and walker["completed"]
    assert all(w["violations"] == 0 for w in s["swaps"] if w["strategy"] != "counter_threshold")
    assert s["safety"]["violations"] == sum(w["violations"] for w in s["swaps"] if w["object"] == "ctr")


@pytest.mark.parametrize("name", ["reclaim-guest-fault.yaml", "reclaim-calls-miscounted.yaml"])
def test_a_freed_mediator_owns_no_rep(name, tmp_path):
    """Torture runs that freeing after k42 swaps broke: a finished Mediator still claimed the reps it had
    given back, so a call that reached a newer Mediator's rep at the same address (reused) was taken by
    the old one (a jump to address 0, or a call counted for the wrong object). Clean with reclaim on (the
    default) and off."""
    for sets in ([], ["--set", "hotswap.reclaim=false"]):
        s = run(os.path.join(ROOT, "tests", "torture", name), tmp_path, *sets)
        assert s["scenario"]["hotswap"]["reclaim"] is (not sets)
        assert s["safety"]["violations"] == 0 and "calls_audit_skipped" not in s["safety"]
        assert all(a["counted"] == a["served"] for a in s["safety"]["calls_audit"])
        assert all(w["completed"] for w in s["swaps"])
        # With reclaim on, later swaps' mediators reuse blocks earlier ones freed (what made the bug possible).
        assert (s["memory"]["reuses"] > 0) is (not sets), s["memory"]


def test_a_miss_during_the_swing_waits_for_it(tmp_path):
    """The mutation batch's deadlock (seed 5000133, with object lifetimes): the Mediator swung the root to
    the new object without the GTT entry's lock, a miss in progress on another CPU installed a mediator rep
    after it, and a call blocked there for ever (exit 4). Every swap completes now; the violations are
    the unsafe twin's (direct_broken on ctr)."""
    p = subprocess.run([TEST_BIN, "run", os.path.join(ROOT, "tests", "torture", "swing-race-deadlock.yaml"), "-q",
                        "-o", str(tmp_path / "out"), "--timeout", "120"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert all(w["completed"] for w in s["swaps"]) and len(s["swaps"]) >= 8
    assert next(o for o in s["objects"] if o["name"] == "svca")["lifetimes"]["created"] > 0
    assert all(w["violations"] == 0 for w in s["swaps"] if w["strategy"] != "direct_broken")


def test_livepatch_transitions_are_numbered_run_wide(tmp_path):
    """The mutation batch's run 5000462: a livepatch swap after the twin livepatch_broken's took the twin's
    transition id, so threads the twin had switched looked patched and one asleep in the old code ran it
    after the end (a violation of a safe strategy). One sequence for the run now."""
    p = subprocess.run([TEST_BIN, "run", os.path.join(ROOT, "tests", "torture", "livepatch-twin-ids.yaml"), "-q",
                        "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [w["strategy"] for w in s["swaps"]][:3] == ["livepatch_broken", "livepatch", "livepatch"]
    assert all(w["completed"] for w in s["swaps"])
    assert s["safety"]["violations"] == 0, s["safety"]["details"][:2]


def test_a_stale_call_on_a_reused_rep_is_caught(tmp_path):
    """The mutation batch's run 5000074: the broken twin freed ctr's old rep under a call still in it, and the
    block was reused before the call ran on: still a use after free (the oracle had forgotten it)."""
    p = subprocess.run([TEST_BIN, "run", os.path.join(ROOT, "tests", "torture", "reused-rep-stale-call.yaml"), "-q",
                        "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    twin = next(w for w in s["swaps"] if w["strategy"] == "percpu_refcount_broken")
    assert twin["violations"] >= 1
    assert any(d["what"].startswith("use after free") and d["object"] == "ctr" for d in s["safety"]["details"])
    assert all(w["violations"] == 0 for w in s["swaps"] if not w["strategy"].endswith("_broken"))


def test_a_reused_rep_in_its_next_life_is_no_use_after_free(tmp_path):
    s = run(os.path.join(ROOT, "tests", "torture", "reused-rep-next-life.yaml"), tmp_path)
    assert next(o for o in s["objects"] if o["name"] == "svca")["lifetimes"]["created"] > 100
    assert any(w["strategy"] == "rcu" and w["completed"] for w in s["swaps"])
    assert s["memory"]["reuses"] > 0
    assert s["safety"]["violations"] == 0, s["safety"]["details"][:2]
