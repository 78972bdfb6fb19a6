"""Hot swapping through `quiesce run`: the Mediator's phases per CPU, the transfer
protocol it negotiates, swaps of groups, of objects calling each other or
themselves, swaps held up by a long-lived thread, dynamic updates (eager and
lazy), and how summary.json (`swaps`, `updates`, `safety`), swaps.csv,
phases.csv and regions.csv report them. scenarios/README.md ("Hot swapping in
brief", `events:`, `hotswap:`) is the specification. Bad events are
tests/cli/test_validate.py's; the state a swap hands over is checked in
tests/unit/test_hotswap.cpp (guest memory is not visible from the CLI). Run with
    QUIESCE=build/quiesce GUEST_CC=tools/guest-cc QUIESCE_BUILD_DIR=build \\
        /usr/bin/python3 -m pytest tests/cli/test_hotswap.py
"""
import csv
import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")
LONG_LIVED = os.path.join(ROOT, "bench", "scenarios", "long_lived_swap.yaml")
UPDATE_1000 = os.path.join(ROOT, "bench", "scenarios", "update_1000.yaml")

PHASES = ["interpose", "forward", "block", "transfer", "complete"]
CYCLES_PER_US = 2000  # the default 2 GHz clock
QUANTUM = 250  # the default machine.quantum_cycles: how far apart the CPUs' clocks may be
TIMEOUT = 600  # generous: the same tests may run under ASan (update_1000 takes ~2 s normally)
# k42-swap's two layouts: 1024 bytes of rep state, 256 of shared state, FileCacheV2 pays 3 cycles a byte to transform.
K42_STATE, K42_SHARED, K42_TRANSFORM_PER_BYTE = 1024, 256, 3.0


def run(*args):
    return subprocess.run([QUIESCE, "run", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=TIMEOUT)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Results:
    def __init__(self, d):
        self.dir = str(d)
        with open(os.path.join(self.dir, "summary.json")) as f:
            self.summary = json.load(f)
        self.calls = read_csv(os.path.join(self.dir, "calls.csv"))
        self.cpus = read_csv(os.path.join(self.dir, "cpus.csv"))
        self.regions = {r["region"]: r for r in read_csv(os.path.join(self.dir, "regions.csv"))}
        self.swaps_csv = read_csv(os.path.join(self.dir, "swaps.csv"))
        self.phases_csv = read_csv(os.path.join(self.dir, "phases.csv"))

    @property
    def swaps(self):
        return self.summary["swaps"]

    @property
    def updates(self):
        return self.summary["updates"]

    @property
    def sim(self):
        return self.summary["simulated"]

    @property
    def violations(self):
        return self.summary["safety"]["violations"]

    def method(self, obj, name):
        for o in self.summary["objects"]:
            if o["name"] == obj:
                for m in o["methods"]:
                    if m["name"] == name:
                        return m
        raise KeyError(f"{obj}.{name}")

    def calls_after(self, cycle):
        """Calls completed in the calls.csv windows that start at or after `cycle`."""
        return sum(int(w["calls"]) for w in self.calls if float(w["start_us"]) * CYCLES_PER_US >= cycle)

    def raw(self, name):
        with open(os.path.join(self.dir, name), "rb") as f:
            return f.read()


def results(tmp_path, scenario, *sets, out="out", seed=None):
    d = tmp_path / out
    args = [scenario, "-q", "-o", str(d)]
    for s in sets:
        args += ["--set", s]
    if seed is not None:
        args += ["--seed", str(seed)]
    p = run(*args)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert (p.stdout, p.stderr) == ("", "")
    return Results(d)


def write(tmp_path, doc, name="s.yaml"):
    f = tmp_path / name
    f.write_text(yaml.safe_dump(doc, sort_keys=False, default_flow_style=None))
    return str(f)


def workers(swap):
    return [c for c in swap["cpus"] if c["worker"]]


def longest(swap, phase, cpu=None):
    return max(c["phases"][phase]["cycles"] for c in workers(swap) if cpu is None or c["cpu"] == cpu)


def cpu_entry(swap, cpu):
    (c,) = [c for c in swap["cpus"] if c["cpu"] == cpu]
    return c


def check_phases(swap):
    """Every worker went through the five phases in order, each ending no sooner than it began and no sooner
    than the one before it ended, within the swap's start and end."""
    assert workers(swap), swap
    for c in workers(swap):
        ph = c["phases"]
        assert list(ph) == PHASES, (swap["object"], c)
        assert c["phase_now"] == "done", c
        prev_end = swap["start_cycle"]
        for p in PHASES:
            assert ph[p]["start"] >= prev_end, (swap["object"], c["cpu"], p, ph)
            assert ph[p]["end"] >= ph[p]["start"], (swap["object"], c["cpu"], p, ph)
            assert ph[p]["cycles"] == ph[p]["end"] - ph[p]["start"]
            prev_end = ph[p]["end"]
        # The swap ends when its last worker does; CPUs run up to a quantum apart, and the end is the cycle of
        # the worker that finished last in host order (test_swap_ends_after_every_cpus_complete_phase).
        assert prev_end <= swap["end_cycle"] + QUANTUM, (swap, c)


def check_completed(r, swaps=None):
    """Every swap finished, its phases in order, every blocked call released (per CPU and in total), no
    safety violation."""
    assert r.violations == 0, r.summary["safety"]["details"]
    assert r.summary["safety"]["details"] == []
    for sw in (r.swaps if swaps is None else swaps):
        assert sw["completed"] is True, sw
        assert sw["cycles"] == sw["end_cycle"] - sw["start_cycle"] > 0, sw
        check_phases(sw)
        for c in sw["cpus"]:
            assert c["blocked"] == c["released"], (sw["object"], c)
        assert sw["blocked"] == sw["released"] == sum(c["blocked"] for c in sw["cpus"]), sw


# A cache object and three implementations of it, all of one layout; workloads and events vary per test.
def cache_impls(state_bytes=256, io=None):
    def body(n):
        b = {"instructions": n, "state_reads": 1}
        if io:
            b["io"] = io
        return b
    return {name: {"state_bytes": state_bytes, "methods": {"lookup": body(n)}}
            for name, n in (("Cache", 40), ("CacheV2", 30), ("CacheV3", 20))}


def closed(mix, cpus="all", threads=2, think_us=2, **kw):
    return {"kind": "closed", "cpus": cpus, "threads": threads, "think_us": think_us, "mix": mix, **kw}


def cache_scenario(tmp_path, events, cpus=2, objects=None, workloads=None, duration=150, window=10, io=None,
                   **extra):
    doc = {"machine": {"cpus": cpus},
           **extra,
           "implementations": cache_impls(io=io),
           "objects": objects or {"cache": {"implementation": "Cache"}},
           "workloads": workloads or {"w": closed([{"object": "cache", "method": "lookup"}])},
           "events": events,
           "run": {"duration_us": duration},
           "outputs": {"window_us": window}}
    return write(tmp_path, doc)


# --- scenarios/k42-swap.yaml: one swap of a shared file cache on 8 CPUs under load ---

@pytest.fixture(scope="module")
def k42(tmp_path_factory):
    return results(tmp_path_factory.mktemp("k42"), K42_SWAP)


def test_k42_swap_completes_safely_by_reference(k42):
    assert len(k42.swaps) == 1
    sw = k42.swaps[0]
    assert (sw["id"], sw["object"], sw["from"], sw["to"], sw["strategy"]) == (
        0, "cache", "FileCache", "FileCacheV2", "k42_generation")
    # the same root and state sizes: the new reps take the old ones' memory, nothing is moved
    assert sw["protocol"] == "by_reference"
    assert sw["bytes_transferred"] == 0 and all(c["bytes_transferred"] == 0 for c in sw["cpus"])
    assert k42.regions["cache.rep"]["parts"] == "1"  # no new rep was allocated
    # at_us: 150 on CPU 0: it starts there at its first kernel entry from 150 us
    assert 150 * CYCLES_PER_US <= sw["start_cycle"] < 151 * CYCLES_PER_US
    assert sw["end_cycle"] < k42.sim["cycles"]
    check_completed(k42)
    assert k42.updates == []


def test_k42_swap_phases_in_order_on_every_cpu(k42):
    sw = k42.swaps[0]
    # every CPU runs the clients: all eight used the object and got a worker
    assert sw["workers"] == 8 and sorted(c["cpu"] for c in workers(sw)) == list(range(8))
    check_phases(sw)


def test_k42_swap_workers_meet_before_transfer_and_before_complete(k42):
    """Two meetings: no worker transfers before every worker is in Block (the last to arrive found the object
    quiescent), and none completes before every worker has begun its transfer."""
    ws = workers(k42.swaps[0])
    for before, after in (("block", "transfer"), ("transfer", "complete")):
        assert max(c["phases"][before]["start"] for c in ws) <= min(c["phases"][after]["start"] for c in ws), before


def test_k42_swap_blocked_calls_are_all_released(k42):
    sw = k42.swaps[0]
    assert sw["blocked"] > 0  # 8 CPUs under load: some calls met the Block phase
    for key in ("forwarded", "blocked", "released", "bytes_transferred"):
        assert sw[key] == sum(c[key] for c in sw["cpus"]), key
    assert sw["blocked_cycles_max"] == max(c["blocked_cycles_max"] for c in sw["cpus"]) > 0
    assert sw["blocked_cycles_max"] <= sw["blocked_cycles_total"]
    # a held call waits at most as long as the swap runs
    assert sw["blocked_cycles_max"] <= sw["cycles"]
    check_completed(k42)


def test_k42_swaps_csv_agrees_with_summary(k42):
    (row,) = k42.swaps_csv
    sw = k42.swaps[0]
    for key, value in row.items():
        expected = sw["id"] if key == "swap" else sw[key]
        if isinstance(expected, bool):
            expected = "true" if expected else "false"
        assert value == str(expected), key
    assert len(row) == 19


def test_k42_phases_csv_agrees_with_summary(k42):
    expected = sorted(
        (str(sw["id"]), sw["object"], str(c["cpu"]), "true" if c["worker"] else "false", p,
         str(v["start"]), str(v["end"]), str(v["cycles"]),
         *(str(v["split"][a]) for a in ("mechanism", "cpu", "quiescence", "other_cpus")))
        for sw in k42.swaps for c in sw["cpus"] for p, v in c["phases"].items())
    got = sorted(tuple(r.values()) for r in k42.phases_csv)
    assert got == expected
    assert len(got) == 8 * len(PHASES)


def test_k42_mediator_regions(k42):
    """The Mediator is a clustered object in guest memory: its vtable, its root line and a rep per worker CPU of
    8 x (5 + 2 x hash_slots) bytes (phase, in-flight and blocked counts, the old rep, the threads' return
    addresses), and the mediation routine's guest code."""
    sw = k42.swaps[0]
    names = {n for n in k42.regions if n.startswith("mediator.")}
    assert names == {"mediator.cache"} | {f"mediator.cache.rep.cpu{c['cpu']}" for c in workers(sw)}
    assert "Mediator.vtable" in k42.regions and int(k42.regions["Mediator.code"]["ifetch_misses"]) > 0
    for n in names - {"mediator.cache"}:
        assert int(k42.regions[n]["bytes"]) == 8 * (5 + 2 * 64)
        assert int(k42.regions[n]["accesses"]) > 0


def test_hash_slots_size_the_mediator_reps(tmp_path):
    r = results(tmp_path, K42_SWAP, "machine.cpus=2", "hotswap.hash_slots=8")
    check_completed(r)
    for c in range(2):
        assert int(r.regions[f"mediator.cache.rep.cpu{c}"]["bytes"]) == 8 * (5 + 2 * 8)


def test_no_events_no_swaps_and_no_mediator(tmp_path):
    r = results(tmp_path, K42_SWAP, "events=[]", "machine.cpus=2")
    assert r.swaps == [] and r.updates == [] and r.violations == 0
    assert r.swaps_csv == [] and r.phases_csv == []  # the header only
    assert r.raw("swaps.csv").startswith(b"swap,object,from,to,") and r.raw("phases.csv").count(b"\n") == 1
    assert not [n for n in r.regions if n.lower().startswith("mediator")]


# --- the transfer protocol: negotiated from the old export set and the new import set ---

@pytest.mark.parametrize("sets,protocol", [
    (["implementations.FileCache.transfer.export=[copy, transform]"], "copy"),
    (["implementations.FileCache.transfer.export=[transform]"], "transform"),
    (["implementations.FileCache.transfer.export=[by_reference, transform]"], "by_reference"),
    (["implementations.FileCacheV2.transfer.import=[copy, transform]"], "copy"),
    (["implementations.FileCache.transfer.export=[copy, by_reference]",
      "implementations.FileCacheV2.transfer.import=[transform, copy]"], "copy"),
], ids=["export-copy", "export-transform", "export-by_reference", "import-copy", "both-copy"])
def test_protocol_negotiation(tmp_path, sets, protocol):
    r = results(tmp_path, K42_SWAP, "machine.cpus=2", *sets)
    check_completed(r)
    sw = r.swaps[0]
    assert sw["protocol"] == protocol
    if protocol == "by_reference":
        assert sw["bytes_transferred"] == 0 and r.regions["cache.rep"]["parts"] == "1"
    else:  # every byte of the rep's state and of the shared state, into new reps
        assert sw["bytes_transferred"] == K42_STATE + K42_SHARED
        assert r.regions["cache.rep"]["parts"] == "2"


def transfer_run(tmp_path, size, exports):
    return results(tmp_path, K42_SWAP, "machine.cpus=2", f"implementations.FileCache.state_bytes={size}",
                   f"implementations.FileCacheV2.state_bytes={size}",
                   f"implementations.FileCache.transfer.export={exports}", out=f"{exports}{size}")


def test_bytes_transferred_grow_with_the_state_under_copy_only(tmp_path):
    copy_transfer = []
    for size in (1024, 4096, 16384):
        by_ref, copy = transfer_run(tmp_path, size, "[by_reference, copy]"), transfer_run(tmp_path, size, "[copy]")
        for r in (by_ref, copy):
            check_completed(r)
        assert (by_ref.swaps[0]["protocol"], copy.swaps[0]["protocol"]) == ("by_reference", "copy")
        assert by_ref.swaps[0]["bytes_transferred"] == 0
        assert copy.swaps[0]["bytes_transferred"] == size + K42_SHARED
        copy_transfer.append(longest(copy.swaps[0], "transfer"))
    assert copy_transfer == sorted(copy_transfer) and copy_transfer[-1] > 4 * copy_transfer[0], copy_transfer


def test_transform_pays_per_byte_on_top_of_copy(tmp_path):
    size = 16384
    copy, transform = transfer_run(tmp_path, size, "[copy]"), transfer_run(tmp_path, size, "[transform]")
    for r in (copy, transform):
        check_completed(r)
    c, t = copy.swaps[0], transform.swaps[0]
    assert (c["protocol"], t["protocol"]) == ("copy", "transform")
    assert c["bytes_transferred"] == t["bytes_transferred"] == size + K42_SHARED
    # the two workers split the lines; the longest Transfer grows by about 3 cycles per byte its worker moved
    per_cpu = max(x["bytes_transferred"] for x in t["cpus"])
    assert longest(t, "transfer") - longest(c, "transfer") >= 0.8 * K42_TRANSFORM_PER_BYTE * per_cpu


def test_a_change_of_layout_is_transformed(tmp_path):
    """A shared counter swapped to a per-CPU one and back: by_reference and copy are allowed but impossible, so
    transform. Shared -> per-CPU moves the one rep (to the first worker's CPU) and the shared state; per-CPU ->
    shared adds every CPU's rep into the new one."""
    body = {"inc": {"instructions": 20, "state_atomics": 1}}
    doc = {"machine": {"cpus": 4},
           "implementations": {
               "Counter": {"root": "shared", "state_bytes": 256, "shared_state_bytes": 128, "methods": body},
               "PerCpu": {"root": "per_cpu", "state_bytes": 256, "shared_state_bytes": 128, "methods": body}},
           "objects": {"c": {"implementation": "Counter"}},
           "workloads": {"w": closed([{"object": "c", "method": "inc"}], cpus="0-2")},
           "events": [{"type": "swap", "object": "c", "to": "PerCpu", "at_us": 30},
                      {"type": "swap", "object": "c", "to": "Counter", "at_us": 80}],
           "run": {"duration_us": 150}}
    r = results(tmp_path, write(tmp_path, doc))
    check_completed(r)
    there, back = r.swaps
    assert (there["from"], there["to"], back["from"], back["to"]) == ("Counter", "PerCpu", "PerCpu", "Counter")
    assert there["protocol"] == back["protocol"] == "transform"
    assert there["workers"] == back["workers"] == 3  # CPU 3 never called it
    assert there["bytes_transferred"] == 256 + 128
    assert back["bytes_transferred"] == 3 * 256 + 128


# --- phases vs CPUs, and which CPUs get a worker ---

@pytest.mark.parametrize("cpus", [1, 2, 4, 8])
def test_k42_swap_on_n_cpus(tmp_path, cpus):
    r = results(tmp_path, K42_SWAP, f"machine.cpus={cpus}")
    check_completed(r)
    sw = r.swaps[0]
    used = [int(c["cpu"]) for c in r.cpus if int(c["calls"]) > 0]  # cache is the only object
    assert len(used) == cpus
    assert sw["workers"] == cpus and sorted(c["cpu"] for c in workers(sw)) == used
    assert len(r.phases_csv) == len(PHASES) * cpus
    assert r.calls_after(sw["end_cycle"]) > 0  # the clients go on, with the new implementation


def test_workers_are_the_cpus_that_used_the_object(tmp_path):
    """cache is called on CPUs 0 and 2 only, other on 1 and 3; each swap is started from a CPU that never called
    its object, which gets no worker."""
    lookup = lambda o: [{"object": o, "method": "lookup"}]
    s = cache_scenario(tmp_path, cpus=4,
                       objects={"cache": {"implementation": "Cache"}, "other": {"implementation": "Cache"}},
                       workloads={"w": closed(lookup("cache"), cpus=[0, 2]), "x": closed(lookup("other"), cpus=[1, 3])},
                       events=[{"type": "swap", "object": "cache", "to": "CacheV2", "at_us": 50, "cpu": 1},
                               {"type": "swap", "object": "other", "to": "CacheV2", "at_us": 60, "cpu": 3}])
    r = results(tmp_path, s)
    check_completed(r)
    a, b = r.swaps
    assert (a["object"], b["object"]) == ("cache", "other")
    assert a["workers"] == 2 and sorted(c["cpu"] for c in a["cpus"]) == [0, 2]
    assert b["workers"] == 2 and sorted(c["cpu"] for c in b["cpus"]) == [1, 3]
    assert {n for n in r.regions if n.startswith("mediator.")} == {
        "mediator.cache", "mediator.cache.rep.cpu0", "mediator.cache.rep.cpu2",
        "mediator.other", "mediator.other.rep.cpu1", "mediator.other.rep.cpu3"}


def test_an_unused_object_is_swapped_by_one_worker_on_the_initiating_cpu(tmp_path):
    s = cache_scenario(tmp_path, cpus=4,
                       objects={"cache": {"implementation": "Cache"}, "idle": {"implementation": "Cache"}},
                       events=[{"type": "swap", "object": "idle", "to": "CacheV2", "at_us": 50, "cpu": 2}])
    r = results(tmp_path, s)
    check_completed(r)
    sw = r.swaps[0]
    assert sw["workers"] == 1 and [c["cpu"] for c in sw["cpus"]] == [2]
    assert (sw["forwarded"], sw["blocked"]) == (0, 0)


# --- when a swap starts ---

@pytest.mark.parametrize("calls,cpu", [(100, 0), (250, 0), (100, 3)], ids=["100", "250", "100-idle-cpu"])
def test_after_calls_starts_once_that_many_calls_completed(tmp_path, calls, cpu):
    """The calls.csv windows (5 us) up to the one the swap starts in hold at least `calls` calls; those before it,
    fewer. CPU 3 runs no workload: the count is checked there too (at its idle quantum boundaries)."""
    s = cache_scenario(tmp_path, cpus=4, window=5,
                       workloads={"w": closed([{"object": "cache", "method": "lookup"}], cpus="0-2")},
                       events=[{"type": "swap", "object": "cache", "to": "CacheV2", "after_calls": calls, "cpu": cpu}])
    r = results(tmp_path, s)
    assert len(r.swaps) == 1, r.sim["calls"]
    check_completed(r)
    start = r.swaps[0]["start_cycle"]
    before = sum(int(w["calls"]) for w in r.calls if float(w["end_us"]) * CYCLES_PER_US <= start)
    through = sum(int(w["calls"]) for w in r.calls if float(w["start_us"]) * CYCLES_PER_US <= start)
    assert before < calls <= through, (start, before, through)
    # (a map given to --set merges into the event: the whole list is replaced instead)
    at_zero = results(tmp_path, s, f"events=[{{type: swap, object: cache, to: CacheV2, at_us: 0, cpu: {cpu}}}]",
                      out="at0")
    check_completed(at_zero)
    assert at_zero.swaps[0]["start_cycle"] < start


# --- groups ---

def group_scenario(tmp_path, target):
    return cache_scenario(tmp_path, objects={"caches": {"implementation": "Cache", "count": 4}},
                          workloads={"w": closed([{"object": "caches", "method": "lookup"}])},
                          events=[{"type": "swap", "object": target, "to": "CacheV2", "at_us": 50}])


def test_swapping_a_group_swaps_every_instance(tmp_path):
    r = results(tmp_path, group_scenario(tmp_path, "caches"))
    check_completed(r)
    assert [sw["object"] for sw in r.swaps] == [f"caches[{i}]" for i in range(4)]
    assert [sw["id"] for sw in r.swaps] == [0, 1, 2, 3]
    assert len({sw["start_cycle"] for sw in r.swaps}) == 1  # one event: all at once
    assert all((sw["from"], sw["to"]) == ("Cache", "CacheV2") for sw in r.swaps)
    assert [row["object"] for row in r.swaps_csv] == [f"caches[{i}]" for i in range(4)]
    assert {f"mediator.caches[{i}]" for i in range(4)} <= set(r.regions)


def test_swapping_one_instance_of_a_group(tmp_path):
    r = results(tmp_path, group_scenario(tmp_path, "caches[2]"))
    check_completed(r)
    assert [sw["object"] for sw in r.swaps] == ["caches[2]"]
    assert {n for n in r.regions if n.startswith("mediator.caches") and ".rep" not in n} == {"mediator.caches[2]"}


# --- several swaps of one object ---

def test_swap_there_and_back(tmp_path):
    s = cache_scenario(tmp_path, events=[{"type": "swap", "object": "cache", "to": "CacheV2", "at_us": 50},
                                         {"type": "swap", "object": "cache", "to": "Cache", "at_us": 100}])
    r = results(tmp_path, s)
    check_completed(r)
    there, back = r.swaps
    assert (there["from"], there["to"]) == ("Cache", "CacheV2")
    assert (back["from"], back["to"]) == ("CacheV2", "Cache")
    assert there["end_cycle"] < 100 * CYCLES_PER_US <= back["start_cycle"]
    assert r.calls_after(back["end_cycle"]) > 0


def test_a_second_swap_during_the_first_starts_from_the_first_ones_implementation(tmp_path):
    """Cache -> CacheV2 at 50 us, CacheV2 -> CacheV3 at 51 us, while the first is still running (it takes about
    3 us). The reader checks the second event against CacheV2; the second swap must go from CacheV2, and after
    both the object's calls must use its own state (cache.rep), not a Mediator's rep."""
    s = cache_scenario(tmp_path, events=[{"type": "swap", "object": "cache", "to": "CacheV2", "at_us": 50},
                                         {"type": "swap", "object": "cache", "to": "CacheV3", "at_us": 51}])
    r = results(tmp_path, s)
    first, second = r.swaps
    assert first["end_cycle"] > 51 * CYCLES_PER_US  # the premise: the two overlap
    assert r.violations == 0 and first["completed"] and second["completed"]
    mediator_accesses = sum(int(v["accesses"]) for n, v in r.regions.items() if n.startswith("mediator."))
    assert mediator_accesses < int(r.regions["cache.rep"]["accesses"]), r.regions["cache.rep"]
    assert (second["from"], second["to"]) == ("CacheV2", "CacheV3")


def test_a_swap_back_during_the_first_is_not_dropped(tmp_path):
    s = cache_scenario(tmp_path, events=[{"type": "swap", "object": "cache", "to": "CacheV2", "at_us": 50},
                                         {"type": "swap", "object": "cache", "to": "Cache", "at_us": 51}])
    r = results(tmp_path, s)
    assert r.swaps[0]["end_cycle"] > 51 * CYCLES_PER_US  # the premise: the two overlap
    assert len(r.swaps) == 2
    check_completed(r)
    assert (r.swaps[1]["from"], r.swaps[1]["to"]) == ("CacheV2", "Cache")


# --- objects that call each other, or themselves, during a swap ---

def two_versions(methods):
    """Implementation X and X2 of each class in `methods` (name -> {method: body}), X2 a little cheaper."""
    impls = {}
    for name, ms in methods.items():
        impls[name] = {"methods": ms}
        impls[name + "2"] = {"methods": {m: {**b, "instructions": b["instructions"] - 5} for m, b in ms.items()}}
    return impls


def mutual_calls():
    """a.m calls b.n (which may wait for I/O), b.k calls a.j; a and b swapped at 50 us from CPUs 0 and 1."""
    io = {"probability": 0.2, "mean_us": 2}
    impls = two_versions({
        "A": {"m": {"instructions": 20, "state_reads": 1, "calls": [{"object": "b", "method": "n"}]},
              "j": {"instructions": 20, "state_writes": 1}},
        "B": {"n": {"instructions": 20, "state_reads": 1, "io": io},
              "k": {"instructions": 20, "state_reads": 1, "calls": [{"object": "a", "method": "j"}]}}})
    doc = {"machine": {"cpus": 4}, "implementations": impls,
           "objects": {"a": {"implementation": "A"}, "b": {"implementation": "B"}},
           "workloads": {"w": closed([{"object": "a", "method": "m"}, {"object": "b", "method": "k"}],
                                     threads=3, think_us=1, calls_per_request=2)},
           "events": [{"type": "swap", "object": "a", "to": "A2", "at_us": 50},
                      {"type": "swap", "object": "b", "to": "B2", "at_us": 50, "cpu": 1}],
           "run": {"duration_us": 200}, "outputs": {"window_us": 10}}
    return doc


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_concurrent_swaps_of_objects_calling_each_other(tmp_path, seed):
    """a.m calls b.n, b.k calls a.j (no cycle at method level); a and b are swapped at the same time from two
    CPUs. Calls of one made from inside a forwarded call of the other pass the Block phase: no deadlock."""
    r = results(tmp_path, write(tmp_path, mutual_calls()), seed=seed)
    check_completed(r)
    assert sorted((sw["object"], sw["to"]) for sw in r.swaps) == [("a", "A2"), ("b", "B2")]
    assert sum(sw["forwarded"] for sw in r.swaps) > 0
    last_end = max(sw["end_cycle"] for sw in r.swaps)
    assert last_end < 120 * CYCLES_PER_US
    assert r.calls_after(last_end) > 0
    after = [w for w in r.calls if float(w["start_us"]) * CYCLES_PER_US >= last_end]
    assert all(int(w["calls"]) > 0 for w in after), after
    # the nested calls went on through both swaps
    assert r.method("b", "n")["nested_calls"] == r.method("a", "m")["calls"]
    assert r.method("a", "j")["nested_calls"] == r.method("b", "k")["calls"]


@pytest.mark.parametrize("seed", [12, 16, 19])
def test_a_call_let_through_block_after_the_count_is_waited_for(tmp_path, seed):
    """The scenario above at seeds where a thread inside a forwarded call of a calls b on a CPU whose b worker
    had found no call in flight and was waiting at the first meeting. Let through (it is in a forwarded call),
    the call must send that worker back to wait for it, or b's transfer runs while it is in the old b (the
    oracle reported exactly that before the fix). After the meeting such a call blocks."""
    r = results(tmp_path, write(tmp_path, mutual_calls()), seed=seed)
    check_completed(r)
    assert sum(sw["forwarded"] for sw in r.swaps) > 0


def reentrant_scenario(tmp_path):
    io = {"probability": 0.3, "mean_us": 3}
    impls = two_versions({"Log": {
        "append": {"instructions": 20, "state_writes": 1, "calls": [{"object": "log", "method": "flush"}], "io": io},
        "flush": {"instructions": 30, "state_reads": 1, "io": io}}})
    doc = {"machine": {"cpus": 4}, "implementations": impls, "objects": {"log": {"implementation": "Log"}},
           "workloads": {"w": closed([{"object": "log", "method": "append"}], threads=4, think_us=1,
                                     calls_per_request=2)},
           "events": [{"type": "swap", "object": "log", "to": "Log2", "at_us": 50}],
           "run": {"duration_us": 200}, "outputs": {"window_us": 10}}
    return write(tmp_path, doc)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reentrant_object_swapped_under_load(tmp_path, seed):
    """log.append calls log.flush (the same object), and both may wait for I/O: a thread inside a forwarded
    append must get its flush forwarded during Block, or the in-flight count never drops."""
    r = results(tmp_path, reentrant_scenario(tmp_path), seed=seed)
    check_completed(r)
    sw = r.swaps[0]
    assert sw["forwarded"] > 0 and sw["blocked"] > 0
    assert r.calls_after(sw["end_cycle"]) > 0
    assert r.method("log", "flush")["nested_calls"] == r.method("log", "append")["calls"]


def test_swap_ends_after_every_cpus_complete_phase(tmp_path):
    """The swap's end_cycle (and so its cycles) covers every CPU's phases. Seed 1 of the re-entrant scenario
    has CPU 3 finish its Complete phase 244 cycles after the reported end."""
    r = results(tmp_path, reentrant_scenario(tmp_path), seed=1)
    sw = r.swaps[0]
    assert sw["completed"]
    last = max(c["phases"]["complete"]["end"] for c in workers(sw))
    assert sw["end_cycle"] >= last, (sw["end_cycle"], last)


# --- nothing is lost: the closed loop's accounting across a swap ---

@pytest.mark.parametrize("exports", ["[by_reference, copy, transform]", "[copy]"], ids=["by_reference", "copy"])
def test_closed_loop_accounting_across_a_swap(tmp_path, exports):
    """A per-CPU counter (inc: one atomic line) swapped under a closed load of 3 clients per CPU, 3 calls per
    request. Every thread exited or is live at the end (at most one per client); each user thread that exited
    made its 3 calls, none more: no call was lost or served twice by the Mediator. The system threads are the
    swap's initiator and its workers."""
    impls = {}
    for name, n in (("Counter", 10), ("CounterV2", 8)):
        impls[name] = {"root": "per_cpu", "state_bytes": 128,
                       "methods": {"inc": {"instructions": n, "state_atomics": 1},
                                   "get": {"instructions": n, "state_reads": 1}},
                       "transfer": {"export": yaml.safe_load(exports)}}
    doc = {"machine": {"cpus": 4}, "implementations": impls, "objects": {"counter": {"implementation": "Counter"}},
           "workloads": {"w": closed([{"object": "counter", "method": "inc", "weight": 3},
                                      {"object": "counter", "method": "get"}],
                                     threads=3, think_us=0.5, calls_per_request=3)},
           "events": [{"type": "swap", "object": "counter", "to": "CounterV2", "at_us": 40}],
           "run": {"duration_us": 120}}
    r = results(tmp_path, write(tmp_path, doc))
    check_completed(r)
    sw, s = r.swaps[0], r.sim
    assert sw["blocked"] > 0  # calls were held, and (check_completed) all released
    assert s["threads_created"] == s["threads_exited"] + s["threads_live_at_end"]
    assert s["threads_live_at_end"] <= 3 * 4
    system = 1 + sw["workers"]
    assert 3 * (s["threads_exited"] - system) <= s["calls"] <= 3 * (s["threads_created"] - system), s
    assert sum(int(c["calls"]) for c in r.cpus) == s["calls"] == sum(int(w["calls"]) for w in r.calls)
    if exports == "[copy]":  # every CPU's rep moved, and the shared state once
        assert sw["protocol"] == "copy"
        assert sw["bytes_transferred"] == sw["workers"] * 128 + 128
        assert all(c["bytes_transferred"] >= 128 for c in workers(sw))


# --- a long-lived thread during a swap: bench/scenarios/long_lived_swap.yaml ---

IO_US = 50  # the daemon's blocking call per iteration


def test_long_lived_thread_holds_the_forward_phase_on_its_cpu(tmp_path):
    r = results(tmp_path, LONG_LIVED, f"implementations.Disk.methods.flush.io.mean_us={IO_US}")
    check_completed(r)
    sw = r.swaps[0]
    assert sw["workers"] == 4
    forward0 = longest(sw, "forward", cpu=0)
    assert forward0 >= IO_US * CYCLES_PER_US * 0.9, forward0
    others = [longest(sw, "forward", cpu=c) for c in (1, 2, 3)]
    assert max(others) < forward0 / 10, (forward0, others)
    # the other CPUs wait for CPU 0 in Block
    assert min(cpu_entry(sw, c)["phases"]["block"]["cycles"] for c in (1, 2, 3)) >= IO_US * CYCLES_PER_US * 0.5


def test_a_thread_that_never_declares_quiescence_holds_the_swap_in_forward(tmp_path):
    r = results(tmp_path, LONG_LIVED, "workloads.daemon.declares_quiescence=false", "run.duration_us=400")
    assert r.violations == 0
    sw = r.swaps[0]
    assert sw["completed"] is False
    assert (sw["end_cycle"], sw["cycles"], sw["protocol"], sw["bytes_transferred"]) == (0, 0, "none", 0)
    cpu0 = cpu_entry(sw, 0)
    assert cpu0["phase_now"] == "forward"
    assert list(cpu0["phases"]) == ["interpose", "forward"]
    assert cpu0["phases"]["forward"]["end"] == 0 and cpu0["phases"]["forward"]["cycles"] == 0
    assert cpu0["forwarded"] > 0  # CPU 0's calls go on, forwarded to the old object
    for c in (1, 2, 3):  # the others finished Forward and hold their calls in Block
        assert cpu_entry(sw, c)["phase_now"] == "block"
    assert sw["released"] == 0 and sw["blocked"] > 0
    (row,) = r.swaps_csv
    assert (row["completed"], row["end_cycle"], row["protocol"]) == ("false", "0", "none")
    assert [(p["cpu"], p["phase"], p["end_cycle"]) for p in r.phases_csv if p["cpu"] == "0"] == [
        ("0", "interpose", str(cpu0["phases"]["interpose"]["end"])), ("0", "forward", "0")]


# --- dynamic update: bench/scenarios/update_1000.yaml ---

@pytest.fixture(scope="module", params=["eager", "lazy"])
def update_1000(request, tmp_path_factory):
    d = tmp_path_factory.mktemp("update")
    return request.param, results(d, UPDATE_1000, f"events[0].mode={request.param}")


def test_update_of_1000_instances(update_1000):
    mode, r = update_1000
    (u,) = r.updates
    assert (u["class"], u["from_version"], u["to_version"], u["mode"]) == ("Counter", 1, 2, mode)
    assert u["completed"] is True and u["instances"] == u["swapped"] == 1000
    assert u["start_cycle"] >= 200 * CYCLES_PER_US
    assert u["start_cycle"] <= u["factory_swapped_cycle"] <= u["end_cycle"] < r.sim["cycles"]
    assert u["cycles"] == u["end_cycle"] - u["start_cycle"]
    assert (u["marked_cycle"] > u["factory_swapped_cycle"]) if mode == "lazy" else (u["marked_cycle"] == 0)
    # the factory came first: new objects of the class are version 2, and it kept the instance set
    assert r.summary["factories"] == [{"class": "Counter", "version": 2, "instances": 1000}]
    # one swap per instance, each after the factory's and within the update
    assert sorted(sw["object"] for sw in r.swaps) == sorted(f"counters[{i}]" for i in range(1000))
    assert all((sw["from"], sw["to"]) == ("Counter", "CounterV2") for sw in r.swaps)
    assert all(u["factory_swapped_cycle"] <= sw["start_cycle"] and sw["end_cycle"] <= u["end_cycle"]
               for sw in r.swaps)
    assert u["end_cycle"] == max(sw["end_cycle"] for sw in r.swaps)  # it ends with its last swap's last CPU
    check_completed(r)


def test_lazy_update_leaves_instances_that_are_not_called(tmp_path):
    """The run ends 150 us after the update, and zipf popularity leaves most instances uncalled: lazy swaps only
    those called; eager's workers walk the instances one swap at a time per CPU. Neither finishes."""
    sets = ["run.duration_us=350", "workloads.clients.popularity=zipf"]
    lazy = results(tmp_path, UPDATE_1000, "events[0].mode=lazy", *sets, out="lazy")
    eager = results(tmp_path, UPDATE_1000, "events[0].mode=eager", *sets, out="eager")
    for r in (lazy, eager):
        (u,) = r.updates
        assert u["instances"] == 1000 and 0 < u["swapped"] < 1000 and u["completed"] is False
        assert u["end_cycle"] == 0 and u["cycles"] == 0
        # swapped counts the instances whose swap completed
        assert u["swapped"] == sum(sw["completed"] for sw in r.swaps)
        assert r.violations == 0
        check_completed(r, [sw for sw in r.swaps if sw["completed"]])
        # the factory is swapped at once either way
        assert r.summary["factories"] == [{"class": "Counter", "version": 2, "instances": 1000}]
    assert lazy.updates[0]["marked_cycle"] > 0
    # eager: one worker per CPU, one swap at a time each
    assert len(eager.swaps) - eager.updates[0]["swapped"] <= 8


def test_update_leaves_instances_already_at_the_version(tmp_path):
    """counters[1] is swapped to version 2 first; the update then swaps the other five and solo, each once."""
    body = lambda n: {"inc": {"instructions": n, "state_atomics": 1}}
    doc = {"machine": {"cpus": 2},
           "implementations": {"Counter": {"methods": body(20)},
                               "CounterV2": {"class": "Counter", "version": 2, "methods": body(16)}},
           "objects": {"counters": {"implementation": "Counter", "count": 6}, "solo": {"implementation": "Counter"}},
           "workloads": {"w": closed([{"object": "counters", "method": "inc"}, {"object": "solo", "method": "inc"}])},
           "events": [{"type": "swap", "object": "counters[1]", "to": "CounterV2", "at_us": 20},
                      {"type": "update", "class": "Counter", "to_version": 2, "at_us": 60}],
           "run": {"duration_us": 200}}
    r = results(tmp_path, write(tmp_path, doc))
    check_completed(r)
    (u,) = r.updates
    assert u["completed"] and u["instances"] == u["swapped"] == 6
    assert r.swaps[0]["object"] == "counters[1]" and r.swaps[0]["end_cycle"] < u["start_cycle"]
    assert sorted(sw["object"] for sw in r.swaps[1:]) == sorted([f"counters[{i}]" for i in (0, 2, 3, 4, 5)] + ["solo"])
    assert r.summary["factories"] == [{"class": "Counter", "version": 2, "instances": 7}]


# --- determinism with swaps ---

DETERMINISTIC = ["summary.json", "swaps.csv", "phases.csv", "calls.csv", "cpus.csv", "regions.csv"]


@pytest.mark.parametrize("scenario,sets", [
    (K42_SWAP, ["machine.cpus=4", "implementations.FileCache.transfer.export=[copy]"]),
    (UPDATE_1000, ["events[0].mode=lazy"]),
], ids=["k42-swap-copy", "update_1000-lazy"])
def test_same_seed_same_swaps(tmp_path, scenario, sets):
    dirs = [tmp_path / "a", tmp_path / "b"]
    args = [a for s in sets for a in ("--set", s)]
    procs = [subprocess.Popen([QUIESCE, "run", scenario, *args, "-q", "-o", str(d)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for d in dirs]
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0 and (out, err) == ("", ""), (out, err)
    a, b = Results(dirs[0]), Results(dirs[1])
    assert a.swaps and all(sw["completed"] for sw in a.swaps)
    for name in DETERMINISTIC:
        assert a.raw(name) == b.raw(name), name


# --- the safety oracle ---

def backlogged(tmp_path, token):
    """Three descriptors per CPU and open arrivals above what the CPUs serve: the swap's initiator and workers
    (system threads) wait in the backlog for tens of us after the event at 30 us. Calls meanwhile go straight to
    the old object through the LTT entries, and half of them wait for I/O inside it."""
    s = cache_scenario(tmp_path, events=[{"type": "swap", "object": "cache", "to": "CacheV2", "at_us": 30}],
                       io={"probability": 0.5, "mean_us": 10}, duration=300,
                       os={"max_threads_per_cpu": 3, "generations": {"token": token}},
                       workloads={"w": {"kind": "open", "rate_per_ms": 1000,
                                        "mix": [{"object": "cache", "method": "lookup"}]}})
    r = results(tmp_path, s, seed=3, out=f"token-{token}")
    sw = r.swaps[0]
    assert min(c["phases"]["interpose"]["start"] for c in workers(sw)) - sw["start_cycle"] > 10 * CYCLES_PER_US
    assert min(int(c["backlog_peak"]) for c in r.cpus) > 0
    return r


def test_late_workers_without_the_token_are_safe(tmp_path):
    """Without the token no generation swap happens between the event and the workers' interposition."""
    r = backlogged(tmp_path, False)
    assert r.summary["generations"]["token_rounds"] == 0
    check_completed(r)


def test_late_workers_still_wait_for_the_old_objects_threads(tmp_path):
    """As above with the token circulating (the default): the transfer must still not begin while a thread is
    inside the old object."""
    r = backlogged(tmp_path, True)
    assert r.summary["generations"]["token_rounds"] > 0
    check_completed(r)


# --- everything at once -----------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fileserver_with_overlapping_swaps_and_a_lazy_update(tmp_path, seed):
    """fileserver.yaml (groups, zipf, nested calls, I/O waits inside methods, a
    long-lived flusher that blocks in the log) with a swap of the directory
    group, a swap of the log, and a lazy update of every file, overlapping."""
    with open(os.path.join(ROOT, "scenarios", "fileserver.yaml")) as f:
        doc = yaml.safe_load(f)
    impls = doc["implementations"]
    for name in ("Directory", "File", "Log"):
        v2 = dict(impls[name], **{"class": name, "version": 2})
        impls[name + "V2"] = v2
    doc["events"] = [
        {"type": "swap", "object": "dir", "to": "DirectoryV2", "at_us": 100},
        {"type": "swap", "object": "log", "to": "LogV2", "at_us": 120, "cpu": 3},
        {"type": "update", "class": "File", "to_version": 2, "mode": "lazy", "at_us": 150, "cpu": 5},
    ]
    doc["run"] = {"duration_us": 2500}  # lazy: the least popular file may see its first call after 1.7 ms
    r = results(tmp_path, write(tmp_path, doc), seed=seed)
    assert len(r.swaps) == 16 + 1 + 64
    assert all(w["completed"] for w in r.swaps), [w["waiting"] for w in r.swaps if not w["completed"]]
    assert all(w["blocked"] == w["released"] for w in r.swaps)
    (u,) = r.updates
    assert u["completed"] and u["swapped"] == u["instances"] == 64
    assert u["end_cycle"] == max(sw["end_cycle"] for sw in r.swaps if sw["object"].startswith("file["))
    assert r.violations == 0, r.summary["safety"]["details"][:3]
    assert r.sim["io_blocks"] > 0
    assert r.calls_after(u["end_cycle"]) > 0  # the load goes on after all of it


def test_a_swap_of_a_lazily_marked_instance_starts_from_its_own_root(tmp_path):
    """A lazy update marks every instance (wraps its root); a swap event of
    one marked instance must still find the old object's reps to transfer."""
    inc = {"instructions": 20, "state_atomics": 1}
    impls = {f"V{v}": {"class": "C", "version": v, "root": "per_cpu", "methods": {"inc": inc}} for v in (1, 2, 3)}
    doc = {"name": "edge", "machine": {"cpus": 4}, "implementations": impls,
           "objects": {"c": {"implementation": "V1", "count": 8}},
           "workloads": {"w": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 3,
                               "mix": [{"object": "c", "method": "inc"}], "popularity": "zipf"}},
           "events": [{"type": "update", "class": "C", "to_version": 2, "mode": "lazy", "at_us": 50},
                      {"type": "swap", "object": "c[7]", "to": "V3", "at_us": 60}],
           "run": {"duration_us": 600}}
    r = results(tmp_path, write(tmp_path, doc))
    (s7,) = [w for w in r.swaps if w["object"] == "c[7]"]
    assert (s7["from"], s7["to"], s7["completed"], s7["protocol"]) == ("V1", "V3", True, "by_reference")
    assert all(w["completed"] for w in r.swaps)
    assert r.violations == 0
    assert r.updates[0]["swapped"] == 7  # c[7] left the update's path through its own swap
