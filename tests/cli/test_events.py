"""Every event measured: summary.json's `events` and events.csv give one row per event (the swap
events, then the updates, numbered as summary.json's scenario.events lists them), its swaps summed
up: a group swap of 8 instances is one row with instances 8, a dynamic update one row over its
instance swaps. Each swap in summary.json says its `event`; a swap queued behind another swap of
the same object still belongs to its own event. Run with
    QUIESCE=build/quiesce /usr/bin/python3 -m pytest tests/cli/test_events.py
"""
import csv
import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TIMEOUT = 300  # generous: the same tests may run under ASan (each run takes well under a second)

COLUMNS = ["event", "type", "object", "strategy", "instances", "swaps", "swaps_completed", "completed",
           "first_start_cycle", "last_end_cycle", "cycles", "slowest_swap", "slowest_cycles", "blocked", "released",
           "blocked_cycles_total", "blocked_cycles_max", "violations"]

INC = lambda n: {"inc": {"instructions": n, "state_atomics": 1}}


def scenario(events, duration=200):
    """8 counters and 4 widgets on 4 CPUs; Counter has versions 1 (Counter), 2 (CounterV2) and 3 (CounterAlt)."""
    return {"name": "events",
            "machine": {"cpus": 4},
            "implementations": {"Counter": {"methods": INC(20)},
                                "CounterV2": {"class": "Counter", "version": 2, "methods": INC(16)},
                                "CounterAlt": {"class": "Counter", "version": 3, "methods": INC(18)},
                                "Widget": {"methods": INC(20)},
                                "WidgetV2": {"class": "Widget", "version": 2, "methods": INC(16)}},
            "objects": {"counters": {"implementation": "Counter", "count": 8},
                        "widgets": {"implementation": "Widget", "count": 4}},
            "workloads": {"w": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 2,
                                "mix": [{"object": "counters", "method": "inc"},
                                        {"object": "widgets", "method": "inc"}]}},
            "events": events,
            "run": {"duration_us": duration}}


# The group swap of counters runs for several µs from 20 µs. The update of Widget, listed first, is
# echoed after it (swaps first, then updates): event 1. The update of Counter starts while the group
# swap runs: its swaps of the counters still being swapped wait behind the group's.
EVENTS = [{"type": "update", "class": "Widget", "to_version": 2, "at_us": 20},
          {"type": "swap", "object": "counters", "to": "CounterAlt", "at_us": 20, "cpu": 0},
          {"type": "update", "class": "Counter", "to_version": 2, "at_us": 20.5, "cpu": 1}]


class Results:
    def __init__(self, d):
        with open(os.path.join(d, "summary.json")) as f:
            self.summary = json.load(f)
        with open(os.path.join(d, "events.csv"), newline="") as f:
            self.events_csv = list(csv.DictReader(f))
        with open(os.path.join(d, "events.csv"), newline="") as f:
            self.events_header = next(csv.reader(f))

    @property
    def events(self):
        return self.summary["events"]

    @property
    def swaps(self):
        return self.summary["swaps"]

    def swaps_of(self, e):
        return [sw for sw in self.swaps if sw["event"] == e]


def results(tmp_path, doc, name="out"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))
    p = subprocess.run([QUIESCE, "run", str(f), "-q", "-o", str(tmp_path / name)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    return Results(tmp_path / name)


@pytest.fixture(scope="module")
def r(tmp_path_factory):
    return results(tmp_path_factory.mktemp("events"), scenario(EVENTS))


def test_one_row_per_event_in_the_order_scenario_events_echoes(r):
    echoed = r.summary["scenario"]["events"]
    assert [e["type"] for e in echoed] == ["swap", "update", "update"]
    assert [e["event"] for e in r.events] == [0, 1, 2]
    assert [(e["type"], e["object"], e["strategy"]) for e in r.events] == \
        [("swap", "counters", "k42_generation"), ("update", "Widget", "k42_generation"),
         ("update", "Counter", "k42_generation")]
    assert [e.get("object", e.get("class")) for e in echoed] == [e["object"] for e in r.events]
    assert list(r.summary)[list(r.summary).index("swaps"):][:3] == ["swaps", "updates", "events"]


def test_group_swap_is_one_event_of_8_instances(r):
    (ev, sws) = r.events[0], r.swaps_of(0)
    assert ev["instances"] == ev["swaps"] == ev["swaps_completed"] == len(sws) == 8
    assert sorted(sw["object"] for sw in sws) == [f"counters[{i}]" for i in range(8)]
    assert {sw["to"] for sw in sws} == {"CounterAlt"}
    assert ev["completed"] is True


def test_update_is_one_event_over_its_instance_swaps(r):
    widgets, counters = r.summary["updates"]
    for e, u, n, to in ((1, widgets, 4, "WidgetV2"), (2, counters, 8, "CounterV2")):
        ev, sws = r.events[e], r.swaps_of(e)
        assert u["completed"] and ev["completed"] is True
        assert ev["instances"] == u["instances"] == u["swapped"] == ev["swaps"] == len(sws) == n
        assert {sw["to"] for sw in sws} == {to}
        # Within the update, after its factory's swap.
        assert ev["first_start_cycle"] >= u["factory_swapped_cycle"] and ev["last_end_cycle"] == u["end_cycle"]


def test_a_swap_queued_behind_another_event_belongs_to_its_own_event(r):
    group_end = {sw["object"]: sw["end_cycle"] for sw in r.swaps_of(0)}
    queued = [sw for sw in r.swaps_of(2) if sw["start_cycle"] == group_end[sw["object"]]]
    assert queued, "the update's swaps should have waited behind the group swap"
    assert all(sw["id"] > max(s["id"] for s in r.swaps_of(0)) for sw in queued)
    assert all(sw["event"] == 2 for sw in r.swaps if sw["to"] == "CounterV2")


def test_each_row_sums_up_its_swaps(r):
    assert sum(e["swaps"] for e in r.events) == len(r.swaps) == 20
    for ev in r.events:
        sws = r.swaps_of(ev["event"])
        assert all(ev["first_start_cycle"] <= sw["start_cycle"] for sw in sws)
        assert ev["first_start_cycle"] == min(sw["start_cycle"] for sw in sws)
        assert ev["last_end_cycle"] == max(sw["end_cycle"] for sw in sws)
        assert ev["cycles"] == ev["last_end_cycle"] - ev["first_start_cycle"] > 0
        slowest = max(sws, key=lambda sw: sw["cycles"])
        assert ev["slowest_cycles"] == slowest["cycles"] == max(sw["cycles"] for sw in sws)
        assert r.swaps[ev["slowest_swap"]]["cycles"] == ev["slowest_cycles"]
        assert r.swaps[ev["slowest_swap"]]["event"] == ev["event"]
        for key in ("blocked", "released", "blocked_cycles_total", "violations"):
            assert ev[key] == sum(sw[key] for sw in sws), key
        assert ev["blocked_cycles_max"] == max(sw["blocked_cycles_max"] for sw in sws)
        assert ev["blocked"] == ev["released"]
    assert sum(e["violations"] for e in r.events) == r.summary["safety"]["violations"] == 0
    assert sum(e["blocked"] for e in r.events) > 0  # the updates held calls: the sums are not all zeros


def test_events_csv_agrees_with_summary(r):
    assert r.events_header == COLUMNS
    assert len(r.events_csv) == len(r.events)
    for row, ev in zip(r.events_csv, r.events):
        assert list(ev) == COLUMNS
        for key, value in row.items():
            expected = ev[key]
            if isinstance(expected, bool):
                expected = "true" if expected else "false"
            assert value == str(expected), key


def test_events_not_fired_or_not_done(tmp_path):
    """A swap started 0.5 µs before the end does not complete; an update waiting for more calls than the
    run makes never fires."""
    r = results(tmp_path, scenario([{"type": "swap", "object": "counters", "to": "CounterAlt", "at_us": 199.5},
                                    {"type": "update", "class": "Widget", "to_version": 2,
                                     "after_calls": 10 ** 9}]))
    late, never = r.events
    assert late["instances"] == late["swaps"] == 8 and late["swaps_completed"] < 8
    assert late["completed"] is False and late["cycles"] == 0
    assert late["first_start_cycle"] == min(sw["start_cycle"] for sw in r.swaps_of(0))
    if late["swaps_completed"] == 0:
        assert late["slowest_swap"] == -1 and late["last_end_cycle"] == 0
    assert never["swaps"] == never["instances"] == 0 and never["completed"] is False
    assert (never["first_start_cycle"], never["last_end_cycle"], never["cycles"], never["slowest_swap"]) == \
        (0, 0, 0, -1)
    assert r.summary["updates"][0]["completed"] is False


def test_no_events_no_rows(tmp_path):
    r = results(tmp_path, scenario([]))
    assert r.events == [] and r.events_csv == [] and r.events_header == COLUMNS
