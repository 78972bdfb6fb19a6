"""Object lifetimes (issue 24): what a swap leaves behind goes back to the OS allocator by its strategy's
rule, and nothing runs on it after that. Under every shipped strategy a swap there and back frees the
old object (and the Mediator's structures) with no use after free, and the heap's live bytes return to
their level; k42_generation frees two generation swaps on every CPU after its end, the others at their
end; twins that free as the swap begins are caught ("use after free"); the allocator's traffic goes
through the caches (pool.cpuN in regions.csv); an update of many instances returns to its level;
`hotswap.reclaim: false` frees nothing; the reader refuses a bad `reclaim`."""
import csv
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from strategy_list import constraints, listed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TEST_BIN = os.path.abspath(os.environ.get("QUIESCE_TEST_STRATEGIES",
                                          os.path.join(ROOT, "build", "quiesce_test_strategies")))
TIMEOUT = 600


def scenario(strategy, *, cons=(), count=1, cpus=4, io=0.1, back=True, update=False, duration=600, root="shared"):
    """A class Svc in two versions (same layout) swapped there and back (or updated) under a closed
    workload. The transfer is by reference where the strategy needs it, else a copy (old reps to free);
    a stack-walking strategy gets no I/O waits (a thread blocked inside would hold its walk up)."""
    proto = "by_reference" if "by_reference" in cons else "copy"
    if strategy.startswith(("stack_trace", "direct", "livepatch")):
        io = 0

    def method():
        m = {"instructions": 40, "state_reads": 1, "state_atomics": 1}
        if io:
            m["io"] = {"probability": io, "mean_us": 2}
        return m
    impls = {f"SvcV{v}": {"class": "Svc", "version": v, "root": root,
                          "state_bytes": 512, "shared_state_bytes": 128,
                          "methods": {"get": method(), "put": method()},
                          "transfer": {"export": [proto], "import": [proto]}} for v in (1, 2)}
    if update:
        events = [{"type": "update", "class": "Svc", "to_version": 2, "at_us": 100, "cpu": 0, "strategy": strategy}]
    else:
        events = [{"type": "swap", "object": "svc", "to": "SvcV2", "strategy": strategy, "at_us": 100, "cpu": 0}]
        if back:
            events.append({"type": "swap", "object": "svc", "to": "SvcV1", "strategy": strategy, "at_us": 300,
                           "cpu": 1 % cpus})
    return {"machine": {"cpus": cpus}, "implementations": impls,
            "objects": {"svc": {"implementation": "SvcV1", "count": count}},
            "workloads": {"w": {"kind": "closed", "cpus": "all", "threads": 3, "think_us": 1, "calls_per_request": 3,
                                "mix": [{"object": "svc", "method": "get", "weight": 3},
                                        {"object": "svc", "method": "put"}]}},
            "events": events, "run": {"duration_us": duration, "seed": 3}, "outputs": {"window_us": 20},
            "hotswap": {"reclaim": True}}  # (the default, said here: these tests are about it)


def run(tmp_path, sc, name, *sets, binary=QUIESCE):
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(sc, indent=1))
    out = tmp_path / name
    args = [binary, "run", str(path), "-q", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        return json.load(f), out


def rules(binary):
    p = subprocess.run([binary, "strategies", "--json"], stdout=subprocess.PIPE, text=True, check=True, timeout=60)
    return {s["name"]: s for s in json.loads(p.stdout)["strategies"]}


def test_every_strategy_declares_its_rule():
    listing = rules(QUIESCE)
    assert listing, "the binary lists no strategy"
    for name, s in listing.items():
        assert s["reclaim"] in ("at_end", "generations"), (name, s["reclaim"])
        assert len(s["reclaim_rule"]) > 20, name
    assert listing["k42_generation"]["reclaim"] == "generations"


@pytest.mark.parametrize("strategy", listed(QUIESCE))
def test_swaps_free_what_they_leave_with_no_use_after_free(tmp_path, strategy):
    cons = constraints(QUIESCE)[strategy]
    info = rules(QUIESCE)[strategy]
    s, out = run(tmp_path, scenario(strategy, cons=cons), strategy)
    swaps = s["swaps"]
    assert len(swaps) == 2 and all(x["completed"] for x in swaps), [x["waiting"] for x in swaps]
    if info["safe"]:  # (an unsafe one frees at its end while calls may still run on the old object)
        assert s["safety"]["violations"] == 0, s["safety"]["details"][:2]
    by_reference = "by_reference" in cons
    for x in swaps:
        m = x["memory"]
        assert m["freed"] and m["freed_cycle"] >= m["retired_cycle"] >= x["start_cycle"], m
        if by_reference:
            assert m["old_bytes"] == 0
        else:  # the old rep (512 bytes of state and its 16-byte header, in whole lines) and shared state
            assert m["old_bytes"] == 640 + 128, m
            assert m["new_bytes"] == 640 + 128, m
        if info["reclaim"] == "generations":  # two generation swaps on every CPU after the end
            assert m["freed_cycle"] > m["retired_cycle"]
            assert m["scaffold_bytes"] > 0  # the Mediator's reps and line
        else:  # at once (the frees' own accesses take a few hundred cycles)
            assert m["freed_cycle"] - m["retired_cycle"] < 3000, m
        if {"walk", "transition"} & set(info["phases"]):  # the walkers' tables (code ranges, reps, lists) go back too
            assert m["scaffold_bytes"] >= 3 * 64, (strategy, m)
        # The heap's live bytes come back to their level once the leftovers are freed. By reference, the new
        # root's own shared state (128 bytes) is replaced by the old one the adopted rep keeps, and freed.
        assert m["live_after_free_bytes"] == m["live_before_bytes"], m
        if by_reference:
            assert m["scaffold_bytes"] >= 128, m
        if not by_reference:  # the new object existed while the old one did
            assert m["peak_overhead_bytes"] >= 640, m
    mem = s["memory"]
    assert mem["freed_bytes"] == sum(x["memory"]["old_bytes"] + x["memory"]["scaffold_bytes"] for x in swaps)
    rows = list(csv.DictReader(open(out / "memory.csv")))
    assert int(rows[-1]["live_bytes_end"]) == swaps[0]["memory"]["live_before_bytes"]
    if not by_reference:
        regions = {r["region"]: r for r in csv.DictReader(open(out / "regions.csv"))}
        pools = [r for name, r in regions.items() if name.startswith("pool.cpu")]
        assert pools, "no pool header: nothing was freed"
        assert sum(int(r["accesses"]) for r in pools) > 0  # its traffic went through the caches


def test_k42_frees_after_two_generation_swaps_on_every_cpu(tmp_path):
    s, out = run(tmp_path, scenario("k42_generation", back=False), "k42")
    m = s["swaps"][0]["memory"]
    assert m["freed"] and m["freed_cycle"] > m["retired_cycle"]
    assert m["scaffold_bytes"] >= 4 * 8 * 64  # a mediator rep per CPU that used the object, each with its hash table
    # Each CPU made at least two generation swaps meanwhile: the per-CPU counts grew by >= 2 over the run's end.
    cpus = list(csv.DictReader(open(out / "cpus.csv")))
    assert all(int(c["generation_swaps"]) >= 2 for c in cpus)


def test_per_cpu_reps_are_freed_too(tmp_path):
    s, _ = run(tmp_path, scenario("k42_generation", root="per_cpu"), "percpu")
    for x in s["swaps"]:
        m = x["memory"]
        assert m["freed"] and m["old_bytes"] > 640 + 128  # a rep per CPU that called it, and the shared state
        assert m["live_after_free_bytes"] == m["live_before_bytes"]
    assert s["safety"]["violations"] == 0


@pytest.mark.parametrize("twin", ["k42_generation_early_free", "global_refcount_early_free"])
def test_a_twin_that_frees_early_is_caught(tmp_path, twin):
    base = twin[: -len("_early_free")]
    s, _ = run(tmp_path, scenario(twin, io=0.5, back=False, cpus=4), twin, binary=TEST_BIN)
    # Calls still inside the old object when it was freed run on freed memory; a block handed out again to
    # the new object may also show as old code run on the new object's state. Either way: caught.
    assert s["swaps"][0]["violations"] > 0, (twin, s["safety"])
    uaf = [d for d in s["safety"]["details"] if "use after free" in d["what"]]
    assert all("after swap 0" in d["what"] for d in uaf)
    if twin.startswith("global_refcount"):  # calls blocked inside the old object when it was freed
        assert uaf, s["safety"]["details"][:3]
    # Its real strategy, on the same scenario: nothing.
    s2, _ = run(tmp_path, scenario(base, io=0.5, back=False, cpus=4), base)
    assert s2["safety"]["violations"] == 0, s2["safety"]["details"][:2]


def test_an_update_of_many_instances_returns_to_its_level(tmp_path):
    s, out = run(tmp_path, scenario("k42_generation", count=100, update=True, duration=1500), "update")
    assert s["updates"][0]["completed"] and s["updates"][0]["swapped"] == 100
    swaps = s["swaps"]
    assert len(swaps) == 100 and all(x["memory"]["freed"] for x in swaps)
    rows = list(csv.DictReader(open(out / "memory.csv")))
    end = int(rows[-1]["live_bytes_end"])
    peak = max(int(r["live_bytes_max"]) for r in rows)
    assert end == 100 * (640 + 128)  # every instance's rep and shared state, nothing of the update left
    assert peak > end
    assert s["memory"]["reuses"] > 0  # later instances' new reps take earlier instances' freed ones


def test_reclaim_off_frees_nothing(tmp_path):
    s, _ = run(tmp_path, scenario("global_refcount"), "off", "hotswap.reclaim=false")
    assert s["scenario"]["hotswap"]["reclaim"] is False
    assert s["memory"]["frees"] == 0 and s["memory"]["freed_bytes"] == 0
    assert all(not x["memory"]["freed"] for x in s["swaps"])


def test_determinism(tmp_path):
    a, da = run(tmp_path, scenario("k42_generation", count=3), "a")
    b, db = run(tmp_path, scenario("k42_generation", count=3), "b")
    for f in ("memory.csv", "swaps.csv", "regions.csv"):
        assert (da / f).read_bytes() == (db / f).read_bytes(), f
    assert a["memory"] == b["memory"]


def test_reader_refuses_a_bad_reclaim(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("hotswap:\n  reclaim: sometimes\n")
    p = subprocess.run([QUIESCE, "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "bad.yaml:2:12: hotswap.reclaim:" in p.stderr, p.stderr


# --- Instances created and destroyed by workloads ---

def churn(strategy, *, cons=(), cpus=4, capacity=12, count=4, update=True, duration=800, seed=5):
    """A group with a capacity whose clients create and destroy instances while one instance is swapped
    there and back and then the class is updated (where the strategy may update)."""
    sc = scenario(strategy, cons=cons, cpus=cpus, count=count, back=True, duration=duration)
    sc["objects"]["svc"]["capacity"] = capacity
    sc["events"][0]["object"] = "svc[1]"
    sc["events"][1]["object"] = "svc[1]"
    if update and "no_updates" not in cons:
        sc["events"].append({"type": "update", "class": "Svc", "to_version": 2, "at_us": 500, "cpu": 2 % cpus,
                             "strategy": strategy})
    sc["workloads"]["w"]["mix"] += [{"object": "svc", "method": "create", "weight": 1},
                                    {"object": "svc", "method": "destroy", "weight": 1}]
    sc["run"]["seed"] = seed
    return sc


@pytest.mark.parametrize("strategy", [s for s in listed(QUIESCE, safe_only=True)
                                      if "static_instances" not in constraints(QUIESCE).get(s, [])])
def test_create_and_destroy_under_concurrent_swaps_and_updates(tmp_path, strategy):
    cons = constraints(QUIESCE)[strategy]
    s, out = run(tmp_path, churn(strategy, cons=cons), strategy)
    assert s["safety"]["violations"] == 0, s["safety"]["details"][:2]
    lt = next(o for o in s["objects"] if o["name"] == "svc")["lifetimes"]
    assert lt["created"] > 5 and lt["destroyed"] > 5 and lt["reclaimed"] > 0, lt
    assert lt["live_at_end"] == lt["initial"] + lt["created"] - lt["destroyed"]
    assert lt["reclaimed"] <= lt["destroyed"] and lt["peak_live"] <= lt["capacity"]
    # The audit: every live instance's calls counted exactly once across its lives; free slots skipped.
    for a in s["safety"]["calls_audit"]:
        if "skipped" in a:
            assert a["skipped"] in ("not live at the end of the run", "its swap had not completed at the end of the run")
        else:
            assert a["served"] <= a["counted"] <= a["served"] + a.get("in_flight", 0), a
    factory = next(f for f in s["factories"] if f["class"] == "Svc")
    assert factory["instances"] == lt["live_at_end"]
    if "no_updates" not in cons:  # after the update every instance, old or created since, is version 2
        assert s["updates"][0]["completed"]
        assert factory["version"] == 2
        assert next(o for o in s["objects"] if o["name"] == "svc")["implementation_now"] == "SvcV2"
    assert s["memory"]["reuses"] > 0  # destroyed instances' reps serve later ones


def test_the_factory_makes_the_new_version_after_an_update(tmp_path):
    sc = churn("k42_generation", update=True)
    sc["events"] = [e for e in sc["events"] if e["type"] == "update"]
    sc["workloads"]["w"]["start_us"] = 0
    s, _ = run(tmp_path, sc, "factory")
    lt = next(o for o in s["objects"] if o["name"] == "svc")["lifetimes"]
    assert lt["created"] > 0
    assert next(o for o in s["objects"] if o["name"] == "svc")["implementation_now"] == "SvcV2"


def test_a_full_group_refuses_creation_and_keeps_its_last_instance(tmp_path):
    sc = churn("global_refcount", capacity=3, count=2, update=False)
    sc["events"] = []
    sc["workloads"]["w"]["mix"] = [{"object": "svc", "method": "get"}, {"object": "svc", "method": "create", "weight": 3}]
    s, _ = run(tmp_path, sc, "full")
    lt = next(o for o in s["objects"] if o["name"] == "svc")["lifetimes"]
    assert lt["created"] == 1 and lt["create_refused"] > 0 and lt["live_at_end"] == 3
    sc["workloads"]["w"]["mix"] = [{"object": "svc", "method": "get"}, {"object": "svc", "method": "destroy", "weight": 3}]
    s, _ = run(tmp_path, sc, "last")
    lt = next(o for o in s["objects"] if o["name"] == "svc")["lifetimes"]
    assert lt["destroyed"] == 1 and lt["destroy_refused"] > 0 and lt["live_at_end"] == 1
    assert lt["reclaimed"] == 1


def test_lifetimes_are_deterministic(tmp_path):
    a, da = run(tmp_path, churn("k42_generation"), "a")
    b, db = run(tmp_path, churn("k42_generation"), "b")
    for f in ("memory.csv", "swaps.csv", "calls.csv", "regions.csv"):
        assert (da / f).read_bytes() == (db / f).read_bytes(), f
    assert a["objects"] == b["objects"]


@pytest.mark.parametrize("case,want", [
    ("objects: {c: {implementation: C, count: 2, capacity: 2}}",
     "s.yaml:3:54: objects.c.capacity: expected more than count (2): the instances it may have at once, found 2"),
    ("objects: {c: {implementation: C, count: 2}}\nworkloads: {w: {mix: [{object: c, method: destroy}]}}",
     "s.yaml:4:43: workloads.w.mix[0].method: destroy makes or ends an instance of a group with a capacity, and "
     "objects.c has none (give it `capacity: N`, the instances it may have at once)"),
    ("objects: {c: {implementation: C, capacity: 3}}\ndevices: {d: {calls: [{object: c, method: inc}]}}",
     "s.yaml:4:32: devices.d.calls[0].object: objects.c has a capacity (its instances come and go): a handler "
     "cannot name one"),
])
def test_reader_refuses_bad_lifetime_keys(tmp_path, case, want):
    path = tmp_path / "s.yaml"
    path.write_text("implementations:\n  C: {methods: {inc: {instructions: 4}}}\n" + case + "\n")
    p = subprocess.run([QUIESCE, "validate", "s.yaml"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr == f"quiesce: {want}\n"


def test_bench_memory_gives_back_what_a_swap_and_an_update_took(tmp_path):
    """bench/memory (the issue's figure): for one swap and an update of 1,000 instances the heap rises
    above its level while old, new and the swap's own structures coexist, then comes back to it."""
    out = tmp_path / "memory.json"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "memory"), "--quiesce", QUIESCE, "--seeds", "1",
                        "--strategies", "k42_generation", "--jobs", "2", "--out", str(out)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stderr
    figures = json.loads(out.read_text())["figures"]
    swap, update = figures["k42_generation/swap"], figures["k42_generation/update"]
    assert swap["level_bytes"]["mean"] == 640 + 128 and update["level_bytes"]["mean"] == 1000 * (640 + 128)
    for f in (swap, update):
        assert f["peak_overhead_bytes"]["mean"] >= 640, f  # a new rep at least, besides the mediator's
        assert f["back_to_level_bytes"]["mean"] == 0, f
        assert f["freed_after_event_us"]["mean"] >= f["swap_end_after_event_us"]["mean"], f
        assert f["violations"] == 0


@pytest.mark.parametrize("strategy", ["k42_generation", "rcu"])
@pytest.mark.parametrize("scheduler", ["run_to_completion", "preemptive"])
def test_a_grace_period_reclaims_destroyed_instances_sooner_and_safely(tmp_path, strategy, scheduler):
    """`reclaim: grace_period` on the group: a destroyed instance goes back once every CPU has passed a
    quiescent state and the threads found then off their CPU inside a call (I/O waits inside methods, or
    preempted) have ended it: no use after free, and sooner than K42's two generation swaps per CPU, which
    wait for whole requests."""
    cons = constraints(QUIESCE)[strategy]
    figures = {}
    for rule in ("generations", "grace_period"):
        sc = churn(strategy, cons=cons, update=False, duration=1200)
        sc["objects"]["svc"]["reclaim"] = rule
        sc["workloads"]["w"]["calls_per_request"] = 6
        if scheduler == "preemptive":
            sc["os"] = {"scheduler": {"policy": "preemptive", "tick_us": 5}}
        s, _ = run(tmp_path, sc, f"{rule}-{scheduler}")
        assert s["safety"]["violations"] == 0, s["safety"]["details"][:2]
        lt = next(o for o in s["objects"] if o["name"] == "svc")["lifetimes"]
        assert lt["reclaim"] == rule and lt["reclaimed"] > 10, lt
        assert s["scenario"]["objects"]["svc"]["reclaim"] == rule
        figures[rule] = lt
    g, rcu = figures["generations"], figures["grace_period"]
    assert rcu["holdouts"] > 0, rcu  # threads asleep inside a call (I/O) were waited for
    assert g["holdouts"] == 0
    assert rcu["reclaim_cycles_mean"] < g["reclaim_cycles_mean"], (rcu, g)


def test_reclaim_rule_is_checked(tmp_path):
    sc = churn("k42_generation", update=False)
    sc["objects"]["svc"]["reclaim"] = "sometime"
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(sc))
    p = subprocess.run([QUIESCE, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "reclaim" in p.stderr and "grace_period" in p.stderr, p.stderr
    sc = scenario("k42_generation")
    sc["objects"]["svc"]["reclaim"] = "grace_period"  # no capacity: nothing is destroyed
    path.write_text(json.dumps(sc))
    p = subprocess.run([QUIESCE, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "capacity" in p.stderr, p.stderr


def test_an_update_frees_the_factorys_old_table(tmp_path):
    """The factory's table the update replaced goes back to the allocator (two generation swaps later) with
    what the swaps left: nothing else is freed, and it is not counted among the objects' live bytes."""
    s, out = run(tmp_path, scenario("k42_generation", count=100, update=True, duration=1500), "table")
    assert s["updates"][0]["completed"]
    regions = {r["region"]: r for r in csv.DictReader(open(out / "regions.csv"))}
    table = int(regions["factory.Svc"]["bytes"])
    assert table >= 16 + 8 * 100
    swaps = sum(x["memory"]["old_bytes"] + x["memory"]["scaffold_bytes"] for x in s["swaps"])
    assert s["memory"]["freed_bytes"] == swaps + table, (s["memory"], swaps, table)
    s2, _ = run(tmp_path, scenario("k42_generation", count=100, update=True, duration=1500), "off",
                "hotswap.reclaim=false")
    assert s2["memory"]["freed_bytes"] == 0
