"""Updates that add methods (issue 23 part 4): a new version may add methods after the old one's
(same vtable slots for the old ones). A workload may call an added method only if an event switches
every instance of the object to a version that has it, at a time, and the workload starts at or after
that time; the reader refuses anything else with the place named and exit 2. At run time a call to an
added method that reaches an implementation lacking it (the switch not done yet for that instance) runs
no method body and is a violation of the oracle's, attributed to the swap."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TIMEOUT = 600
MISSING = "a call to a method the new version adds reached the old code"


def impl(version, extra):
    methods = {"get": {"instructions": 40, "mix": {"alu": 3, "load": 1}, "state_reads": 1, "state_atomics": 1},
               "put": {"instructions": 60, "mix": {"alu": 3}, "state_atomics": 1}}
    if extra:
        methods["stat"] = {"instructions": 30, "mix": {"alu": 2}, "state_reads": 1, "state_atomics": 1}
    i = {"root": "shared", "state_bytes": 256, "methods": methods}
    if version == 2:
        i.update({"class": "SvcV1", "version": 2})
    return i


def scenario(start_us=150, event=None, count=1):
    """svc (SvcV1: get, put) switched at 50 us to SvcV2, which adds stat; workload `new` calls stat from start_us."""
    return {
        "name": "added-methods",
        "machine": {"cpus": 4},
        "implementations": {"SvcV1": impl(1, False), "SvcV2": impl(2, True)},
        "objects": {"svc": {"implementation": "SvcV1", "count": count}},
        "workloads": {
            "old": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 1, "calls_per_request": 4,
                    "mix": [{"object": "svc", "method": "get"}, {"object": "svc", "method": "put"}]},
            "new": {"kind": "closed", "cpus": "all", "threads": 1, "think_us": 1, "calls_per_request": 2,
                    "start_us": start_us,
                    "mix": [{"object": "svc", "method": "stat"}, {"object": "svc", "method": "get"}]},
        },
        "events": [event or {"type": "swap", "object": "svc", "to": "SvcV2", "strategy": "k42_generation",
                             "at_us": 50, "cpu": 0}],
        "run": {"duration_us": 300},
    }


def write(tmp_path, sc, name="s"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(sc, indent=1))
    return path


def run(tmp_path, sc, name="s"):
    path = write(tmp_path, sc, name)
    out = tmp_path / f"{name}.out"
    p = subprocess.run([QUIESCE, "run", str(path), "-q", "-o", str(out)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        return json.load(f)


def stat_calls(s):
    (obj,) = s["objects"]
    return {m["name"]: m["calls"] for m in obj["methods"]}["stat"]


def audit_ok(s):
    (a,) = s["safety"]["calls_audit"]
    return a["served"] <= a["counted"] <= a["served"] + a["in_flight"]


@pytest.mark.parametrize("event", [
    {"type": "swap", "object": "svc", "to": "SvcV2", "strategy": "k42_generation", "at_us": 50, "cpu": 0},
    {"type": "swap", "object": "svc", "to": "SvcV2", "strategy": "rcu", "at_us": 50, "cpu": 1},
    {"type": "update", "class": "SvcV1", "to_version": 2, "strategy": "percpu_refcount", "at_us": 50, "cpu": 2},
], ids=["swap-k42_generation", "swap-rcu", "update-percpu_refcount"])
def test_an_added_method_called_after_the_switch_runs_with_no_violation(tmp_path, event):
    s = run(tmp_path, scenario(start_us=150, event=event))
    assert all(w["completed"] for w in s["swaps"])
    assert max(w["end_cycle"] for w in s["swaps"]) < 150 * 2000  # the switch is done before `new` starts
    assert s["safety"]["violations"] == 0, s["safety"]["details"][:2]
    assert stat_calls(s) > 50
    assert audit_ok(s), s["safety"]["calls_audit"]


@pytest.mark.parametrize("strategy", ["k42_generation", "percpu_refcount", "rcu"])
def test_an_added_method_reaching_the_old_code_is_a_violation(tmp_path, strategy):
    """Forced: `new` starts with the swap (50 us), so its first calls may reach SvcV1, which lacks stat (a
    race with the switch: the first of seeds 1-8 where one does). Such a call runs no body (it is not served,
    and the state counts nothing: the audit agrees)."""
    event = {"type": "swap", "object": "svc", "to": "SvcV2", "strategy": strategy, "at_us": 50, "cpu": 0}
    for seed in range(1, 9):
        sc = scenario(start_us=50, event=event)
        sc["run"]["seed"] = seed
        s = run(tmp_path, sc, name=f"seed{seed}")
        if s["safety"]["violations"]:
            break
    (sw,) = s["swaps"]
    assert sw["completed"]
    v = s["safety"]["details"]
    assert s["safety"]["violations"] == len(v) >= 1
    assert all(MISSING in x["what"] and "called svc.stat, a method SvcV1 lacks (vtable slot 2" in x["what"] for x in v), v
    assert all(x["object"] == "svc" for x in v)
    assert sw["violations"] == len(v)  # each attributed to the swap
    assert all(x["cycle"] < sw["end_cycle"] + 2000 for x in v)  # during the switch (within a quantum)
    assert audit_ok(s), s["safety"]["calls_audit"]


def refusal(tmp_path, sc):
    path = write(tmp_path, sc)
    p = subprocess.run([QUIESCE, "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l]
    assert len(lines) == 1 and lines[0].startswith(f"quiesce: {path}:"), p.stderr
    return lines[0].split(": ", 2)[2]


LACKS = "workloads.new.mix[0].method: SvcV1 (the implementation of svc) has no method 'stat'"


def test_a_workload_starting_before_the_switch_is_refused(tmp_path):
    assert refusal(tmp_path, scenario(start_us=10)) == (
        f"{LACKS}; events[0] switches svc to SvcV2, which adds it, at 50 us: a workload calling it must start at or "
        "after then (its start_us is 10)")


def test_a_call_no_event_makes_possible_is_refused(tmp_path):
    sc = scenario()
    sc["implementations"]["SvcV3"] = impl(1, False)
    sc["events"][0]["to"] = "SvcV3"
    assert refusal(tmp_path, sc) == (
        f"{LACKS}, and no event switches every instance of svc to a version that has it: a call to a method a new "
        "version adds needs that switch first")


def test_a_switch_of_one_instance_only_is_not_enough(tmp_path):
    sc = scenario(count=2)
    sc["events"][0]["object"] = "svc[0]"
    assert refusal(tmp_path, sc) == (
        f"{LACKS}, and no event switches every instance of svc to a version that has it: a call to a method a new "
        "version adds needs that switch first")


def test_a_switch_triggered_by_calls_is_refused(tmp_path):
    sc = scenario()
    del sc["events"][0]["at_us"]
    sc["events"][0]["after_calls"] = 1000
    assert refusal(tmp_path, sc) == (
        f"{LACKS}; events[0] switches svc to SvcV2, which adds it, after_calls: a workload calling it must start "
        "after the switch, so that event needs at_us")


def test_a_swap_back_to_the_version_without_the_method_is_refused(tmp_path):
    sc = scenario()
    sc["events"].append({"type": "swap", "object": "svc", "to": "SvcV1", "at_us": 200})
    assert refusal(tmp_path, sc) == (
        "events[1].to: SvcV1 does not have the interface of SvcV2 (the implementation of svc): SvcV1 has no method "
        "'stat' (vtable slot 2 of SvcV2); each of its methods in the same vtable slot is needed (a new version may "
        "add methods after them)")


def test_direct_cannot_add_methods(tmp_path):
    sc = scenario()
    sc["events"][0]["strategy"] = "direct"
    assert refusal(tmp_path, sc) == (
        "events[0].strategy: direct cannot switch to a version that adds methods (constraint same_interface: it "
        "binds call sites per method), and SvcV2 adds 'stat' to SvcV1")


def test_a_nested_call_to_an_added_method_is_refused(tmp_path):
    """Only workloads may call added methods: a nested call site is compiled against its callee's implementation."""
    sc = scenario()
    sc["implementations"]["Caller"] = {"methods": {"go": {"calls": [{"object": "svc", "method": "stat"}]}}}
    sc["objects"]["caller"] = {"implementation": "Caller"}
    msg = refusal(tmp_path, sc)
    assert msg == "implementations.Caller.methods.go.calls[0].method: SvcV1 (the implementation of svc) has no " \
                  "method 'stat'; known: get, put", msg
