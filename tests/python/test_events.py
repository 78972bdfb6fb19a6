"""Every event measured, from Python: Result.events (events.csv: one row per event, the swap events
then the updates), the headline's per-event metrics event{i}_METRIC (quiesce.results.EVENT_METRICS),
and quiesce.sweep's columns for every event of the run with the most (NaN where a run has fewer),
kept by the cache."""
import json
import math
import shutil

import pytest

import quiesce
from quiesce.results import EVENT_METRICS, HEADLINE_COLUMNS, event_columns, headline
from conftest import as_older_results

CYCLES_PER_US = 2000  # the default 2 GHz clock
INC = lambda n: {"inc": {"instructions": n, "state_atomics": 1}}
GROUP_SWAP = {"type": "swap", "object": "counters", "to": "CounterAlt", "at_us": 20}
UPDATE = {"type": "update", "class": "Widget", "to_version": 2, "at_us": 30, "cpu": 1}


def scenario(events=(GROUP_SWAP, UPDATE)):
    """A group swap of 8 counters and a dynamic update of 4 widgets, on 4 CPUs, 150 µs."""
    return {"name": "py-events",
            "machine": {"cpus": 4},
            "implementations": {"Counter": {"methods": INC(20)},
                                "CounterAlt": {"class": "Counter", "version": 3, "methods": INC(18)},
                                "Widget": {"methods": INC(20)},
                                "WidgetV2": {"class": "Widget", "version": 2, "methods": INC(16)}},
            "objects": {"counters": {"implementation": "Counter", "count": 8},
                        "widgets": {"implementation": "Widget", "count": 4}},
            "workloads": {"w": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 2,
                                "mix": [{"object": "counters", "method": "inc"},
                                        {"object": "widgets", "method": "inc"}]}},
            "events": list(events),
            "run": {"duration_us": 150, "seed": 1}}


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    return quiesce.run(scenario(), out=tmp_path_factory.mktemp("events") / "out", timeout=120)


def test_result_events_is_events_csv(res):
    ev = res.events
    assert list(ev["event"]) == [0, 1]
    assert list(ev["type"]) == ["swap", "update"] and list(ev["object"]) == ["counters", "Widget"]
    assert list(ev["instances"]) == [8, 4] and list(ev["swaps_completed"]) == [8, 4]
    assert ev["completed"].dtype == bool and ev["completed"].all()
    # The same numbers as summary.json's events, and the swaps' sums.
    for row, e in zip(ev.to_dict("records"), res.summary["events"]):
        assert row == e
    for e, sws in ((0, res.swaps.iloc[:8]), (1, res.swaps.iloc[8:])):
        row = ev.iloc[e]
        assert row["first_start_cycle"] == sws["start_cycle"].min()
        assert row["last_end_cycle"] == sws["end_cycle"].max()
        assert row["slowest_cycles"] == sws["cycles"].max() == res.swaps["cycles"][row["slowest_swap"]]
        assert row["blocked"] == sws["blocked"].sum() and row["violations"] == sws["violations"].sum()
    assert "events" in quiesce.results.TABLES


def test_headline_has_every_events_metrics(res):
    m = res.metrics
    assert list(m) == HEADLINE_COLUMNS + event_columns(2)
    assert m["event_count"] == 2 and m["swaps"] == 12
    for i, e in enumerate(res.summary["events"]):
        assert m[f"event{i}_completed"] is True
        assert m[f"event{i}_cycles"] == e["cycles"] > 0
        assert m[f"event{i}_us"] == pytest.approx(e["cycles"] / CYCLES_PER_US)
        assert m[f"event{i}_slowest_us"] == pytest.approx(e["slowest_cycles"] / CYCLES_PER_US)
        assert m[f"event{i}_slowest_us"] <= m[f"event{i}_us"]
        assert m[f"event{i}_violations"] == e["violations"] == 0
        assert m[f"event{i}_held"] == e["blocked"]
        assert m[f"event{i}_blocked_cycles_max"] == e["blocked_cycles_max"]
    # The first swap's metrics are still the first swap's (one instance of the group).
    assert m["swap_cycles"] == res.summary["swaps"][0]["cycles"] <= m["event0_cycles"]


def test_results_without_events(res, tmp_path):
    """A results directory from before events.csv: no Result.events, no event columns."""
    old = tmp_path / "old"
    shutil.copytree(res.out, old)
    (old / "events.csv").unlink()
    s = json.loads((old / "summary.json").read_text())
    del s["events"]
    (old / "summary.json").write_text(json.dumps(s))
    as_older_results(old)
    r = quiesce.load(old)
    assert r.events is None
    assert list(r.metrics) == HEADLINE_COLUMNS and r.metrics["event_count"] == 0


def test_sweep_columns_for_every_event(tmp_path, run_log):
    cache = tmp_path / "cache"
    pts = [{"events": [GROUP_SWAP]}, {"events[0].strategy": "rwlock"}]  # 1 event; the base's 2
    df = quiesce.sweep(scenario(), points=pts, cache_dir=cache, jobs=2, progress=False, timeout=120)
    assert len(run_log) == 2
    metrics = HEADLINE_COLUMNS + event_columns(2)
    assert list(df.columns) == ["events", "events[0].strategy"] + metrics + ["out", "key", "cached"]
    assert list(df["event_count"]) == [1, 2]
    assert len(EVENT_METRICS) == 7 and "event1_us" in df.columns and "event2_us" not in df.columns
    for row in df.to_dict("records"):
        m = quiesce.load(row["out"]).metrics
        for c in event_columns(m["event_count"]):
            assert row[c] == m[c] or (isinstance(m[c], float) and math.isnan(m[c]) and math.isnan(row[c])), c
    one, two = df.to_dict("records")
    assert one["event0_completed"] and two["event0_completed"] and two["event1_completed"]
    assert all(math.isnan(one[c]) for c in event_columns(2)[len(EVENT_METRICS):] if c != "event1_completed")
    assert two["event1_held"] == quiesce.load(two["out"]).events["blocked"][1]

    # Cached: the same columns, nothing recomputed; a point.json of an older package (no event metrics)
    # gets them back from its results directory, without a rerun.
    point = cache / "points" / one["key"] / "point.json"
    p = json.loads(point.read_text())
    p["metrics"] = {k: v for k, v in p["metrics"].items() if k in HEADLINE_COLUMNS and k != "event_count"}
    point.write_text(json.dumps(p))
    run_log.clear()
    again = quiesce.sweep(scenario(), points=pts, cache_dir=cache, jobs=2, progress=False)
    assert len(run_log) == 0 and again["cached"].all()
    cols = [c for c in df.columns if c != "cached"]
    assert again[cols].equals(df[cols])


def test_sweep_picks_an_events_metric_by_name(tmp_path):
    """A grid over the update's strategy: event1_us is the time its instance swaps took, per strategy."""
    df = quiesce.sweep(scenario(), {"events[1].strategy": ["k42_generation", "rwlock"]}, cache_dir=False,
                       jobs=2, progress=False, timeout=120)
    assert df["event1_completed"].all() and (df["event1_us"] > 0).all()
    for row in df.itertuples(index=False):
        (u,) = quiesce.load(row.out).summary["updates"]
        # From its first instance swap (after the factory's) to its last (the update's end).
        assert 0 < row.event1_us <= (u["end_cycle"] - u["factory_swapped_cycle"]) / CYCLES_PER_US
        assert headline(row.out)["event1_us"] == row.event1_us


def test_the_headline_splits_the_first_swap_and_counts_preemptions(tmp_path):
    """swap_*_cycles are the first swap's split (summary.json), summing to its CPU-cycles; preemptions
    counts the scheduler's (0 under run_to_completion, more under preemptive with short slices)."""
    from conftest import K42_SWAP
    r = quiesce.run(K42_SWAP, set={"machine.cpus": 4, "run.duration_us": 200}, out=tmp_path / "rtc")
    m = r.metrics
    split = r.summary["swaps"][0]["split"]
    assert [m[f"swap_{k}_cycles"] for k in ("mechanism", "cpu_wait", "quiescence", "other_cpus")] == \
        [split["mechanism"], split["cpu"], split["quiescence"], split["other_cpus"]]
    assert m["swap_mechanism_cycles"] > 0 and m["preemptions"] == 0
    p = quiesce.run(K42_SWAP, set={"machine.cpus": 4, "run.duration_us": 200, "os.scheduler.policy": "preemptive",
                                   "os.scheduler.tick_us": 2, "os.scheduler.system_priority": 5}, out=tmp_path / "pre")
    assert p.metrics["preemptions"] > 0 and p.metrics["swap_completed"]


def test_patches_one_row_per_member(tmp_path):
    """A patch of the counter group and the widget update: Result.patches has a row per member swap (8 + 4),
    all committed at one joint point; a run without patches has an empty table."""
    patch = {"type": "patch", "at_us": 20, "parts": [{k: v for k, v in GROUP_SWAP.items() if k != "at_us"},
                                                      {k: v for k, v in UPDATE.items() if k not in ("at_us", "cpu")}]}
    r = quiesce.run(scenario([patch]), out=tmp_path / "out", timeout=120)
    p = r.patches
    assert len(p) == 12 and set(p["outcome"]) == {"committed"}
    assert p["joint_cycle"].nunique() == 1 and (p["ready_cycle"] <= p["joint_cycle"]).all()
    assert p["ready_cycle"].max() == p["joint_cycle"].iloc[0] and p["completed"].all()
    assert sorted(p["object"].str.split("[").str[0].unique()) == ["counters", "widgets"]


def test_no_patches_is_an_empty_table(res):
    assert res.patches.empty and "joint_cycle" in res.patches.columns
