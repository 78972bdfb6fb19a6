"""Where a swap's time goes (issue 21, part 3): each phase on each CPU split into the mechanism's
work, waiting for the CPU, for quiescence and for other CPUs (phases.csv, activity.csv,
summary.json). For every strategy the binary lists, on scenarios/k42-swap.yaml: a phase's four
columns sum to its cycles; activity.csv's stretches tile each CPU's part without gaps or overlaps
and sum to phases.csv's columns; summary.json agrees with both. And the figures the split exists
to explain: in k42-swap.yaml, one CPU's worker waits thousands of cycles in its run queue before
its first phase while the others wait for it at the meeting (Block: other CPUs); a drain and a
walk's retries are quiescence."""
import csv
import json
import os
import subprocess
from collections import defaultdict

import pytest

import strategy_list

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")
TIMEOUT = 600
ACTIVITIES = ("mechanism", "cpu", "quiescence", "other_cpus")
COLUMNS = ("mechanism_cycles", "cpu_wait_cycles", "quiescence_cycles", "other_cpus_cycles")
OUTSIDE = ("before_first_phase", "retried")


def strategies():
    return strategy_list.listed(QUIESCE)


def run(tmp_path, scenario, *sets):
    out = tmp_path / "out"
    args = [QUIESCE, "run", scenario, "-q", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        summary = json.load(f)
    with open(out / "phases.csv", newline="") as f:
        phases = list(csv.DictReader(f))
    with open(out / "activity.csv", newline="") as f:
        activity = list(csv.DictReader(f))
    return summary, phases, activity


def check_split(summary, phases, activity):
    """The invariants every run's split must keep; returns {(swap, cpu, phase): {activity: cycles}}."""
    assert phases, "no phases recorded"
    table = {}
    for row in phases:
        split = [int(row[c]) for c in COLUMNS]
        assert all(v >= 0 for v in split)
        key = (int(row["swap"]), int(row["cpu"]), row["phase"])
        assert key not in table, f"{key} twice in phases.csv"
        assert row["phase"] not in OUTSIDE
        table[key] = dict(zip(ACTIVITIES, split))
        if int(row["end_cycle"]):
            assert sum(split) == int(row["cycles"]), row
        else:  # unfinished: the split so far
            assert sum(split) <= int(summary["simulated"]["cycles"]), row
    # The rest of each CPU's time, from summary.json.
    for sw in summary["swaps"]:
        for c in sw["cpus"]:
            for name, o in c["outside_phases"].items():
                assert name in OUTSIDE and sum(o["split"].values()) == o["cycles"]
                if o["cycles"]:
                    table[(sw["id"], c["cpu"], name)] = o["split"]

    # activity.csv: per swap and CPU, contiguous stretches summing to phases.csv.
    spans = defaultdict(list)
    for a in activity:
        assert a["activity"] in ACTIVITIES, a
        s, e = int(a["start_cycle"]), int(a["end_cycle"])
        assert e > s and int(a["cycles"]) == e - s, a
        spans[(int(a["swap"]), int(a["cpu"]))].append(a)
    summed = defaultdict(lambda: dict.fromkeys(ACTIVITIES, 0))
    for (swap, cpu), rows in spans.items():
        for prev, cur in zip(rows, rows[1:]):
            assert int(cur["start_cycle"]) == int(prev["end_cycle"]), f"gap or overlap on cpu {cpu}: {prev} {cur}"
            assert (prev["phase"], prev["activity"]) != (cur["phase"], cur["activity"]), "unmerged stretches"
        for a in rows:
            summed[(swap, cpu, a["phase"])][a["activity"]] += int(a["cycles"])
    for key, split in table.items():
        assert summed.get(key, dict.fromkeys(ACTIVITIES, 0)) == split, key
    assert set(summed) <= set(table)

    # summary.json: the same numbers per CPU and phase, and the swap's total.
    for sw in summary["swaps"]:
        total = dict.fromkeys(ACTIVITIES, 0)
        for c in sw["cpus"]:
            for name, ph in c["phases"].items():
                assert ph["split"] == table[(sw["id"], c["cpu"], name)]
            for key, split in table.items():
                if key[:2] == (sw["id"], c["cpu"]):
                    for a in ACTIVITIES:
                        total[a] += split[a]
        assert sw["split"] == total
    return table


STRATEGIES = strategies()


def test_the_binary_lists_strategies():
    assert len(STRATEGIES) >= 6


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_splits_its_time(tmp_path, strategy):
    summary, phases, activity = run(tmp_path, K42_SWAP, f"events[0].strategy={strategy}")
    table = check_split(summary, phases, activity)
    (sw,) = summary["swaps"]
    assert sw["completed"]
    # The mechanism works in every swap; before its first phase a swap's thread waits for its CPU.
    assert sw["split"]["mechanism"] > 0
    assert any(v["cpu"] > 0 for (s, c, p), v in table.items() if p == "before_first_phase")


def test_k42_a_late_worker_is_waiting_for_its_cpu_and_the_others_wait_for_it(tmp_path):
    # How late the latest worker starts depends on the run queues at the event (1,400 to 11,600 cycles over
    # seeds 1-20): the first of seeds 1-10 where it waits over 5,000 cycles (the issue's ~8,000).
    for seed in range(1, 11):
        summary, phases, activity = run(tmp_path, K42_SWAP, f"run.seed={seed}")
        table = check_split(summary, phases, activity)
        before = {c: v for (s, c, p), v in table.items() if p == "before_first_phase"}
        late = max(before, key=lambda c: before[c]["cpu"])
        if before[late]["cpu"] > 5000:
            break
    assert before[late]["cpu"] > 5000, "no seed in 1-10 has a worker waiting 5,000 cycles for its CPU"
    block = {c: v for (s, c, p), v in table.items() if p == "block"}
    # Meanwhile the CPUs that started early wait at the first meeting, for the late one.
    early = [c for c in block if before[c]["cpu"] < before[late]["cpu"] / 4]
    assert early and all(block[c]["other_cpus"] > block[c]["mechanism"] for c in early)
    # Forward waits on generations somewhere (a CPU whose generation had threads in it).
    assert any(v["quiescence"] > 0 for (s, c, p), v in table.items() if p == "forward")


def test_a_drain_is_quiescence(tmp_path):
    summary, phases, activity = run(tmp_path, K42_SWAP, "events[0].strategy=global_refcount")
    table = check_split(summary, phases, activity)
    (block,) = [v for (s, c, p), v in table.items() if p == "block"]
    assert block["quiescence"] > 0 and block["other_cpus"] == 0


def test_a_walks_retries_are_quiescence(tmp_path):
    """Every lookup waits 8 us for I/O inside the cache: the walks keep finding a thread inside, the
    swap retries (each retry's sleep is quiescence, its earlier attempts in `retried`) and gives up."""
    summary, phases, activity = run(tmp_path, K42_SWAP, "events[0].strategy=stack_trace",
                                    "hotswap.strategies.stack_trace.max_retries=5",
                                    "hotswap.strategies.stack_trace.retry_us=1",
                                    "implementations.FileCache.methods.lookup.io="
                                    "{probability: 1.0, mean_us: 8, distribution: fixed}")
    table = check_split(summary, phases, activity)
    (sw,) = summary["swaps"]
    assert not sw["completed"] and sw["details"]["retries"] == 5
    (retried,) = [v for (s, c, p), v in table.items() if p == "retried"]
    (c0,) = summary["swaps"][0]["cpus"]
    spans = [a for a in activity if a["phase"] == "retried"]
    assert c0["outside_phases"]["retried"]["start"] == int(spans[0]["start_cycle"])
    assert c0["outside_phases"]["retried"]["end"] == int(spans[-1]["end_cycle"])
    # Five sleeps of 1 us (2,000 cycles at 2 GHz) waiting for the thread inside to leave.
    assert retried["quiescence"] == 5 * 2000
    assert retried["mechanism"] > 0
