"""Patches (issue 23, part 3): several swaps and eager updates that switch as one.

Every member swap holds at its own safe point until all are at theirs (the joint safe point), then all
switch; a member that cannot get there holds the others, and a patch that gives up leaves every part
on its old implementation, its held calls released to the old objects. The oracle checks every part's
old object at the joint point, and the exactly-once audit every object's calls."""
import copy
import os

import yaml

from run_scenario import run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PATCH = os.path.join(ROOT, "scenarios", "patch.yaml")


def base():
    with open(PATCH) as f:
        return yaml.safe_load(f)


def implementations(summary):
    return {o["name"]: o["implementation_now"] for o in summary["objects"]}


def check_released(summary):
    for s in summary["swaps"]:
        assert s["blocked"] == s["released"], s


def test_the_parts_switch_at_one_joint_safe_point(tmp_path):
    s, _ = run(tmp_path, PATCH)
    (p,) = s["patches"]
    assert p["outcome"] == "committed" and p["member_swaps"] == 3
    joint = p["joint_cycle"]
    assert joint > p["start_cycle"]
    for m in p["members"]:
        assert 0 < m["ready_cycle"] <= joint and m["completed"]
        assert m["held_at_safe_point_cycles"] == joint - m["ready_cycle"]
    # The last to arrive made the joint point; every part's safe point is that moment.
    assert max(m["ready_cycle"] for m in p["members"]) == joint
    for sw in s["swaps"]:
        assert joint <= sw["safe_cycle"] <= joint + 10, (sw["object"], sw["safe_cycle"], joint)
    assert implementations(s) == {"dir": "DirV2", "inodes": "InodesV2", "blocks": "BlocksV2"}
    assert s["safety"]["violations"] == 0
    assert all("skipped" not in a for a in s["safety"]["calls_audit"])
    check_released(s)
    # Parts are events of the patch.
    assert [e.get("patch") for e in s["scenario"]["events"]] == [0, 0, 0]
    assert [m["event"] for m in p["members"]] == [0, 1, 2]


def test_the_same_three_swapped_one_by_one_reach_their_safe_points_apart(tmp_path):
    sc = base()
    p = sc["events"][0]
    sc["events"] = [dict(part, at_us=p["at_us"], cpu=p["cpu"]) for part in p["parts"]]
    s, _ = run(tmp_path, sc)
    assert s["patches"] == []
    safe = sorted(sw["safe_cycle"] for sw in s["swaps"])
    assert safe[-1] - safe[0] > 100, safe  # separately each reaches its own, at its own time
    assert s["safety"]["violations"] == 0


# A thread blocked inside `blocks` for the whole run (blocks.flush waits 5 ms for I/O): the k42 part of blocks
# waits for that call in flight, so it never reaches its safe point.
FLUSH = {"instructions": 10, "io": {"probability": 1, "mean_us": 5000, "distribution": "fixed"}}


def with_holder(sc):
    sc = copy.deepcopy(sc)
    for impl in ("BlocksV1", "BlocksV2"):
        sc["implementations"][impl]["methods"]["flush"] = FLUSH
    sc["workloads"]["holder"] = {"kind": "closed", "cpus": [1], "threads": 1, "think_us": 1, "calls_per_request": 1,
                                 "mix": [{"object": "blocks", "method": "flush"}]}
    return sc


def test_a_part_that_cannot_reach_its_safe_point_holds_the_others_and_the_patch_gives_up(tmp_path):
    sc = with_holder(base())
    sc["events"][0]["give_up_us"] = 150
    # (the holder, an old thread on CPU 1, also keeps the other k42 parts from their generations: dir, under a
    # counting strategy, gets to its safe point and is held there)
    sc["events"][0]["parts"][0]["strategy"] = "global_refcount"
    s, _ = run(tmp_path, sc)
    (p,) = s["patches"]
    assert p["outcome"] == "given_up"
    assert "give_up_us" in p["why"]
    assert p["joint_cycle"] == 0
    assert p["end_cycle"] - p["start_cycle"] >= 150 * 2000  # 2 GHz
    held = {m["object"]: m for m in p["members"]}
    assert held["blocks"]["ready_cycle"] == 0  # never got there
    assert held["dir"]["ready_cycle"] > 0 and held["dir"]["held_at_safe_point_cycles"] > 0  # held for it
    # All or nothing: every part keeps version 1, no swap completed, every held call went back.
    assert implementations(s) == {"dir": "DirV1", "inodes": "InodesV1", "blocks": "BlocksV1"}
    assert not any(sw["completed"] for sw in s["swaps"])
    check_released(s)
    assert s["safety"]["violations"] == 0
    assert all("skipped" not in a for a in s["safety"]["calls_audit"])
    # The objects work on after it: calls complete in the windows after the decision.
    after = [w for w in s["windows"] if w["start_us"] > p["end_cycle"] / 2000 + 10] if "windows" in s else []
    assert s["simulated"]["calls"] > 0
    del after


def test_counting_parts_go_back_when_the_patch_gives_up(tmp_path):
    for strategy in ("global_refcount", "percpu_refcount", "rwlock"):
        sc = with_holder(base())
        sc["events"][0]["give_up_us"] = 100
        sc["events"][0]["parts"][0]["strategy"] = strategy  # dir, which no other part calls
        s, out = run(tmp_path, sc, name=strategy)
        (p,) = s["patches"]
        assert p["outcome"] == "given_up", strategy
        assert {m["object"]: m["ready_cycle"] > 0 for m in p["members"]}["dir"], strategy  # it held, gate closed
        assert implementations(s) == {"dir": "DirV1", "inodes": "InodesV1", "blocks": "BlocksV1"}, strategy
        check_released(s)
        assert s["safety"]["violations"] == 0, (strategy, s["safety"]["details"])
        # The reopened gate lets calls through again: dir's calls complete after the decision.
        rows = [r.split(",") for r in (out / "calls.csv").read_text().splitlines()[1:]]
        end_us = p["end_cycle"] / 2000
        assert sum(int(r[3]) for r in rows if float(r[1]) > end_us + 20) > 0, strategy


def test_mixed_strategies_commit_with_no_violation(tmp_path):
    for seed in (1, 2, 3):
        sc = base()
        parts = sc["events"][0]["parts"]
        parts[0]["strategy"] = ("global_refcount", "percpu_refcount", "rwlock")[seed - 1]  # dir: no part calls it
        sc["run"]["seed"] = seed
        s, _ = run(tmp_path, sc, name=f"mixed{seed}")
        (p,) = s["patches"]
        assert p["outcome"] == "committed", seed
        assert implementations(s) == {"dir": "DirV2", "inodes": "InodesV2", "blocks": "BlocksV2"}
        assert s["safety"]["violations"] == 0, (seed, s["safety"]["details"])
        check_released(s)


# An update as a part: every instance of the class is a member; the factory switches at the joint point.
def with_update(sc):
    sc = copy.deepcopy(sc)
    sc["objects"]["blocks"]["count"] = 4
    sc["workloads"]["clients"]["mix"].append({"object": "blocks", "method": "alloc", "weight": 1})
    sc["events"][0]["parts"][2] = {"type": "update", "class": "Blocks", "to_version": 2}
    # dir and inodes call blocks[0]... a group's nested calls pick an instance; keep them calling the group
    return sc


def test_an_update_part_switches_its_factory_at_the_joint_point(tmp_path):
    s, _ = run(tmp_path, with_update(base()))
    (p,) = s["patches"]
    assert p["outcome"] == "committed"
    assert p["member_swaps"] == 2 + 4
    (u,) = s["updates"]
    assert u["completed"] and p["joint_cycle"] <= u["factory_swapped_cycle"] <= p["joint_cycle"] + 5000
    assert {f["class"]: f["version"] for f in s["factories"]}["Blocks"] == 2
    assert s["safety"]["violations"] == 0


def test_a_patch_that_gives_up_leaves_the_class_at_its_version(tmp_path):
    sc = with_update(with_holder(base()))
    sc["events"][0]["give_up_us"] = 100
    s, _ = run(tmp_path, sc)
    (p,) = s["patches"]
    assert p["outcome"] == "given_up"
    (u,) = s["updates"]
    assert not u["completed"] and u["factory_swapped_cycle"] == 0
    assert {f["class"]: f["version"] for f in s["factories"]}["Blocks"] == 1
    assert not any(sw["completed"] for sw in s["swaps"])
    assert s["safety"]["violations"] == 0
    check_released(s)


def test_a_part_that_claims_its_safe_point_too_early_is_caught_at_the_joint_point(tmp_path):
    # global_refcount with drain 0 claims quiescence without waiting for the calls inside: the oracle,
    # checking every part's old object at the joint point, must catch it in some seed.
    caught = 0
    for seed in range(1, 6):
        sc = base()
        # a patch of dir alone: with other parts to wait for, the calls inside would leave meanwhile
        sc["events"][0]["parts"] = [{"type": "swap", "object": "dir", "to": "DirV2", "strategy": "global_refcount"}]
        sc.setdefault("hotswap", {})["strategies"] = {"global_refcount": {"drain": 0}}
        sc["implementations"]["DirV1"]["transfer"] = {"export": ["copy"]}  # copied at the safe point: checked there
        sc["run"]["seed"] = seed
        s, _ = run(tmp_path, sc, name=f"early{seed}")
        caught += s["safety"]["violations"] > 0
    assert caught > 0


def invalid(tmp_path, sc, expected):
    err, _ = run(tmp_path, sc, expect=2)
    assert expected in err, err


def test_the_reader_checks_patches(tmp_path):
    sc = base()
    sc["events"][0]["parts"][0]["strategy"] = "livepatch"
    invalid(tmp_path, sc, "events[0].parts[0].strategy: livepatch cannot take part in a patch (no: threads switch")
    sc = base()
    sc["events"][0]["parts"][0]["at_us"] = 5
    invalid(tmp_path, sc, "events[0].parts[0].at_us: a part starts when its patch does")
    sc = base()
    sc["events"][0]["parts"][1] = {"type": "swap", "object": "dir", "to": "DirV2"}
    invalid(tmp_path, sc, "events[0].parts[1]")
    sc = base()
    sc["events"][0]["parts"] = []
    invalid(tmp_path, sc, "events[0].parts: a patch needs at least one part")
    sc = base()
    sc["events"][0]["parts"][0] = {"type": "patch", "parts": []}
    invalid(tmp_path, sc, "a patch's parts are swaps and updates, not patch")
    sc = with_update(base())
    sc["events"][0]["parts"][2]["mode"] = "lazy"
    invalid(tmp_path, sc, "a patch's updates are eager")
    sc = base()
    sc["events"][0]["parts"][1]["strategy"] = "rwlock"
    invalid(tmp_path, sc, "events[0].parts[1].strategy: rwlock holds every call into inodes while the patch waits, "
                          "but dir (parts[0]) calls inodes")
    sc = base()
    del sc["events"][0]["parts"]
    invalid(tmp_path, sc, "missing key 'parts'")


# stack_trace as a part: it stops the world once the others hold, and its walk is the joint point.
def with_stack_trace(sc, part=0):
    sc = copy.deepcopy(sc)
    sc["events"][0]["parts"][part]["strategy"] = "stack_trace"
    return sc


def test_a_stack_trace_part_walks_once_the_others_hold(tmp_path):
    for seed in (1, 2, 3):
        sc = with_stack_trace(base(), 2)  # blocks, which calls no other part (dir or inodes would be refused)
        sc["run"]["seed"] = seed
        s, _ = run(tmp_path, sc, name=f"st{seed}")
        (p,) = s["patches"]
        assert p["outcome"] == "committed", (seed, p)
        members = {m["object"]: m for m in p["members"]}
        # The walk came last: its arrival is the joint point.
        assert members["blocks"]["ready_cycle"] == p["joint_cycle"]
        assert all(m["ready_cycle"] <= p["joint_cycle"] for m in p["members"])
        assert implementations(s) == {"dir": "DirV2", "inodes": "InodesV2", "blocks": "BlocksV2"}
        assert s["safety"]["violations"] == 0, (seed, s["safety"]["details"])
        check_released(s)


def test_a_stack_trace_part_that_gives_up_gives_the_patch_up(tmp_path):
    # A thread blocked inside blocks for the whole run: every walk finds it; after max_retries the part gives
    # up, and with it the patch: dir, holding at its safe point (rwlock: the write lock held), goes back.
    sc = with_stack_trace(with_holder(base()), 2)
    sc["events"][0]["parts"] = [{"type": "swap", "object": "dir", "to": "DirV2", "strategy": "rwlock"},
                                sc["events"][0]["parts"][2]]
    sc["hotswap"] = {"strategies": {"stack_trace": {"max_retries": 2, "retry_us": 5}}}
    s, _ = run(tmp_path, sc)
    (p,) = s["patches"]
    assert p["outcome"] == "given_up"
    assert "(stack_trace) gave up" in p["why"], p["why"]
    members = {m["object"]: m for m in p["members"]}
    assert members["dir"]["ready_cycle"] > 0 and members["dir"]["held_at_safe_point_cycles"] > 0
    walker = next(sw for sw in s["swaps"] if sw["object"] == "blocks")
    assert walker["details"]["walks"] == 3  # the first and max_retries more
    assert implementations(s) == {"dir": "DirV1", "inodes": "InodesV1", "blocks": "BlocksV1"}
    assert not any(sw["completed"] for sw in s["swaps"])
    check_released(s)
    assert s["safety"]["violations"] == 0


def test_the_reader_checks_stop_the_world_parts(tmp_path):
    sc = with_stack_trace(with_stack_trace(base(), 2), 1)
    invalid(tmp_path, sc, "events[0].parts[2].strategy: parts[1] stops the world already")
    sc = with_stack_trace(base(), 1)
    invalid(tmp_path, sc, "events[0].parts[1].strategy: stack_trace walks the stacks with every other part holding "
                          "its calls, but inodes calls blocks (parts[2])")
    sc = with_stack_trace(base(), 2)
    sc["objects"]["blocks"]["count"] = 2
    invalid(tmp_path, sc, "events[0].parts[2].strategy: stack_trace stops the world once every other swap of the "
                          "patch holds, so in a patch it swaps one instance; this part swaps 2")


def mutual_calls():
    """a.m calls b.n (which may wait for I/O), b.k calls a.j: a and b in one patch, both k42_generation."""
    io = {"probability": 0.2, "mean_us": 2}
    ms = {"A": {"m": {"instructions": 20, "state_reads": 1, "calls": [{"object": "b", "method": "n"}]},
                "j": {"instructions": 20, "state_writes": 1}},
          "B": {"n": {"instructions": 20, "state_reads": 1, "io": io},
                "k": {"instructions": 20, "state_reads": 1, "calls": [{"object": "a", "method": "j"}]}}}
    impls = {}
    for name, m in ms.items():
        impls[name] = {"methods": m}
        impls[name + "2"] = {"methods": {k: {**b, "instructions": b["instructions"] - 5} for k, b in m.items()}}
    return {"machine": {"cpus": 4}, "implementations": impls,
            "objects": {"a": {"implementation": "A"}, "b": {"implementation": "B"}},
            "workloads": {"w": {"kind": "closed", "cpus": "all", "threads": 3, "think_us": 1, "calls_per_request": 2,
                                "mix": [{"object": "a", "method": "m"}, {"object": "b", "method": "k"}]}},
            "events": [{"type": "patch", "at_us": 50, "parts": [{"type": "swap", "object": "a", "to": "A2"},
                                                                 {"type": "swap", "object": "b", "to": "B2"}]}],
            "run": {"duration_us": 200}}


def test_k42_parts_that_call_each_other_reach_their_joint_point(tmp_path):
    """A part holding at its first meeting lets a nested call through from a thread whose call executes the
    other part (forwarded, or in it since before that part interposed, which its generations wait for),
    taking its arrival back: without that, seed 18 deadlocked (a held b.k's call of a.j while b waited for
    that thread's generation). Over 30 seeds every patch commits, with no violation; some take an arrival back."""
    taken_back = 0
    for seed in range(1, 31):
        sc = mutual_calls()
        sc["run"]["seed"] = seed
        s, _ = run(tmp_path, sc, name=f"mutual{seed}")
        (p,) = s["patches"]
        assert p["outcome"] == "committed", seed
        assert s["safety"]["violations"] == 0, (seed, s["safety"]["details"])
        check_released(s)
        taken_back += sum(sw["details"].get("patch_arrivals_taken_back", 0) for sw in s["swaps"])
    assert taken_back > 0


def test_bench_patch_writes_its_figures(tmp_path):
    import json
    import subprocess
    import sys

    from run_scenario import QUIESCE
    out = tmp_path / "patch.json"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "patch"), "--quiesce", QUIESCE, "--seeds", "2",
                        "--jobs", "2", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    assert doc["provenance"]["script"] == "bench/patch" and doc["seeds"] == 2
    assert set(doc["figures"]) == {"plain/patch", "plain/separate", "slow/patch", "slow/separate"}
    for name, row in doc["figures"].items():
        assert row["violations"] == 0 and row["not_reached"] == 0, name
        assert row["safe_us"]["n"] == 2 and row["safe_us"]["mean"] > 0, name
        assert 0 <= row["dip_pct"]["mean"] <= 100, name
    assert "plain    patch" in p.stdout and "provenance" not in p.stderr
