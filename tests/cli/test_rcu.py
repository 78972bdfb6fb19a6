"""Strategy rcu (sim/hotswap/rcu.cpp): a grace period built from per-CPU quiescent states. Its swaps
complete with no violation under load; readers pay nothing (the fast path is k42_generation's, which
has no gate either); the grace period waits for a call running long in the old object, for a reader
blocked inside it (a holdout) and for readers preempted inside it; the same scenario and seed give the
same results under a preemptive kernel; its broken twin (grace_period 0) is caught by the oracle; the
reader refuses it where the state cannot move by reference."""
import csv
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TEST_BIN = os.path.abspath(os.environ.get("QUIESCE_TEST_STRATEGIES",
                                          os.path.join(ROOT, "build", "quiesce_test_strategies")))
BASE = os.path.join(ROOT, "scenarios", "compare", "base.yaml")
TIMEOUT = 600


def run(tmp_path, scenario, name, *sets, binary=QUIESCE, trace=False):
    """`quiesce run` of `scenario` (a path, or a dict written as JSON, which is YAML): (summary, out dir, trace)."""
    if isinstance(scenario, dict):
        path = tmp_path / f"{name}.yaml"
        path.write_text(json.dumps(scenario, indent=1))
        scenario = str(path)
    out = tmp_path / name
    args = [binary, "run", scenario, "-q", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    if trace:
        args += ["--trace-out", str(tmp_path / f"{name}.trace.json")]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        summary = json.load(f)
    events = None
    if trace:
        with open(tmp_path / f"{name}.trace.json") as f:
            t = json.load(f)
        events = t["traceEvents"] if isinstance(t, dict) else t
    return summary, out, events


def slow_method(io=None):
    m = {"instructions": 400, "mix": {"div": 1}, "state_reads": 1, "state_writes": 1}  # ~14 us of divides
    if io:
        m["io"] = io
    return m


def long_call_scenario(slow, strategy="rcu", long_threads=1):
    """Two CPUs: quick calls on CPU 0, back-to-back calls of `slow` on CPU 1, swapped at 50 us from CPU 0."""
    def impl(version):
        i = {"root": "shared", "state_bytes": 256,
             "methods": {"quick": {"instructions": 40, "mix": {"alu": 3, "load": 1}, "state_reads": 1}, "slow": slow}}
        if version == 2:
            i.update({"class": "SvcV1", "version": 2})
        return i
    return {
        "name": "rcu-long-call",
        "machine": {"cpus": 2},
        "implementations": {"SvcV1": impl(1), "SvcV2": impl(2)},
        "objects": {"svc": {"implementation": "SvcV1"}},
        "workloads": {
            "fast": {"kind": "closed", "cpus": [0], "threads": 2, "think_us": 1, "calls_per_request": 4,
                     "mix": [{"object": "svc", "method": "quick"}]},
            "long": {"kind": "closed", "cpus": [1], "threads": long_threads, "think_us": 1, "calls_per_request": 1,
                     "mix": [{"object": "svc", "method": "slow"}]},
        },
        "events": [{"type": "swap", "object": "svc", "to": "SvcV2", "strategy": strategy, "at_us": 50, "cpu": 0}],
        "run": {"duration_us": 200},
    }


def swap_spans(events):
    """The swap's phases from the trace: name -> (start us, end us)."""
    return {e["name"]: (e["ts"], e["ts"] + e["dur"]) for e in events if e.get("cat") == "swap"}


def slow_calls_in_flight(events, at_us):
    """(start, end) in us of every svc.slow call begun before `at_us` and not ended by then."""
    return [(e["ts"], e["ts"] + e["dur"]) for e in events
            if e.get("cat") == "call" and e["name"] == "svc.slow" and e["ts"] < at_us < e["ts"] + e["dur"]]


def test_rcu_swaps_under_load_with_no_violation(tmp_path):
    s, out, _ = run(tmp_path, BASE, "base", "events[0].strategy=rcu")
    (sw,) = s["swaps"]
    assert sw["strategy"] == "rcu" and sw["completed"], sw["waiting"]
    assert sw["protocol"] == "by_reference"
    assert sw["violations"] == 0 and s["safety"]["violations"] == 0
    assert sw["blocked"] == 0 and sw["forwarded"] == 0  # no call is ever held or redirected
    assert sw["details"]["polls"] >= 1 and sw["details"]["threads_inside"] == 0
    with open(out / "phases.csv") as f:
        phases = [r["phase"] for r in csv.DictReader(f)]
    assert phases[:2] == ["publish", "grace"]


def mean_latency(out, start_us, end_us):
    with open(out / "calls.csv") as f:
        rows = [r for r in csv.DictReader(f) if float(r["start_us"]) >= start_us and float(r["end_us"]) <= end_us]
    calls = sum(int(r["calls"]) for r in rows)
    return sum(float(r["latency_mean_cycles"]) * int(r["calls"]) for r in rows) / calls


def test_readers_pay_nothing(tmp_path):
    """Before the swap (50-200 us), a call under rcu costs what it costs under k42_generation (no gate
    either: the translation only), and less than under percpu_refcount (a counter in and out)."""
    lat = {}
    for strategy in ("rcu", "k42_generation", "percpu_refcount"):
        _, out, _ = run(tmp_path, BASE, strategy, f"events[0].strategy={strategy}")
        lat[strategy] = mean_latency(out, 50, 200)
    assert lat["rcu"] == pytest.approx(lat["k42_generation"], rel=0.005), lat
    assert lat["rcu"] < 0.9 * lat["percpu_refcount"], lat


def test_grace_period_waits_for_a_long_call(tmp_path):
    s, _, events = run(tmp_path, long_call_scenario(slow_method()), "long", trace=True)
    (sw,) = s["swaps"]
    assert sw["completed"] and sw["violations"] == 0 and s["safety"]["violations"] == 0
    spans = swap_spans(events)
    published = spans["publish"][1]
    in_flight = slow_calls_in_flight(events, published)
    assert in_flight, "no slow call was in the old object when the new one was published"
    # The retire (the safe point) comes after the end of every call that was in the old object.
    assert spans["retire"][0] >= max(end for _, end in in_flight) - 0.001, (spans, in_flight)


def test_a_reader_blocked_inside_the_old_object_holds_the_grace_period(tmp_path):
    """The slow method always waits 30 us for I/O: its thread leaves its CPU inside the old object. Its
    CPU reports quiescent states meanwhile (context switch, idle), but the thread is a holdout: the swap
    retires the old code only after the blocked call's end."""
    sc = long_call_scenario(slow_method({"probability": 1, "mean_us": 30, "distribution": "fixed"}))
    s, _, events = run(tmp_path, sc, "blocking", trace=True)
    (sw,) = s["swaps"]
    assert sw["completed"] and sw["violations"] == 0 and s["safety"]["violations"] == 0
    assert sw["details"]["holdouts"] >= 1
    spans = swap_spans(events)
    in_flight = slow_calls_in_flight(events, spans["publish"][1])
    assert in_flight
    assert spans["retire"][0] >= max(end for _, end in in_flight) - 0.001, (spans, in_flight)


PREEMPTIVE = ["os.scheduler.policy=preemptive", "os.scheduler.tick_us=2"]


def test_preempted_readers_are_holdouts_and_runs_are_deterministic(tmp_path):
    """Two threads on CPU 1 share it in 2 us slices, each preempted inside the slow method; both runs
    of the same scenario and seed give byte-identical results."""
    sc = long_call_scenario(slow_method(), long_threads=2)
    a, out_a, events = run(tmp_path, sc, "pre_a", *PREEMPTIVE, trace=True)
    b, out_b, _ = run(tmp_path, sc, "pre_b", *PREEMPTIVE)
    assert a["simulated"]["preemptions"] > 0
    (sw,) = a["swaps"]
    assert sw["completed"] and sw["violations"] == 0 and a["safety"]["violations"] == 0
    assert sw["details"]["holdouts"] >= 1
    spans = swap_spans(events)
    in_flight = slow_calls_in_flight(events, spans["publish"][1])
    assert spans["retire"][0] >= max(end for _, end in in_flight) - 0.001, (spans, in_flight)
    for name in ("summary.json", "swaps.csv", "phases.csv", "calls.csv"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes(), name


@pytest.mark.parametrize("policy", [[], PREEMPTIVE])
def test_broken_twin_without_a_grace_period_is_caught(tmp_path, policy):
    s, _, _ = run(tmp_path, long_call_scenario(slow_method(), strategy="rcu_broken"), "twin", *policy,
                  binary=TEST_BIN)
    (sw,) = s["swaps"]
    assert sw["completed"] and sw["details"]["threads_inside"] >= 1
    assert s["safety"]["violations"] >= 1
    assert "executed SvcV1::slow" in s["safety"]["details"][0]["what"]


def test_the_reader_refuses_rcu_without_by_reference(tmp_path):
    sc = long_call_scenario(slow_method())
    sc["implementations"]["SvcV2"]["transfer"] = {"export": ["copy"], "import": ["copy"]}
    path = tmp_path / "copy.yaml"
    path.write_text(json.dumps(sc, indent=1))
    p = subprocess.run([QUIESCE, "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert p.returncode == 2
    lines = [l for l in p.stderr.splitlines() if l]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"quiesce: {path}:")
    assert lines[0].endswith(
        "events[0].strategy: rcu runs the old and the new implementation on one state (constraint by_reference: old "
        "calls run on while new ones begin, and a copy would lose their updates), but SvcV1 cannot hand its state to "
        "SvcV2 by reference: SvcV1 exports by_reference, copy, transform and SvcV2 imports copy; they negotiate "
        "copy"), lines[0]
