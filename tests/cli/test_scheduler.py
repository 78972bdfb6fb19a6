"""Scheduling policies and priorities (os.scheduler, workloads.NAME.priority; issue 22, part 1).

run_to_completion, the default, is K42's model: a thread keeps its CPU until it blocks or ends, so a
CPU-bound thread that never blocks starves its CPU's other threads and a hot swap's worker there.
preemptive: a decrementer interrupt ends each time slice and delivers timed events on time; its
entry and exit are guest code, and a woken thread of higher priority takes the CPU at once. Runs
under preemption are deterministic, and every safe strategy swaps with no violation under it."""
import copy
import os
import subprocess

import pytest

import strategy_list
from run_scenario import run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")

GET = {"instructions": 60, "state_reads": 1, "state_atomics": 1}
# One CPU: `hog` loops on a long method and never blocks; clients call `obj`, swapped at 50 us.
HOG = {
    "name": "hog",
    "machine": {"cpus": 1},
    "implementations": {
        "Obj": {"root": "shared", "methods": {"get": GET}},
        "ObjV2": {"class": "Obj", "version": 2, "root": "shared", "methods": {"get": GET}},
        "Spin": {"root": "per_cpu", "methods": {"work": {"instructions": 3000}}},
    },
    "objects": {"obj": {"implementation": "Obj"}, "spin": {"implementation": "Spin"}},
    "workloads": {
        "clients": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 2, "calls_per_request": 4,
                    "mix": [{"object": "obj", "method": "get"}]},
        "hog": {"kind": "long_lived", "cpus": "all", "threads": 1, "think_us": 0, "calls_per_request": 10,
                "start_us": 5, "mix": [{"object": "spin", "method": "work"}]},
    },
    "events": [{"type": "swap", "object": "obj", "to": "ObjV2", "strategy": "k42_generation", "at_us": 50}],
    "run": {"duration_us": 400},
}


def obj_calls(summary, name="obj"):
    (o,) = [o for o in summary["objects"] if o["name"] == name]
    return sum(m["calls"] for m in o["methods"])


def test_run_to_completion_is_the_default_and_takes_no_interrupts(tmp_path):
    s, out = run(tmp_path, K42_SWAP)
    assert s["scenario"]["os"]["scheduler"] == {"policy": "run_to_completion", "tick_us": 1000.0,
                                                "system_priority": 0}
    assert s["simulated"]["interrupts"] == 0 and s["simulated"]["preemptions"] == 0
    s2, out2 = run(tmp_path, K42_SWAP, "os.scheduler.policy=run_to_completion", name="explicit")
    for f in ["calls.csv", "swaps.csv", "phases.csv", "cpus.csv", "regions.csv", "events.csv"]:
        assert (out / f).read_bytes() == (out2 / f).read_bytes(), f


def test_a_thread_that_never_blocks_starves_its_cpu_unless_preempted(tmp_path):
    rtc, _ = run(tmp_path, HOG, name="rtc")
    pre, _ = run(tmp_path, HOG, "os.scheduler.policy=preemptive", "os.scheduler.tick_us=10", name="pre")
    # Run to completion: once the hog runs, the clients and the swap's worker never do.
    assert not rtc["swaps"][0]["completed"]
    assert obj_calls(rtc) < 20
    assert rtc["simulated"]["preemptions"] == 0
    # Preemptive: 10 us slices, round robin: the clients are served and the swap completes.
    assert pre["simulated"]["interrupts"] > 30 and pre["simulated"]["preemptions"] > 10
    assert obj_calls(pre) > 10 * obj_calls(rtc)
    assert pre["swaps"][0]["completed"] and pre["safety"]["violations"] == 0


def test_a_high_priority_swap_worker_preempts_at_once(tmp_path):
    """With the swap's threads above the hog, the worker takes the CPU as soon as it is made: its wait
    for the CPU before its first phase is an interrupt and a context switch (guest code, cold descriptors:
    a few thousand cycles), not a 100 us time slice (200,000 cycles)."""
    base = ["os.scheduler.policy=preemptive", "os.scheduler.tick_us=100"]
    low, _ = run(tmp_path, HOG, *base, name="low")
    high, _ = run(tmp_path, HOG, *base, "os.scheduler.system_priority=10", name="high")
    wait = lambda s: s["swaps"][0]["cpus"][0]["outside_phases"]["before_first_phase"]["split"]["cpu"]
    assert high["swaps"][0]["completed"] and low["swaps"][0]["completed"]
    assert wait(high) < 5000 < wait(low)
    assert high["swaps"][0]["cycles"] < low["swaps"][0]["cycles"]


def test_a_higher_priority_preempts_on_wake_up_an_equal_one_at_the_slice_end(tmp_path):
    """`urgent` requests arrive on the CPU the hog keeps busy. At the hog's priority each waits for
    the hog's slice to end (50 us slices: at most one preemption per slice); at priority 5 each
    arrival preempts the hog at once."""
    sc = copy.deepcopy(HOG)
    del sc["events"]
    sc["workloads"] = {
        "hog": HOG["workloads"]["hog"],
        "urgent": {"kind": "open", "cpus": "all", "rate_per_ms": 40, "calls_per_request": 1,
                   "mix": [{"object": "obj", "method": "get"}]},
    }
    base = ["os.scheduler.policy=preemptive", "os.scheduler.tick_us=50"]
    same, _ = run(tmp_path, sc, *base, name="same")
    urgent, _ = run(tmp_path, sc, *base, "workloads.urgent.priority=5", name="urgent")
    slices = 400 / 50
    assert same["simulated"]["preemptions"] <= slices + 1
    assert obj_calls(urgent) >= 8 and urgent["simulated"]["preemptions"] >= 0.9 * obj_calls(urgent)
    assert urgent["simulated"]["preemptions"] > 1.5 * same["simulated"]["preemptions"]


def test_preemptive_runs_are_deterministic(tmp_path):
    sets = ["os.scheduler.policy=preemptive", "os.scheduler.tick_us=3", "os.scheduler.system_priority=5"]
    _, a = run(tmp_path, K42_SWAP, *sets, name="a")
    _, b = run(tmp_path, K42_SWAP, *sets, name="b")
    for f in sorted(os.listdir(a)):
        if f != "host.json":
            assert (a / f).read_bytes() == (b / f).read_bytes(), f


def safe_strategies():
    return strategy_list.listed(QUIESCE, safe_only=True)


@pytest.mark.parametrize("strategy", safe_strategies())
def test_every_safe_strategy_swaps_under_preemption(tmp_path, strategy):
    # livepatch retries every second, as Linux does: a thread found inside in its first round would hold
    # it past this run's end; here it retries every 20 us.
    s, _ = run(tmp_path, K42_SWAP, f"events[0].strategy={strategy}", "os.scheduler.policy=preemptive",
               "os.scheduler.tick_us=2", "os.scheduler.system_priority=5", "hotswap.strategies.livepatch.retry_us=20")
    (sw,) = s["swaps"]
    assert sw["completed"], sw["waiting"]
    assert s["safety"]["violations"] == 0, s["safety"]["details"][:3]
    assert s["simulated"]["preemptions"] > 0
    assert all(a["served"] <= a["counted"] <= a["served"] + a["in_flight"] for a in s["safety"]["calls_audit"])


def test_bad_scheduler_keys_are_refused(tmp_path):
    for bad, key in [("os.scheduler.policy=fair", "os.scheduler.policy"), ("os.scheduler.tick_us=0", "tick_us"),
                     ("workloads.clients.priority=100", "priority")]:
        p = subprocess.run([QUIESCE, "validate", K42_SWAP, "--set", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        assert p.returncode == 2 and key in p.stderr, (bad, p.stderr)


def test_stop_the_world_is_an_ipi_under_preemption(tmp_path):
    """stack_trace stops every other CPU. Run to completion, a CPU stops at its next kernel entry: one
    running a long method (100,000 instructions, ~170,000 cycles a call) keeps the swap waiting past
    the run's end. Preemptive, the stop is an IPI (an external interrupt): the CPU enters the kernel
    at once, interrupts off, and the swap completes."""
    sc = copy.deepcopy(HOG)
    sc["machine"]["cpus"] = 2
    sc["implementations"]["Spin"]["methods"]["work"]["instructions"] = 100000
    sc["workloads"]["hog"]["cpus"] = [1]
    sc["events"][0].update(strategy="stack_trace", cpu=0)
    rtc, _ = run(tmp_path, sc, name="rtc")
    pre, _ = run(tmp_path, sc, "os.scheduler.policy=preemptive", name="pre")
    assert not rtc["swaps"][0]["completed"] and "waiting for the CPUs to stop" in rtc["swaps"][0]["waiting"]
    sw = pre["swaps"][0]
    assert sw["completed"] and pre["safety"]["violations"] == 0
    assert sw["details"]["stop_cycles"] < 2000


def test_an_ipi_stops_a_run_to_completion_cpu_mid_call(tmp_path):
    """stack_trace's `ipi: 1` under run_to_completion: the CPUs take interrupts (vectors, MSR[EE] on), the
    stop request is an external interrupt taken mid-call, and the interrupt returns to the thread it
    interrupted (no preemption: no context switch comes of it). The hog, stopped inside `spin`, is not
    inside `obj`: the swap completes, with no violation, where the stop_machine default waits."""
    sc = copy.deepcopy(HOG)
    sc["machine"]["cpus"] = 2
    sc["implementations"]["Spin"]["methods"]["work"]["instructions"] = 100000
    sc["workloads"]["hog"]["cpus"] = [1]
    sc["events"][0].update(strategy="stack_trace", cpu=0)
    for strategy in ["stack_trace", "direct"]:
        sc["events"][0]["strategy"] = strategy
        ipi, out = run(tmp_path, sc, f"hotswap.strategies.{strategy}.ipi=1", name=f"ipi-{strategy}")
        sw = ipi["swaps"][0]
        assert sw["completed"] and ipi["safety"]["violations"] == 0, sw.get("waiting")
        assert sw["details"]["stop_cycles"] < 2000
        assert ipi["simulated"]["interrupts"] >= 1 and ipi["simulated"]["preemptions"] == 0
        again, out2 = run(tmp_path, sc, f"hotswap.strategies.{strategy}.ipi=1", name=f"again-{strategy}")
        for f in ["calls.csv", "swaps.csv", "phases.csv", "cpus.csv"]:
            assert (out / f).read_bytes() == (out2 / f).read_bytes(), f


def test_an_ipi_finds_threads_inside_where_stop_machine_does_not(tmp_path):
    """Four CPUs, each with two threads calling `obj` nearly all the time. Stopped at their next
    scheduling point (the default), every thread is between calls and the first walk succeeds; stopped
    by an IPI, threads are caught in the middle of their calls, so walks find one inside and retry."""
    sc = copy.deepcopy(HOG)
    sc["machine"]["cpus"] = 4
    del sc["workloads"]["hog"]
    sc["workloads"]["clients"].update(think_us=0.05, calls_per_request=20)
    sc["events"][0].update(strategy="stack_trace", at_us=40)
    sc["run"]["duration_us"] = 200
    machine, _ = run(tmp_path, sc, name="machine")
    ipi, _ = run(tmp_path, sc, "hotswap.strategies.stack_trace.ipi=1", name="ipi")
    assert machine["swaps"][0]["completed"] and machine["swaps"][0]["details"].get("retries", 0) == 0
    assert ipi["swaps"][0]["details"].get("retries", 0) >= 1 and ipi["simulated"]["interrupts"] >= 3
    assert ipi["safety"]["violations"] == 0 and machine["safety"]["violations"] == 0
