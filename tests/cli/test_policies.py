"""Autonomic swaps (sim/hotswap/policy.h, scenarios/README.md "policies:"): the example swaps its file cache
to the per-CPU implementation when the load ramps up and back when it falls, with no violation; the same
seed gives byte-identical decisions; hysteresis holds window by window; no decision storm (never while the
policy's last action is under way, never within min_interval_us); the monitor pays for its work in
simulated time and coherence traffic; the reader refuses a policy whose swap a strategy's constraints
forbid; the timeline shows the decisions."""
import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
AUTONOMIC = os.path.join(ROOT, "scenarios", "autonomic.yaml")
TIMEOUT = 600

# Bursts of load on every CPU with quiet between: a policy that follows the load swaps at each burst.
FLAP = """
machine: {cpus: 4}
implementations:
  Shared:
    state_bytes: 256
    shared_state_bytes: 128
    methods: {put: {instructions: 20, state_writes: 1, shared_atomics: 1}}
  PerCpu:
    root: per_cpu
    state_bytes: 256
    shared_state_bytes: 128
    methods: {put: {instructions: 20, state_writes: 1}}
objects:
  cache: {implementation: Shared}
workloads:
  base: {kind: closed, cpus: [0], think_us: 10, mix: [{object: cache, method: put}]}
  b1: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 100, stop_us: 250, mix: [{object: cache, method: put}]}
  b2: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 400, stop_us: 550, mix: [{object: cache, method: put}]}
  b3: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 700, stop_us: 850, mix: [{object: cache, method: put}]}
  b4: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 1000, stop_us: 1150, mix: [{object: cache, method: put}]}
policies:
  out:
    monitor: {object: cache, metric: latency_p90, window_us: 20}
    when: {above: 600}
    action: {to: PerCpu}
  in:
    monitor: {object: cache, metric: calls_per_ms, window_us: 20, cpu: 1}
    when: {below: 2000}
    action: {to: Shared}
run: {duration_us: 1300, seed: 3}
"""


def quiesce(*args):
    return subprocess.run([QUIESCE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=TIMEOUT)


def run(tmp_path, name, scenario=AUTONOMIC, sets=(), trace=False):
    """`quiesce run`: (summary, decisions rows, windows rows, out dir)."""
    if not os.path.exists(scenario):
        path = tmp_path / f"{name}.yaml"
        path.write_text(scenario)
        scenario = str(path)
    out = tmp_path / name
    args = ["run", scenario, "-q", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    if trace:
        args += ["--trace-out", str(tmp_path / f"{name}.trace.json")]
    p = quiesce(*args)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        summary = json.load(f)
    with open(out / "decisions.csv") as f:
        decisions = list(csv.DictReader(f))
    with open(out / "policy_windows.csv") as f:
        windows = list(csv.DictReader(f))
    return summary, decisions, windows, out


def calls_per_us(out, start_us, end_us):
    """Calls completed per us over the calls.csv windows inside [start_us, end_us)."""
    with open(out / "calls.csv") as f:
        rows = list(csv.DictReader(f))
    width = float(rows[1]["start_us"]) - float(rows[0]["start_us"])
    inside = [r for r in rows if float(r["start_us"]) >= start_us and float(r["start_us"]) + width <= end_us]
    assert inside
    return sum(int(r["calls"]) for r in inside) / (len(inside) * width)


def test_the_example_swaps_out_under_load_and_back_when_it_falls(tmp_path):
    summary, decisions, windows, out = run(tmp_path, "auto")
    assert [(d["policy"], d["from"], d["to"]) for d in decisions] == [
        ("scale_out", "FileCache", "FileCachePerCpu"), ("scale_in", "FileCachePerCpu", "FileCache")]
    assert all(d["completed"] == "true" for d in decisions)
    out_us, in_us = float(decisions[0]["us"]), float(decisions[1]["us"])
    assert 800 < out_us < 1000 and 1600 < in_us < 2000  # after the peak began; after the load fell
    # Each decision's swaps: the decision says them, the swap says its decision and belongs to no event.
    swaps = summary["swaps"]
    assert [s["decision"] for s in swaps] == [0, 1] and all(s["event"] == -1 for s in swaps)
    assert [d["swaps"] for d in decisions] == ["0", "1"]
    assert all(s["completed"] and s["violations"] == 0 for s in swaps)
    assert summary["safety"]["violations"] == 0 and summary["events"] == []
    # The triggering values are the windows' values.
    for d in decisions:
        mine = [w for w in windows if w["policy"] == d["policy"]]
        fired = mine[int(d["window"])]
        assert fired["state"] == "fired" and float(fired["value"]) == float(d["value"])
        streak = [float(w["value"]) for w in mine[int(d["window"]) - len(d["values"].split(";")) + 1:int(d["window"]) + 1]]
        assert streak == [float(v) for v in d["values"].split(";")]
    # Why: the per-CPU cache serves the same peak load with more calls per us than the contended shared one.
    swap_end_us = swaps[0]["end_cycle"] / 2000
    assert calls_per_us(out, swap_end_us + 25, 1550) > 3 * calls_per_us(out, 800, out_us)


@pytest.mark.parametrize("scenario", ["autonomic", "flap"])
def test_same_seed_same_decisions(tmp_path, scenario):
    source = AUTONOMIC if scenario == "autonomic" else FLAP
    a = run(tmp_path, "a", source)
    b = run(tmp_path, "b", source)
    for name in ("decisions.csv", "policy_windows.csv", "calls.csv", "regions.csv", "swaps.csv"):
        assert (a[3] / name).read_bytes() == (b[3] / name).read_bytes(), name
    for summary in (a[0], b[0]):
        del summary["scenario"]["outputs"]["dir"], summary["scenario"]["name"]  # -o and the file's name differ
    assert a[0] == b[0]
    assert a[1], "no decision: nothing compared"
    c = run(tmp_path, "c", source, sets=["run.seed=99"])
    assert (c[3] / "policy_windows.csv").read_bytes() != (a[3] / "policy_windows.csv").read_bytes()


def check_hysteresis(summary, windows):
    """Window by window, each policy's state follows from its condition, its streak and its arming."""
    policies = summary["scenario"]["policies"]
    for name, spec in policies.items():
        when = spec["when"]
        above = "above" in when
        threshold = when["above" if above else "below"]
        meets = (lambda v: v > threshold) if above else (lambda v: v < threshold)
        past_rearm = (lambda v: v < when["rearm"]) if above else (lambda v: v > when["rearm"])
        armed, streak = True, 0
        mine = [w for w in windows if w["policy"] == name]
        assert mine
        for w in mine:
            state, value = w["state"], (float(w["value"]) if w["value"] else None)
            if state == "busy":
                streak = 0
                continue
            if not armed:
                assert state in ("disarmed", "rearmed"), (name, w)
                assert (state == "rearmed") == (value is not None and past_rearm(value)), (name, w)
                armed = state == "rearmed"
                streak = 0
                continue
            assert state not in ("disarmed", "rearmed"), (name, w)
            if value is None or not meets(value):
                assert state in ("idle", "no_data"), (name, w)
                streak = 0
                continue
            streak += 1
            assert int(w["streak"]) == streak or state == "at_target", (name, w)
            if streak < when["windows"]:
                assert state == "streak", (name, w)
            elif state == "fired":
                armed, streak = False, 0
            else:
                assert state in ("at_target", "interval"), (name, w)
                if state == "at_target":
                    streak = 0


def test_hysteresis_holds(tmp_path):
    """With a band (rearm below the threshold) and two windows, and without: the states obey the rules, and
    a policy never acts twice without a window past its rearm level between."""
    for name, sets in [("plain", []),
                       ("band", ["policies.out.when.rearm=300", "policies.out.when.windows=2",
                                 "policies.in.when.rearm=6000"])]:
        summary, decisions, windows, _ = run(tmp_path, name, FLAP, sets)
        check_hysteresis(summary, windows)
        assert len(decisions) >= 4, (name, decisions)
        for policy in ("out", "in"):
            states = [w["state"] for w in windows if w["policy"] == policy]
            fired = [i for i, s in enumerate(states) if s == "fired"]
            for i, j in zip(fired, fired[1:]):
                assert "rearmed" in states[i:j], (name, policy, i, j)
    summary, _, windows, _ = run(tmp_path, "auto", AUTONOMIC)
    check_hysteresis(summary, windows)


def test_no_decision_storm(tmp_path):
    """A policy never acts while its last action is under way (the windows meanwhile are `busy`), and
    min_interval_us spaces its actions: fewer decisions, each at least that far from the one before."""
    summary, free, windows, _ = run(tmp_path, "free", FLAP)
    for policy in ("out", "in"):
        mine = [d for d in free if d["policy"] == policy]
        for a, b in zip(mine, mine[1:]):
            assert int(b["cycle"]) >= int(a["end_cycle"]) > int(a["cycle"])
    busy = [w for w in windows if w["state"] == "busy"]
    assert busy  # the swaps took longer than a window: the monitor saw them under way and did not act
    for w in busy:
        assert any(int(d["cycle"]) <= int(w["end_cycle"]) <= int(d["end_cycle"]) + 2 * 40_000 for d in free), w
    _, spaced, windows, _ = run(tmp_path, "spaced", FLAP,
                                ["policies.out.when.min_interval_us=450", "policies.in.when.min_interval_us=450"])
    assert len(spaced) < len(free), (len(spaced), len(free))
    assert any(w["state"] == "interval" for w in windows)
    for policy in ("out", "in"):
        mine = [float(d["us"]) for d in spaced if d["policy"] == policy]
        assert all(b - a >= 450 for a, b in zip(mine, mine[1:])), mine
    # Two policies acting on one object alternate: each one's swap finds the other's target in place.
    for a, b in zip(free, free[1:]):
        assert a["to"] != b["to"], (a, b)


def test_the_monitor_pays_for_its_work(tmp_path):
    summary, _, windows, out = run(tmp_path, "cost")
    for p in summary["policies"]:
        mine = [int(w["monitor_cycles"]) for w in windows if w["policy"] == p["policy"]]
        assert min(mine) > summary["scenario"]["policies"][p["policy"]]["monitor"]["eval_cycles"]
        assert p["monitor"]["cycles"] == sum(mine) and p["monitor"]["windows"] == len(mine)
        assert p["monitor"]["cycles_per_window"] == pytest.approx(sum(mine) / len(mine))
    # Its counters are lines in guest memory: each CPU's calls write its own, the monitor's CPU reads them all.
    with open(out / "regions.csv") as f:
        regions = {r["region"]: r for r in csv.DictReader(f)}
    for name in ("policy.scale_out", "policy.scale_in"):
        assert int(regions[name]["c2c_transfers"]) > 100 and int(regions[name]["miss_cycles"]) > 0, regions[name]
    # A percentile reads 17 words per CPU, a rate one: the latency monitor costs more per window.
    cost = {p["policy"]: p["monitor"]["cycles_per_window"] for p in summary["policies"]}
    assert cost["scale_out"] > cost["scale_in"]
    # eval_cycles is paid in every window, on top of the loads (the cheapest window: every load a hit).
    more, _, windows_more, _ = run(tmp_path, "more", sets=["policies.scale_in.monitor.eval_cycles=2200"])
    assert more["scenario"]["policies"]["scale_in"]["monitor"]["eval_cycles"] == 2200
    cheapest = min(int(w["monitor_cycles"]) for w in windows_more if w["policy"] == "scale_in")
    base = min(int(w["monitor_cycles"]) for w in windows if w["policy"] == "scale_in")
    assert cheapest - base >= 2000, (cheapest, base)


@pytest.mark.parametrize("metric,above", [("misses_per_ms", 10_000), ("queue_cycles_per_ms", 5_000_000)])
def test_coherence_monitors(tmp_path, metric, above):
    """misses_per_ms and queue_cycles_per_ms of the cache's regions: the kernel's per-CPU copies of each CPU's
    counter, read by the monitor. Low before the peak, high under it on the shared cache, low again on the
    per-CPU one: the policy swaps out once, re-arms, and the scale-in policy swaps back."""
    sets = [f"policies.scale_out.monitor.metric={metric}", f"policies.scale_out.when.above={above}",
            f"policies.scale_out.when.rearm={above / 4}"]
    summary, decisions, windows, out = run(tmp_path, metric, sets=sets)
    assert [(d["policy"], d["to"]) for d in decisions] == [("scale_out", "FileCachePerCpu"),
                                                           ("scale_in", "FileCache")], decisions
    assert 800 < float(decisions[0]["us"]) < 1000 and summary["safety"]["violations"] == 0
    mine = [w for w in windows if w["policy"] == "scale_out"]
    fired = int(decisions[0]["window"])
    # Before the ramp: far below the threshold; the firing windows above it; after the swap, below rearm.
    assert all(float(w["value"]) < above / 4 for w in mine[5:10]), [w["value"] for w in mine[5:10]]
    assert float(mine[fired]["value"]) > above and float(mine[fired - 1]["value"]) > above
    assert any(w["state"] == "rearmed" for w in mine[fired + 1:])
    # The values are the regions' counters: over the run they add up to at most regions.csv's total.
    with open(out / "regions.csv") as f:
        regions = [r for r in csv.DictReader(f) if r["region"].startswith("cache.")]
    column = "misses" if metric == "misses_per_ms" else "queue_cycles"
    total = sum(int(r[column]) for r in regions)
    seen = sum(float(w["value"]) * (int(w["end_cycle"]) - int(w["start_cycle"])) / 2e6 for w in mine)
    assert 0.5 * total < seen <= total * 1.0001, (seen, total)


@pytest.mark.parametrize("sets,where,message", [
    (["policies.scale_out.action.strategy=rcu"], "policies.scale_out.action.strategy",
     "rcu runs the old and the new implementation on one state (constraint by_reference"),
    (["policies.scale_in.action.to=FileCacheV3"], "policies.scale_in.action.to",
     "unknown implementation 'FileCacheV3'; did you mean 'FileCache'?"),
    (["policies.scale_out.monitor.metric=latency_p100"], "policies.scale_out.monitor.metric",
     "unknown metric 'latency_p100'"),
    (["policies.scale_out.monitor.cpu=8"], "policies.scale_out.monitor.cpu", "CPU 8 does not exist"),
    (["policies.scale_in.when.rearm=500"], "policies.scale_in.when.rearm", "rearm must be at or above"),
])
def test_impossible_policies_are_refused(tmp_path, sets, where, message):
    for verb in ("validate", "run"):
        args = [verb, AUTONOMIC] + (["-q", "-o", str(tmp_path / "out")] if verb == "run" else [])
        for s in sets:
            args += ["--set", s]
        p = quiesce(*args)
        assert p.returncode == 2, p.stderr
        # One line naming the place: the override that made the policy impossible, and the key.
        assert p.stderr.startswith(f"quiesce: --set {sets[-1]}: {where}: ") and p.stderr.count("\n") == 1, p.stderr
        assert message in p.stderr, p.stderr
        assert not (tmp_path / "out").exists()


def test_the_timeline_shows_the_decisions(tmp_path):
    summary, decisions, windows, _ = run(tmp_path, "traced", trace=True)
    with open(tmp_path / "traced.trace.json") as f:
        events = json.load(f)["traceEvents"]
    marks = [e for e in events if e.get("cat") == "policy"]
    assert [m["name"] for m in marks] == [f"policy {d['policy']}: decision {d['decision']}, cache to {d['to']}"
                                          for d in decisions]
    assert [m["ts"] for m in marks] == [pytest.approx(float(d["us"])) for d in decisions]
    counters = [e for e in events if e.get("ph") == "C" and e["name"].startswith("policy scale_out")]
    assert len(counters) == sum(1 for w in windows if w["policy"] == "scale_out" and w["value"])


def test_no_policies_no_policy_files(tmp_path):
    p = quiesce("run", os.path.join(ROOT, "scenarios", "k42-swap.yaml"), "-q", "-o", str(tmp_path / "k"))
    assert p.returncode == 0, p.stderr
    assert not (tmp_path / "k" / "decisions.csv").exists()
    summary = json.loads((tmp_path / "k" / "summary.json").read_text())
    assert "policies" not in summary and "policies" not in summary["scenario"]
    assert all("decision" not in s and s["event"] == 0 for s in summary["swaps"])


# Calls held by a swap (issue 24's "calls held" monitor): a steady load on `cache` from every CPU, a swap of it
# at 300 us by STRATEGY; the policy watches the cache's held calls and, when it sees them, swaps `aux` (another
# object, so its own action holds none of the calls it watches).
HELD = """
machine: {cpus: 4}
implementations:
  Cache:
    state_bytes: 256
    methods: {put: {instructions: 40, state_atomics: 1}}
  CacheV2:
    class: Cache
    version: 2
    state_bytes: 256
    methods: {put: {instructions: 30, state_atomics: 1}}
  Aux:
    methods: {get: {instructions: 10, state_atomics: 1}}
  AuxV2:
    class: Aux
    version: 2
    methods: {get: {instructions: 12, state_atomics: 1}}
objects:
  cache: {implementation: Cache}
  aux: {implementation: Aux}
workloads:
  load: {kind: closed, cpus: all, threads: 2, think_us: 1, mix: [{object: cache, method: put, weight: 9}, {object: aux, method: get}]}
events:
  - {type: swap, object: cache, to: CacheV2, at_us: 300, strategy: STRATEGY}
policies:
  held:
    monitor: {object: cache, metric: held_calls_per_ms, window_us: 20, cpu: 1}
    when: {above: 0}
    action: {object: aux, to: AuxV2}
  held_mean:
    monitor: {object: cache, metric: held_cycles_mean, window_us: 20, cpu: 2}
    when: {above: 1000000000}
    action: {object: aux, to: AuxV2}
run: {duration_us: 600, seed: 5}
"""


def held_scenario(strategy, event=True):
    text = HELD.replace("STRATEGY", strategy)
    if not event:
        text = text.replace("  - {type: swap, object: cache, to: CacheV2, at_us: 300, strategy: %s}\n" % strategy, "")
        text = text.replace("events:\n", "")
    return text


@pytest.mark.parametrize("strategy", ["k42_generation", "global_refcount"])
def test_held_calls_monitor_fires_during_a_swap_that_holds_calls(tmp_path, strategy):
    """held_calls_per_ms: zero in every window before the swap (no policy acts), above zero in the window where
    the swap's held calls complete (the policy acts then, once); held_cycles_mean has a value only there, and
    its mean is within what the swap says it held. Same seed, same decisions, byte for byte."""
    summary, decisions, windows, out = run(tmp_path, "held", held_scenario(strategy))
    swap = [s for s in summary["swaps"] if s["event"] == 0]
    assert len(swap) == 1 and swap[0]["completed"], summary["swaps"]
    start, end = swap[0]["start_cycle"], swap[0]["end_cycle"]
    held_rows = [w for w in windows if w["policy"] == "held"]
    before = [w for w in held_rows if int(w["end_cycle"]) < start]
    assert before and all(float(w["value"]) == 0 for w in before), before
    seen = [w for w in held_rows if float(w["value"]) > 0]
    assert seen, "the swap held calls, the monitor saw none"
    # Held calls complete after their swap released them: in windows that end after the swap began.
    assert all(int(w["end_cycle"]) > start for w in seen), seen
    mine = [d for d in decisions if d["policy"] == "held"]
    assert len(mine) == 1, decisions
    d = mine[0]
    assert (d["action"], d["object"], d["from"], d["to"]) == ("swap", "aux", "Aux", "AuxV2")
    assert int(d["cycle"]) > start and float(d["value"]) > 0
    assert held_rows[int(d["window"])]["state"] == "fired"
    # Held calls the monitor counted: at most those the swap held (the rest completed past a window's end).
    blocked = swap[0]["blocked"]
    counted = sum(float(w["value"]) * (int(w["end_cycle"]) - int(w["start_cycle"])) / 2e6 for w in held_rows)
    assert 0 < round(counted) <= blocked, (counted, blocked)
    # The mean: only windows with held calls have a value, and it is no more than the longest hold.
    mean_rows = [w for w in windows if w["policy"] == "held_mean"]
    valued = [w for w in mean_rows if w["value"]]
    assert valued and all(w["state"] != "no_data" for w in valued)
    assert all(w["state"] == "no_data" for w in mean_rows if not w["value"])
    longest = end - start
    assert all(0 < float(w["value"]) <= swap[0]["blocked_cycles_max"] <= longest for w in valued), (valued, longest)
    # The monitor's held cycles are the swap's: summed over its windows (mean x held calls in each, from the
    # held policy's count when the two monitors' windows agree on which calls) at most the swap's total.
    if len(valued) == 1 and round(counted) == swap[0]["released"]:
        assert float(valued[0]["value"]) == pytest.approx(swap[0]["blocked_cycles_total"] / swap[0]["released"])
    assert not [d for d in decisions if d["policy"] == "held_mean"]
    assert summary["safety"]["violations"] == 0
    again = run(tmp_path, "again", held_scenario(strategy))
    for name in ("decisions.csv", "policy_windows.csv"):
        assert (out / name).read_bytes() == (again[3] / name).read_bytes(), name


@pytest.mark.parametrize("strategy,event", [("rcu", True), ("k42_generation", False)])
def test_held_calls_monitor_is_silent_without_a_hold(tmp_path, strategy, event):
    """rcu publishes the new object at once and holds no call; without a swap nothing is held: every window
    reads zero, the mean has no data, and the policy never acts."""
    _, decisions, windows, _ = run(tmp_path, "quiet", held_scenario(strategy, event))
    held_rows = [w for w in windows if w["policy"] == "held"]
    assert len(held_rows) > 20 and sum(int(w["calls"]) for w in held_rows) > 1000
    assert all(float(w["value"]) == 0 and w["state"] == "idle" for w in held_rows), held_rows
    assert all(w["state"] == "no_data" for w in windows if w["policy"] == "held_mean")
    assert decisions == []


# A dynamic update as a policy's action: a group of 4 caches and one more object of the class; the load on
# them comes in bursts; `up` updates class Cache to version 2 when the load is high, `down` back to version 1
# when it falls.
UPDATE = """
machine: {cpus: 4}
implementations:
  Cache:
    state_bytes: 256
    methods: {put: {instructions: 40, state_atomics: 1}}
  CacheV2:
    class: Cache
    version: 2
    state_bytes: 256
    methods: {put: {instructions: 30, state_atomics: 1}}
objects:
  cache: {implementation: Cache, count: 4}
  spare: {implementation: Cache}
workloads:
  base: {kind: closed, cpus: [0], think_us: 10, mix: [{object: cache, method: put}, {object: spare, method: put}]}
  b1: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 100, stop_us: 300, mix: [{object: cache, method: put}]}
  b2: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 600, stop_us: 800, mix: [{object: cache, method: put}]}
policies:
  up:
    monitor: {object: cache, metric: calls_per_ms, window_us: 20}
    when: {above: 4000, windows: 2}
    action: {update: Cache, to_version: 2, mode: MODE}
  down:
    monitor: {object: cache, metric: calls_per_ms, window_us: 20, cpu: 1}
    when: {below: 1000, windows: 2}
    action: {update: Cache, to_version: 1, mode: MODE}
run: {duration_us: 1100, seed: 7}
"""


def test_update_action_updates_every_instance_and_the_factory(tmp_path):
    """Eager: each decision updates the factory and all five instances of the class (its swaps are the
    decision's), the decisions alternate, none while an update of the class is under way, each recorded with
    its class and version; the states obey the hysteresis rules; same seed, same decisions."""
    summary, decisions, windows, out = run(tmp_path, "upd", UPDATE.replace("MODE", "eager"))
    assert [(d["policy"], d["action"], d["class"], d["to_version"], d["to"]) for d in decisions] == [
        ("up", "update", "Cache", "2", "CacheV2"), ("down", "update", "Cache", "1", "Cache"),
        ("up", "update", "Cache", "2", "CacheV2"), ("down", "update", "Cache", "1", "Cache")], decisions
    swaps = summary["swaps"]
    for d, p in zip(decisions, [p for i in range(2) for p in ("up", "down")]):
        mine = [s for s in swaps if s.get("decision") == int(d["decision"])]
        assert len(mine) == 5 and all(s["completed"] and s["event"] == -1 for s in mine), mine
        assert d["swaps"] == ";".join(str(s["id"]) for s in mine)
        assert {s["object"] for s in mine} == {"cache[0]", "cache[1]", "cache[2]", "cache[3]", "spare"}
        assert d["completed"] == "true" and int(d["end_cycle"]) >= max(s["end_cycle"] for s in mine)
    # summary.json's decisions carry the update's record.
    recorded = sorted((x for p in summary["policies"] for x in p["decisions"]), key=lambda x: x["decision"])
    for x, version in zip(recorded, [2, 1, 2, 1]):
        assert x["action"] == "update" and x["update"]["class"] == "Cache"
        assert x["update"]["to_version"] == version and x["update"]["from_version"] == 3 - version
        assert x["update"]["instances"] == 5 and x["update"]["swapped"] == 5 and x["update"]["completed"]
    assert summary["scenario"]["policies"]["up"]["action"] == {"update": "Cache", "to_version": 2, "mode": "eager",
                                                               "to": "CacheV2", "strategy": "k42_generation"}
    # The last decision brought the class back to version 1: the factory and every instance.
    assert [f["version"] for f in summary["factories"] if f["class"] == "Cache"] == [1]
    assert {o["name"]: o["implementation_now"] for o in summary["objects"]} == {"cache": "Cache", "spare": "Cache"}
    # No storm: never a decision while an update of the class is under way.
    for a, b in zip(decisions, decisions[1:]):
        assert int(b["cycle"]) >= int(a["end_cycle"]) > int(a["cycle"]), (a, b)
    check_hysteresis(summary, windows)
    assert summary["updates"] == [] and summary["safety"]["violations"] == 0
    again = run(tmp_path, "again", UPDATE.replace("MODE", "eager"))
    assert (out / "decisions.csv").read_bytes() == (again[3] / "decisions.csv").read_bytes()
    # Slow workers (15 us a step): each update spans windows; both policies see it `busy` and wait for it.
    slow, decisions, windows, _ = run(tmp_path, "slow", UPDATE.replace("MODE", "eager"),
                                      ["hotswap.update_step_cycles=30000"])
    assert [d["policy"] for d in decisions] == ["up", "down", "up", "down"], decisions
    for a, b in zip(decisions, decisions[1:]):
        assert int(b["cycle"]) >= int(a["end_cycle"]) > int(a["cycle"]) + 2 * 30_000, (a, b)
    for policy in ("up", "down"):
        busy = [w for w in windows if w["policy"] == policy and w["state"] == "busy"]
        assert busy, policy
        for w in busy:  # each inside an update (its end within one window of it, the monitor's lateness)
            assert any(int(d["cycle"]) <= int(w["end_cycle"]) <= int(d["end_cycle"]) + 2 * 40_000 for d in decisions), w
    check_hysteresis(slow, windows)


def test_update_action_at_target_holds_it(tmp_path):
    """Without the `down` policy, `up` updates once: in every later window that meets its condition the class
    is already at version 2 (at_target, or disarmed), never a second update."""
    text = UPDATE.replace("MODE", "eager")
    text = text[:text.index("  down:")] + text[text.index("run:"):]
    text = text.replace("when: {above: 4000, windows: 2}", "when: {above: 4000, windows: 2, rearm: 3000}")
    summary, decisions, windows, _ = run(tmp_path, "once", text)
    assert [(d["policy"], d["to_version"]) for d in decisions] == [("up", "2")], decisions
    states = [w["state"] for w in windows]
    assert "at_target" in states[int(decisions[0]["window"]) + 1:], states
    assert [f["version"] for f in summary["factories"] if f["class"] == "Cache"] == [2]
    assert {o["name"]: o["implementation_now"] for o in summary["objects"]} == {"cache": "CacheV2", "spare": "CacheV2"}


def test_lazy_update_action(tmp_path):
    """Lazy: the factory switches at once and each instance when it is next called; the policy is busy until
    then; no violation."""
    text = UPDATE.replace("MODE", "lazy")
    text = text[:text.index("  down:")] + text[text.index("run:"):]
    summary, decisions, windows, _ = run(tmp_path, "lazy", text)
    assert [(d["policy"], d["action"], d["mode"]) for d in decisions] == [("up", "update", "lazy")], decisions
    x = summary["policies"][0]["decisions"][0]["update"]
    assert x["mode"] == "lazy" and x["instances"] == 5 and x["marked_cycle"] > 0
    assert [f["version"] for f in summary["factories"] if f["class"] == "Cache"] == [2]
    assert summary["safety"]["violations"] == 0


@pytest.mark.parametrize("sets,where,message", [
    (["policies.up.action.update=Cachee"], "policies.up.action.update", "unknown class 'Cachee'; did you mean 'Cache'?"),
    (["policies.up.action.to_version=3"], "policies.up.action.to_version", "class Cache has no version 3; its versions: 1, 2"),
    (["policies.up.action.strategy=rcu"], "policies.up.action.strategy",
     "rcu runs the old and the new implementation on one state (constraint by_reference"),
    (["policies.up.action.strategy=direct"], "policies.up.action.strategy",
     "direct is for swap events only (constraint no_updates"),
    (["policies.down.action.strategy=k42"], "policies.down.action.strategy", "unknown strategy 'k42'"),
    (["policies.up.action.object=cache"], "policies.up.action.object", "not both"),
    (["policies.down.action.to=Cache"], "policies.down.action.to", "not both"),
    (["policies.up.action.mode=sometimes"], "policies.up.action.mode", "sometimes"),
])
def test_impossible_update_actions_are_refused(tmp_path, sets, where, message):
    """The reader refuses an update action with the checks an update event gets (exit code 2, one line naming
    the place)."""
    path = tmp_path / "upd.yaml"
    text = UPDATE.replace("MODE", "eager")
    # rcu: a layout CacheV2 cannot take by reference (another state size).
    text = text.replace("    state_bytes: 256\n    methods: {put: {instructions: 30", "    state_bytes: 512\n    methods: {put: {instructions: 30")
    path.write_text(text)
    for verb in ("validate", "run"):
        args = [verb, str(path)] + (["-q", "-o", str(tmp_path / "out")] if verb == "run" else [])
        for s in sets:
            args += ["--set", s]
        p = quiesce(*args)
        assert p.returncode == 2, p.stderr
        assert p.stderr.startswith(f"quiesce: --set {sets[-1]}: {where}: ") and p.stderr.count("\n") == 1, p.stderr
        assert message in p.stderr, p.stderr
        assert not (tmp_path / "out").exists()


def test_an_update_to_the_only_version_is_refused(tmp_path):
    """Every object of the class already has the version and nothing gives them another: refused at to_version."""
    text = UPDATE.replace("MODE", "eager")
    text = text[:text.index("  up:")] + text[text.index("  down:"):]
    path = tmp_path / "only.yaml"
    path.write_text(text)
    p = quiesce("validate", str(path))
    assert p.returncode == 2, p.stderr
    # One line naming the place: the file, line and column, and the key.
    assert re.match(rf"quiesce: {re.escape(str(path))}:\d+:\d+: policies\.down\.action\.to_version: ", p.stderr), p.stderr
    assert p.stderr.count("\n") == 1, p.stderr
    assert "every object of class Cache already has version 1 (Cache), and nothing gives them another" in p.stderr


def test_bench_autonomic_reports_the_example(tmp_path):
    """bench/autonomic (the issue's figure): the example's two decisions, the throughput around them and
    the monitors' cost per window."""
    out = tmp_path / "autonomic.json"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "autonomic"), "--quiesce", QUIESCE, "--out",
                        str(out)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    f = json.loads(out.read_text())
    out_, in_ = f["decisions"]
    assert (out_["policy"], out_["to"]) == ("scale_out", "FileCachePerCpu")
    assert (in_["policy"], in_["to"]) == ("scale_in", "FileCache") and in_["at_us"] > out_["swaps_end_us"]
    assert out_["calls_per_ms_after"] > 2 * out_["calls_per_ms_before"]  # the per-CPU cache serves the ramp
    assert all(m["windows"] > 10 and 0 < m["min"] <= m["mean"] <= m["max"] for m in f["monitors"].values())
