"""`quiesce run SCENARIO.yaml [-o DIR] [--set K=V]... [--seed N] [-q]`: builds the
machine and the OS kernel, simulates run.duration_us and writes DIR (default
outputs.dir, else results/<name>/ under the working directory) with summary.json,
calls.csv, cpus.csv, regions.csv and host.json. Exit codes: 0 ok, 2 bad input,
3 guest fault (trap report on stderr), 5 coherence invariant violation. Run with
    QUIESCE=build/quiesce GUEST_CC=tools/guest-cc QUIESCE_BUILD_DIR=build \\
        /usr/bin/python3 -m pytest tests/cli/test_run.py
"""
import csv
import json
import math
import os
import pty
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Absolute: some tests run quiesce in a temporary working directory.
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
GUEST_CC = os.path.abspath(os.environ.get("GUEST_CC", os.path.join(ROOT, "tools", "guest-cc")))
BUILD_DIR = os.path.abspath(os.environ.get("QUIESCE_BUILD_DIR", os.path.dirname(QUIESCE)))
SCENARIOS = os.path.join(ROOT, "scenarios")
QUICKSTART = os.path.join(SCENARIOS, "quickstart.yaml")
COUNTERS = os.path.join(SCENARIOS, "counters.yaml")
FILESERVER = os.path.join(SCENARIOS, "fileserver.yaml")
ELF_METHODS = os.path.join(SCENARIOS, "elf_methods.yaml")
K42_SWAP = os.path.join(SCENARIOS, "k42-swap.yaml")  # a swap event at 150 us: slicing must not move it
OBJECTS_ELF = os.path.join(BUILD_DIR, "guest", "objects.elf")

# What a run writes: the files scenarios/README.md lists, the hot-swap layer's three tables included.
FILES = {"summary.json", "calls.csv", "cpus.csv", "regions.csv", "region_cpus.csv", "host.json", "swaps.csv",
         "phases.csv", "activity.csv", "events.csv", "memory.csv", "manifest.json"}
DETERMINISTIC = sorted(FILES - {"host.json"})  # host.json holds wall-clock facts
CLOCK_CYCLES_PER_US = 2000  # the default 2 GHz clock
# Counters regions.csv does not attribute to regions: store-buffer stalls belong to a CPU.
PER_CPU_ONLY = {"store_buffer_stall_cycles"}
TIMEOUT = 300  # generous: the same tests run under ASan

# One generated method per implementation: the scenarios below change one thing each.
ONE_OBJECT = """\
machine: {{cpus: {cpus}}}
os: {{max_threads_per_cpu: {max_threads}}}
implementations:
  Thing:
    methods:
      get: {{instructions: 20, state_reads: 1{io}}}
objects:
  thing: {{implementation: Thing}}
workloads:
  w:
    {workload}
    mix: [{{object: thing, method: get}}]
run: {{duration_us: {duration}}}
"""


def scenario(tmp_path, workload="kind: closed", cpus=2, duration=200, io="", max_threads=64, name="s.yaml"):
    f = tmp_path / name
    f.write_text(ONE_OBJECT.format(workload=workload, cpus=cpus, duration=duration, io=io, max_threads=max_threads))
    return str(f)


def run(*args, cwd=None, stderr=subprocess.PIPE):
    return subprocess.run([QUIESCE, "run", *args], stdout=subprocess.PIPE, stderr=stderr, text=True,
                          cwd=cwd, timeout=TIMEOUT)


def ok(*args, cwd=None):
    p = run(*args, cwd=cwd)
    assert p.returncode == 0, (p.stdout, p.stderr)
    return p


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Results:
    def __init__(self, d):
        self.dir = str(d)
        self.summary = json.load(open(os.path.join(self.dir, "summary.json")))
        self.host = json.load(open(os.path.join(self.dir, "host.json")))
        self.calls = read_csv(os.path.join(self.dir, "calls.csv"))
        self.cpus = read_csv(os.path.join(self.dir, "cpus.csv"))
        self.regions = read_csv(os.path.join(self.dir, "regions.csv"))

    @property
    def sim(self):
        return self.summary["simulated"]

    def method(self, obj, name):
        for o in self.summary["objects"]:
            if o["name"] == obj:
                for m in o["methods"]:
                    if m["name"] == name:
                        return m
        raise KeyError(f"{obj}.{name}")

    def raw(self, name):
        return open(os.path.join(self.dir, name), "rb").read()


def results(tmp_path, *args, out="out", cwd=None):
    d = tmp_path / out
    ok(*args, "-o", str(d), "-q", cwd=cwd)
    return Results(d)


def same_outputs(a, b):
    return all(a.raw(f) == b.raw(f) for f in DETERMINISTIC)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    return results(tmp_path_factory.mktemp("quickstart"), QUICKSTART)


# --- the results directory ---

def test_writes_exactly_its_files(tmp_path):
    out = tmp_path / "out"
    p = ok(QUICKSTART, "-o", str(out))
    assert set(os.listdir(out)) == FILES  # and so no *.tmp left behind
    assert p.stderr == ""  # stderr is not a terminal: no progress line


def test_o_creates_nested_directories(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    ok(QUICKSTART, "-o", str(out), "-q")
    assert set(os.listdir(out)) == FILES


def test_default_directory_is_results_name_under_the_working_directory(tmp_path):
    p = ok(QUICKSTART, cwd=tmp_path)
    assert os.listdir(tmp_path) == ["results"]
    assert set(os.listdir(tmp_path / "results" / "quickstart")) == FILES
    assert "results/quickstart/" in p.stdout


def test_default_name_is_the_file_stem(tmp_path):
    f = tmp_path / "my scen.v2.yaml"
    f.write_text(open(COUNTERS).read())
    ok(str(f), "-q", cwd=tmp_path)
    assert os.listdir(tmp_path / "results") == ["my_scen.v2"]
    assert Results(tmp_path / "results" / "my_scen.v2").summary["scenario"]["name"] == "my_scen.v2"


def test_outputs_dir_is_used_and_o_wins_over_it(tmp_path):
    ok(QUICKSTART, "--set", "outputs.dir=custom/dir", "-q", cwd=tmp_path)
    assert set(os.listdir(tmp_path / "custom" / "dir")) == FILES
    ok(QUICKSTART, "--set", "outputs.dir=other", "-o", "chosen", "-q", cwd=tmp_path)
    assert set(os.listdir(tmp_path / "chosen")) == FILES
    assert not (tmp_path / "other").exists()
    assert not (tmp_path / "results").exists()


def test_rerun_replaces_the_files(tmp_path, quickstart):
    out = tmp_path / "out"
    ok(QUICKSTART, "--seed", "2", "-o", str(out), "-q")
    ok(QUICKSTART, "-o", str(out), "-q")
    assert set(os.listdir(out)) == FILES
    assert same_outputs(Results(out), quickstart)


def test_stdout_names_the_results_directory(tmp_path):
    out = tmp_path / "out"
    p = ok(QUICKSTART, "-o", str(out))
    assert p.stdout.count("\n") == 1
    assert re.fullmatch(r"quickstart: 200 us on 4 CPUs, \d+ instructions, [\d.]+ MIPS; results in .*\n", p.stdout)
    assert p.stdout.endswith(f"results in {out}/\n")


def test_quiet_prints_nothing(tmp_path):
    p = ok(QUICKSTART, "-o", str(tmp_path / "out"), "-q")
    assert (p.stdout, p.stderr) == ("", "")
    assert set(os.listdir(tmp_path / "out")) == FILES


def test_host_json(quickstart):
    h = quickstart.host
    assert h["host_seconds"] > 0
    assert h["instructions"] == quickstart.sim["instructions"] > 0
    assert h["simulated_mips"] > 0 and h["simulated_cpu_cycles_per_second"] > 0
    assert h["quiesce_version"] == quickstart.summary["quiesce_version"]


# --- summary.json ---

def test_summary_header(quickstart):
    s = quickstart.summary
    assert list(s)[:3] == ["quiesce_version", "seed", "scenario"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", s["quiesce_version"])
    assert s["seed"] == 1
    assert {"simulated", "generations", "objects", "factories"} <= set(s)


def test_summary_scenario_is_the_resolved_one(tmp_path):
    r = results(tmp_path, QUICKSTART, "--set", "machine.cpus=2", "--set", "os.schedule_cycles=55")
    sc = r.summary["scenario"]
    assert sc["name"] == "quickstart"
    assert sc["machine"]["cpus"] == 2
    assert sc["os"]["schedule_cycles"] == 55
    assert sc["os"]["descriptor_bytes"] == 384  # a default, not in the file
    assert sc["machine"]["clock_ghz"] == 2.0
    assert sc["workloads"]["clients"]["cpus"] == [0, 1]  # `all` resolved
    assert sc["workloads"]["clients"]["think"] == "exponential"
    assert sc["implementations"]["PerCpuCounter"]["root"] == "per_cpu"
    assert sc["run"] == {"duration_us": 200.0, "warmup_us": 0.0, "seed": 1}
    assert len(r.cpus) == 2


def test_simulated_totals(quickstart):
    s = quickstart.sim
    assert s["cycles"] == 200 * CLOCK_CYCLES_PER_US and s["us"] == 200
    assert s["calls"] > 0 and s["instructions"] > 0
    assert s["calls_per_ms"] == pytest.approx(s["calls"] / 0.2)
    assert s["threads_created"] >= s["threads_exited"] > 0
    assert s["threads_created"] == s["threads_exited"] + s["threads_live_at_end"]
    callers = sum(1 for c in quickstart.cpus if int(c["calls"]) > 0)
    assert callers == 4
    assert s["translation_misses"] >= callers
    assert 0 <= s["idle_fraction"] < 1
    assert s["os_memory_bytes"] > 0
    assert s["io_blocks"] == 0 and s["coherence_violations"] == 0


def test_objects_methods_and_percentiles(quickstart):
    objs = {o["name"]: o for o in quickstart.summary["objects"]}
    assert list(objs) == ["counter", "table"]
    assert (objs["counter"]["root"], objs["table"]["root"]) == ("per_cpu", "shared")
    assert [m["name"] for m in objs["table"]["methods"]] == ["lookup", "insert"]
    lookup, insert, inc = (quickstart.method("table", "lookup"), quickstart.method("table", "insert"),
                           quickstart.method("counter", "inc"))
    assert lookup["calls"] > insert["calls"] > 0  # weights 3:1
    assert inc["calls"] == 0 and inc["nested_calls"] == insert["calls"]  # only called from insert
    for m in (lookup, insert):
        lat = m["latency_cycles"]
        assert lat["count"] == m["calls"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
        assert 0 < lat["mean"] <= lat["max"]
        assert m["calls_per_ms"] == pytest.approx(m["calls"] / 0.2)


def test_factories(quickstart):
    assert quickstart.summary["factories"] == [{"class": "PerCpuCounter", "version": 1, "instances": 1},
                                               {"class": "HashTable", "version": 1, "instances": 1}]


def test_generations(quickstart):
    g = quickstart.summary["generations"]
    assert g["token_rounds"] > 0 and g["local_swaps"] >= g["token_rounds"]
    assert g["round_cycles"]["count"] == g["token_rounds"]
    assert g["round_cycles"]["p50"] <= g["round_cycles"]["max"]
    assert g["round_us_p50"] == pytest.approx(g["round_cycles"]["p50"] / CLOCK_CYCLES_PER_US)


def test_method_calls_after_warmup_add_up(tmp_path):
    r = results(tmp_path, FILESERVER)  # warmup_us 50: per-method calls leave out the first 50 us
    top = sum(m["calls"] for o in r.summary["objects"] for m in o["methods"])
    assert 0 < top < r.sim["calls"]


# --- the CSV files ---

@pytest.mark.parametrize("duration,window,rows", [(200, None, 2), (250, 100, 3), (50, None, 1), (100, 7, 15)])
def test_calls_csv_windows(tmp_path, duration, window, rows):
    args = ["--set", f"run.duration_us={duration}"] + (["--set", f"outputs.window_us={window}"] if window else [])
    r = results(tmp_path, QUICKSTART, *args)
    assert rows == math.ceil(duration / (window or min(100, duration)))
    assert len(r.calls) == rows
    assert [int(w["window"]) for w in r.calls] == list(range(rows))
    assert float(r.calls[0]["start_us"]) == 0 and float(r.calls[-1]["end_us"]) == duration
    for a, b in zip(r.calls, r.calls[1:]):
        assert a["end_us"] == b["start_us"]
    assert sum(int(w["calls"]) for w in r.calls) == r.sim["calls"]
    for w in r.calls:
        if int(w["calls"]):
            assert int(w["latency_p50_cycles"]) <= int(w["latency_p90_cycles"]) <= int(w["latency_p99_cycles"]) \
                <= int(w["latency_max_cycles"])


def test_calls_csv_threads_created_add_up(quickstart):
    assert sum(int(w["threads_created"]) for w in quickstart.calls) == quickstart.sim["threads_created"]


def test_cpus_csv(quickstart):
    rows = quickstart.cpus
    assert [int(c["cpu"]) for c in rows] == [0, 1, 2, 3]
    for c in rows:
        assert all(re.fullmatch(r"\d+", v) for v in c.values()), c
        assert int(c["cycles"]) >= quickstart.sim["cycles"] and int(c["idle_cycles"]) < int(c["cycles"])
        assert int(c["translation_misses"]) == 2  # one per object on each CPU
    for key in ("calls", "threads_created", "threads_exited", "context_switches", "translation_misses", "io_blocks"):
        assert sum(int(c[key]) for c in rows) == quickstart.sim[key], key
    assert sum(int(c["instructions"]) for c in rows) == quickstart.sim["instructions"]
    assert sum(int(c["generation_swaps"]) for c in rows) == quickstart.summary["generations"]["local_swaps"]


def test_regions_csv(quickstart):
    rows = {r["region"]: r for r in quickstart.regions}
    assert len(rows) == len(quickstart.regions)  # one row per name
    for name in ("GTT", "LTT.cpu0", "LTT.cpu3", "os.code", "generation.token", "threads.cpu0", "stacks.cpu0",
                 "runqueue.cpu0", "generation.cpu0", "table.rep", "HashTable.vtable", "DefaultObject.vtable"):
        assert name in rows, name
    assert {f"counter.rep.cpu{c}" for c in range(4)} <= set(rows)  # a rep per CPU for the per-CPU counter
    assert "counter.rep" not in rows and "table.rep.cpu0" not in rows
    for r in rows.values():
        assert re.fullmatch(r"0x[0-9a-f]+", r["start"])
        assert all(re.fullmatch(r"\d+", v) for k, v in r.items() if k not in ("region", "start")), r
    assert int(rows["table.rep"]["accesses"]) > 0 and int(rows["counter.rep.cpu0"]["accesses"]) > 0


@pytest.mark.parametrize("scn", [QUICKSTART, FILESERVER], ids=["quickstart", "fileserver"])
def test_region_counters_add_up_to_the_cpu_counters(tmp_path, scn):
    r = results(tmp_path, scn)
    counters = [k for k in r.regions[0] if k not in ("region", "start", "bytes", "parts")]
    assert counters == [k for k in r.cpus[0]][-len(counters):]
    for k in counters:
        if k not in PER_CPU_ONLY:
            assert sum(int(x[k]) for x in r.regions) == sum(int(x[k]) for x in r.cpus), k


def test_region_cpus_csv_splits_each_region_by_cpu(quickstart):
    rows = read_csv(os.path.join(quickstart.dir, "region_cpus.csv"))
    counters = [k for k in quickstart.regions[0] if k not in ("region", "start", "bytes", "parts")]
    assert list(rows[0]) == ["region", "cpu"] + counters
    # Only the (region, CPU) pairs with a count, regions in regions.csv's order, CPUs ascending: a pair
    # not listed is all zeros, so each region's rows still add up to its regions.csv row.
    assert all(any(int(r[k]) for k in counters) for r in rows)
    names = [region["region"] for region in quickstart.regions]
    order = []
    for r in rows:
        if not order or order[-1] != r["region"]:
            order.append(r["region"])
    assert order == [n for n in names if n in order]  # each region's rows together, in regions.csv order
    assert len(rows) < 4 * len(quickstart.regions)  # some CPUs never touch some regions (another CPU's LTT)
    for region in quickstart.regions:
        mine = [r for r in rows if r["region"] == region["region"]]
        cpus = [int(r["cpu"]) for r in mine]
        assert cpus == sorted(set(cpus)) and all(0 <= c < 4 for c in cpus)
        for k in counters:
            assert sum(int(r[k]) for r in mine) == int(region[k]), (region["region"], k)
    # the per-CPU LTTs are mostly their own CPU's
    ltt1 = {r["cpu"]: int(r["accesses"]) for r in rows if r["region"] == "LTT.cpu1"}
    assert ltt1["1"] > 0 and ltt1["1"] >= max(ltt1.values())


def test_region_downgrades_add_up_to_the_cpu_downgrades(quickstart):
    cpus = sum(int(x["downgrades_received"]) for x in quickstart.cpus)
    assert cpus > 0
    assert sum(int(x["downgrades_received"]) for x in quickstart.regions) == cpus


def test_region_ifetch_misses(quickstart):
    code = next(x for x in quickstart.regions if x["region"] == "os.code")
    assert int(code["misses"]) > 0 and int(code["accesses"]) == 0  # the kernel's code is fetched, not loaded
    assert int(code["ifetch_misses"]) > 0


def test_groups_are_one_region_row(tmp_path):
    r = results(tmp_path, FILESERVER)
    rows = {x["region"]: x for x in r.regions}
    # Regions nobody touched are left out, so a group's row counts the instances that were used.
    for name, count in (("dir[].rep", 16), ("file[].shared", 64), ("file[].rep.cpu0", 64), ("file[].rep.cpu7", 64)):
        parts, size = int(rows[name]["parts"]), int(rows[name]["bytes"])
        assert 1 < parts <= count, name
        assert size % parts == 0, name
    assert int(rows["file[].shared"]["bytes"]) // int(rows["file[].shared"]["parts"]) == 4096  # shared_state_bytes
    assert "dir[0].rep" not in rows and "file.rep.cpu0" not in rows


# --- seeds ---

def test_another_seed_gives_other_results(tmp_path, quickstart):
    r = results(tmp_path, QUICKSTART, "--seed", "2")
    assert r.summary["seed"] == 2 and r.summary["scenario"]["run"]["seed"] == 2
    assert r.sim != quickstart.sim
    assert set(os.listdir(r.dir)) == FILES


def test_set_run_seed_equals_the_seed_flag(tmp_path):
    a = results(tmp_path, QUICKSTART, "--seed", "2", out="a")
    b = results(tmp_path, QUICKSTART, "--set", "run.seed=2", out="b")
    assert same_outputs(a, b)


def test_seed_flag_wins_over_set(tmp_path):
    a = results(tmp_path, QUICKSTART, "--seed", "3", out="a")
    b = results(tmp_path, QUICKSTART, "--seed", "3", "--set", "run.seed=9", out="b")
    assert same_outputs(a, b)


# --- what the scenarios model ---

def test_per_cpu_counter_scales_and_shared_does_not(tmp_path):
    def rate(obj):
        r = results(tmp_path, COUNTERS, "--set", "machine.cpus=4", "--set", f"workloads.clients.mix[0].object={obj}",
                    "--set", "workloads.clients.calls_per_request=100", out=obj)
        assert r.method(obj, "inc")["calls"] == r.sim["calls"] > 0
        return r.sim["calls_per_ms"], r
    shared, rs = rate("shared_counter")
    percpu, rp = rate("percpu_counter")
    assert percpu > 2 * shared
    # the shared rep's line moves between CPUs; the per-CPU reps' lines stay put
    regions = {x["region"]: x for x in rs.regions}
    assert int(regions["shared_counter.rep"]["c2c_transfers"]) > 100
    regions = {x["region"]: x for x in rp.regions}
    assert all(int(regions[f"percpu_counter.rep.cpu{c}"]["c2c_transfers"]) <= 1 for c in range(4))


def test_invariant_checker_finds_nothing_and_changes_nothing(tmp_path, quickstart):
    out = tmp_path / "out"
    p = ok(QUICKSTART, "--set", "machine.check_invariants=true", "-o", str(out))
    assert "coherence invariant" not in p.stderr
    r = Results(out)
    assert r.sim["coherence_violations"] == 0
    assert r.sim == quickstart.sim
    assert all(r.raw(f) == quickstart.raw(f) for f in ("calls.csv", "cpus.csv", "regions.csv"))


# Lookahead (a sync no other CPU could precede skips its SystemC wait) and the CPU order of
# same-cycle wakes are exact: on 8 CPUs, in lockstep and at the default quantum, with the swap's
# contended lines (global_refcount queues every CPU on one line), every output is the same with
# it off, and only host.json says how many waits it saved.
@pytest.mark.parametrize("quantum", [1, 250])
def test_lookahead_changes_nothing_simulated(tmp_path, quantum):
    common = [os.path.join(SCENARIOS, "compare", "base.yaml"), "--set", "machine.cpus=8",
              "--set", "events[0].strategy=global_refcount", "--set", f"machine.quantum_cycles={quantum}"]
    on = results(tmp_path, *common, out="on")
    off = results(tmp_path, *common, "--set", "machine.lookahead=false", out="off")
    assert on.summary["scenario"]["machine"]["lookahead"] is True
    assert off.summary["scenario"]["machine"]["lookahead"] is False
    on.summary["scenario"]["machine"]["lookahead"] = False
    assert on.summary == off.summary
    assert all(on.raw(f) == off.raw(f) for f in DETERMINISTIC if f not in ("summary.json", "manifest.json"))
    assert on.host["waits_skipped"] > 0 and off.host["waits_skipped"] == 0
    assert on.summary["swaps"][0]["completed"]


def test_warmup_leaves_calls_out_of_the_method_statistics(tmp_path, quickstart):
    r = results(tmp_path, QUICKSTART, "--set", "run.warmup_us=100")
    assert r.sim == quickstart.sim  # the simulation and its totals do not change
    assert r.raw("calls.csv") == quickstart.raw("calls.csv")
    for obj, m in (("table", "lookup"), ("table", "insert")):
        full, late = quickstart.method(obj, m)["calls"], r.method(obj, m)["calls"]
        assert 0 < late < full
        assert r.method(obj, m)["calls_per_ms"] == pytest.approx(late / 0.1)  # per measured (post-warmup) ms
    assert r.method("counter", "inc")["nested_calls"] == r.method("table", "insert")["calls"]


def test_fileserver_waits_for_io(tmp_path):
    r = results(tmp_path, FILESERVER)
    assert r.sim["io_blocks"] > 0
    assert sum(int(c["io_points"]) for c in r.cpus) > r.sim["io_blocks"]  # reads and writes block with p = 0.05
    flush = r.method("log", "flush")  # every flush waits for the disk, 20 us on average
    assert flush["calls"] > 0 and flush["latency_cycles"]["mean"] >= 5 * CLOCK_CYCLES_PER_US


@pytest.mark.parametrize("distribution", ["fixed", "exponential"])
def test_io_wait_is_in_the_call_latency(tmp_path, distribution):
    mean_us = 10
    io = f", io: {{probability: 1, mean_us: {mean_us}, distribution: {distribution}}}"
    r = results(tmp_path, scenario(tmp_path, workload="threads: 2", io=io, duration=400))
    get = r.method("thing", "get")
    assert get["calls"] > 20
    lat = get["latency_cycles"]
    assert lat["p99"] >= mean_us * CLOCK_CYCLES_PER_US
    assert lat["mean"] == pytest.approx(mean_us * CLOCK_CYCLES_PER_US, rel=0.5)
    if distribution == "fixed":
        assert lat["p50"] >= mean_us * CLOCK_CYCLES_PER_US
    assert r.sim["io_blocks"] >= get["calls"]
    assert r.sim["idle_fraction"] > 0.5  # the threads wait off the CPU


@pytest.mark.parametrize("declares", [False, True])
def test_long_lived_threads_and_quiescence(tmp_path, declares):
    workload = f"kind: long_lived\n    think_us: 1\n    declares_quiescence: {str(declares).lower()}"
    r = results(tmp_path, scenario(tmp_path, workload=workload))
    assert r.sim["threads_created"] == r.sim["threads_live_at_end"] == 2 and r.sim["threads_exited"] == 0
    assert r.sim["calls"] > 100
    rounds = r.summary["generations"]["token_rounds"]
    assert (rounds > 0) == declares, rounds


def test_open_arrivals_scale_with_the_rate(tmp_path):
    def threads(rate):
        f = scenario(tmp_path, workload=f"kind: open\n    rate_per_ms: {rate}", duration=1000, name=f"r{rate}.yaml")
        return results(tmp_path, f, out=f"r{rate}").sim["threads_created"]
    slow, fast = threads(100), threads(200)
    assert slow == pytest.approx(2 * 100, rel=0.3)  # 2 CPUs x 100/ms x 1 ms
    assert 1.5 * slow <= fast <= 2.5 * slow


def test_backlog_when_descriptors_run_out(tmp_path):
    tight = results(tmp_path, scenario(tmp_path, workload="threads: 4", max_threads=1, name="t.yaml"), out="t")
    assert all(int(c["backlogged"]) > 0 and int(c["backlog_peak"]) > 0 for c in tight.cpus)
    roomy = results(tmp_path, scenario(tmp_path, workload="threads: 4", name="r.yaml"), out="r")
    assert all(int(c["backlogged"]) == 0 and int(c["backlog_peak"]) == 0 for c in roomy.cpus)


def test_elf_methods(tmp_path):
    assert os.path.exists(OBJECTS_ELF), f"{OBJECTS_ELF} is built by the guest_objects target"
    r = results(tmp_path, ELF_METHODS, "--set", f"os.guest_elf={OBJECTS_ELF}")
    for obj, m in (("table", "lookup"), ("table", "insert"), ("local", "insert"), ("table", "size")):
        assert r.method(obj, m)["calls"] > 0, (obj, m)
    assert r.summary["scenario"]["os"]["guest_elf"] == OBJECTS_ELF


# --- guest faults: exit 3 with a trap report ---

FAULTY = """\
long good_method(void* rep, long arg) {{ return arg + ((long*)rep)[2]; }}
long bad_method(void* rep, long arg) {{ {body}; return arg; }}
int main(void) {{ return 0; }}
"""
FAULT_SCENARIO = """\
machine: {cpus: 2}
os: {guest_elf: faulty.elf}
implementations:
  Faulty:
    methods:
      good: {symbol: good_method}
      bad: {symbol: bad_method}
objects:
  f: {implementation: Faulty}
workloads:
  w: {mix: [{object: f, method: good, weight: 5}, {object: f, method: bad}]}
run: {duration_us: 100}
"""


@pytest.mark.parametrize("body,what", [("__builtin_trap()", "trap instruction"),
                                       ('asm volatile(".long 0")', "illegal or unimplemented instruction")])
def test_guest_fault_exits_3_with_a_trap_report(tmp_path, body, what):
    (tmp_path / "faulty.c").write_text(FAULTY.format(body=body))
    subprocess.run([GUEST_CC, "-O2", "-o", str(tmp_path / "faulty.elf"), str(tmp_path / "faulty.c")], check=True)
    (tmp_path / "s.yaml").write_text(FAULT_SCENARIO)
    p = run(str(tmp_path / "s.yaml"), "-o", str(tmp_path / "out"))
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert re.match(r"quiesce: guest fault on cpu [01] at cycle \d+: " + what, p.stderr), p.stderr
    assert re.search(r"<bad_method(\+0x[0-9a-f]+)?>", p.stderr), p.stderr
    assert "good_method" not in p.stderr


# --- bad input: exit 2, one message, nothing written ---

def bad_input(tmp_path, *args):
    p = run(*args, "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()
    return p.stderr


def test_missing_file(tmp_path):
    assert bad_input(tmp_path, "nope.yaml") == "quiesce: nope.yaml: cannot open: No such file or directory\n"


def test_scenario_error_names_file_line_and_column(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("machine:\n  cpus: 0\n")
    assert bad_input(tmp_path, str(f)) == f'quiesce: {f}:2:9: machine.cpus: expected an integer 1..1024, found "0"\n'


def test_reference_error(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(open(QUICKSTART).read().replace("{object: table, method: insert", "{object: tabel, method: insert"))
    err = bad_input(tmp_path, str(f))
    assert re.fullmatch(re.escape(f"quiesce: {f}:") + r"\d+:\d+: workloads\.clients\.mix\[1\]\.object: "
                        r"unknown object 'tabel'; did you mean 'table'\?\n", err), err


def test_set_error_names_the_override(tmp_path):
    err = bad_input(tmp_path, QUICKSTART, "--set", "machine.cpus=abc")
    assert err == 'quiesce: --set machine.cpus=abc: machine.cpus: expected an integer 1..1024, found "abc"\n'
    err = bad_input(tmp_path, QUICKSTART, "--set", "run.duraton_us=5")
    assert err.startswith("quiesce: --set run.duraton_us=5: run.duraton_us: unknown key; did you mean 'duration_us'?")


def test_guest_elf_that_is_not_an_elf(tmp_path):
    (tmp_path / "x.elf").write_text("not an ELF\n")
    err = bad_input(tmp_path, QUICKSTART, "--set", "os.guest_elf=x.elf")
    assert err == "quiesce: --set os.guest_elf=x.elf: os.guest_elf: x.elf: not an ELF file\n"


def test_memory_too_small_for_the_thread_stacks(tmp_path):
    err = bad_input(tmp_path, QUICKSTART, "--set", "machine.memory.size_mib=6")
    assert "os.max_threads_per_cpu" in err and "do not fit in 6 MiB of memory" in err, err
    assert err.startswith(f"quiesce: {QUICKSTART}:")


HUGE_OBJECTS = """\
machine: {{cpus: 1, memory: {{size_mib: 64}}}}
implementations:
  Big:
    {state}: 1048576
    methods:
      get: {{}}
objects:
  b: {{implementation: Big, count: 200}}
workloads:
  w: {{mix: [{{object: b, method: get}}]}}
run: {{duration_us: 200}}
"""


def test_guest_memory_exhausted_while_building(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(HUGE_OBJECTS.format(state="shared_state_bytes"))  # 200 MiB of shared state, made at build time
    err = bad_input(tmp_path, str(f))
    assert re.match(r"quiesce: guest memory for OS structures is exhausted: b\S*shared\S* needs 1048576 bytes", err), err
    assert "raise machine.memory.size_mib" in err


def test_guest_memory_exhausted_while_running(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(HUGE_OBJECTS.format(state="state_bytes"))  # 200 reps of 1 MiB, made when first called
    err = bad_input(tmp_path, str(f))
    # (Under ASan the exception thrown inside a SystemC thread adds a warning line before it.)
    assert "quiesce: guest memory for OS structures is exhausted: b[].rep needs" in err, err


@pytest.mark.parametrize("args,message", [
    ([], "scenario is required"),
    ([QUICKSTART, "--seed", "x"], "--seed"),
    ([QUICKSTART, "--bogus"], "--bogus"),
    ([QUICKSTART, "--set", "novalue"], "quiesce: --set novalue: expected KEY.PATH=VALUE"),
])
def test_bad_command_line(tmp_path, args, message):
    assert message in bad_input(tmp_path, *args)


def test_unwritable_output_directory(tmp_path):
    (tmp_path / "file").write_text("")
    p = run(QUICKSTART, "-o", str(tmp_path / "file" / "out"))
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr == f"quiesce: -o {tmp_path / 'file' / 'out'}: Not a directory\n"


# --- progress line on a terminal ---

def run_on_pty(*args):
    """Runs quiesce with stderr on a pseudo-terminal; returns (process, what it wrote there)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([QUIESCE, "run", *args], stdout=subprocess.PIPE, stderr=slave)
    finally:
        os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    out = p.stdout.read().decode()
    p.stdout.close()
    p.wait(timeout=TIMEOUT)
    return p, out, tty.decode()


@pytest.mark.parametrize("scn", [QUICKSTART, FILESERVER, K42_SWAP], ids=["quickstart", "fileserver", "k42-swap"])
def test_progress_only_on_a_terminal_and_slicing_changes_nothing(tmp_path, scn):
    piped = tmp_path / "piped"
    p = ok(scn, "-o", str(piped))
    assert "%" not in p.stderr and p.stderr == ""
    onpty = tmp_path / "pty"
    p, out, tty = run_on_pty(scn, "-o", str(onpty))
    assert p.returncode == 0, tty
    assert "results in" in out
    assert re.search(r"\r[\w.-]+: +\d+\.\d% of \d+ us simulated", tty), tty
    assert "100.0% of" in tty and tty.endswith("\n")
    assert same_outputs(Results(piped), Results(onpty))


def test_quiet_has_no_progress_on_a_terminal(tmp_path):
    p, out, tty = run_on_pty(QUICKSTART, "-q", "-o", str(tmp_path / "out"))
    assert p.returncode == 0
    assert (out, tty) == ("", "")
