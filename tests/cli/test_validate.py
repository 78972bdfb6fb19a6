"""`quiesce validate FILE [--set K=V]...`: the whole scenario (name, machine, os,
implementations, objects, workloads, events, run, outputs) is read and checked;
a good one prints a summary and exits 0, a bad one exits 2 with one line that
names the exact place, the dotted path and what was expected. Run with
    QUIESCE=build/quiesce GUEST_CC=tools/guest-cc /usr/bin/python3 -m pytest tests/cli/test_validate.py
"""
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce"))
GUEST_CC = os.environ.get("GUEST_CC", os.path.join(ROOT, "tools", "guest-cc"))
SCENARIOS = os.path.join(ROOT, "scenarios")

# Two implementations, two objects (one a group), one workload: the errors below change one thing each.
BASE = """\
machine: {cpus: 4}
implementations:
  Counter:
    root: per_cpu
    methods:
      inc: {state_atomics: 1}
      get: {state_reads: 1}
  Log:
    methods:
      append: {calls: [{object: counter, method: inc}]}
objects:
  counter: {implementation: Counter}
  log: {implementation: Log, count: 2}
workloads:
  w:
    mix:
      - {object: log, method: append}
run: {duration_us: 100}
"""

GUEST_SOURCE = """\
long counter_value(void* rep, long arg) { return ((long*)rep)[2] + arg; }
int main(void) { return 0; }
"""


def validate(*args):
    return subprocess.run([QUIESCE, "validate", *args], capture_output=True, text=True, timeout=30)


def write(tmp_path, text, name="s.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return str(f)


def error(p):
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stdout == ""
    return p.stderr


@pytest.fixture(scope="module")
def guest_elf(tmp_path_factory):
    out = tmp_path_factory.mktemp("guest")
    (out / "methods.c").write_text(GUEST_SOURCE)
    subprocess.run([GUEST_CC, "-O2", "-o", str(out / "methods.elf"), str(out / "methods.c")], check=True)
    return str(out / "methods.elf")


# --- scenarios that validate ---

@pytest.mark.parametrize("name,summary", [("quickstart", "2 objects, 1 workloads, 4 cpus"),
                                          ("counters", "2 objects, 1 workloads, 8 cpus"),
                                          ("fileserver", "81 objects, 2 workloads, 8 cpus"),
                                          ("k42-swap", "1 objects, 2 workloads, 8 cpus"),
                                          ("machine", "0 objects, 0 workloads, 1 cpus")])
def test_shipped_scenarios_validate(name, summary):
    path = os.path.join(SCENARIOS, name + ".yaml")
    p = validate(path)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == f"{path}: ok ({summary})\n"


def test_readme_documents_every_key_of_the_examples():
    readme = open(os.path.join(SCENARIOS, "README.md")).read()
    user_named = {"implementations", "methods", "objects", "workloads"}  # their keys are names, not settings

    def check(node, parent):
        if isinstance(node, list):
            for item in node:
                check(item, parent)
        elif isinstance(node, dict):
            for k, v in node.items():
                if parent not in user_named:
                    assert "`%s`" % k in readme, k
                check(v, k)
    for name in ("quickstart", "counters", "fileserver", "k42-swap"):
        check(yaml.safe_load(open(os.path.join(SCENARIOS, name + ".yaml"))), "")


def test_base_validates(tmp_path):
    cfg = write(tmp_path, BASE)
    assert validate(cfg).stdout == f"{cfg}: ok (3 objects, 1 workloads, 4 cpus)\n"


@pytest.mark.parametrize("text", ["", "machine: {cpus: 2}\n", "events: []\nrun: {}\noutputs: {}\nos: {}\n",
                                  "implementations: {}\nobjects: {}\nworkloads: {}\nevents:\n"])
def test_sections_are_optional(tmp_path, text):
    assert validate(write(tmp_path, text)).returncode == 0


def test_cpus_forms_and_infinity(tmp_path):
    text = BASE + "  a: {cpus: 0-2, mix: [{object: counter, method: get}]}\n" + \
        "  b: {cpus: [3, 0-1], stop_us: .inf, mix: [{object: counter, method: get}]}\n" + \
        "  c: {cpus: 2, kind: open, rate_per_ms: 0.5, mix: [{object: counter, method: get}]}\n" + \
        "  d: {kind: long_lived, declares_quiescence: false, mix: [{object: counter, method: get}]}\n"
    p = validate(write(tmp_path, text.replace("run: {duration_us: 100}\n", "") + "run: {duration_us: 100}\n"))
    assert (p.returncode, p.stderr) == (0, "")


# --- errors in the file: FILE:LINE:COL: path: message ---

def fix(old, new):
    assert old in BASE, old
    return BASE.replace(old, new)


FILE_ERRORS = [
    # unknown keys, with a suggestion, in every section
    ("nmae: x\n", "1:1: nmae: unknown key; did you mean 'name'?"),
    ("os: {stack_kb: 8}\n", "1:6: os.stack_kb: unknown key; did you mean 'stack_kib'?"),
    ("os: {generations: {tokn: false}}\n", "1:20: os.generations.tokn: unknown key; did you mean 'token'?"),
    (fix("root: per_cpu", "roots: per_cpu"), "4:5: implementations.Counter.roots: unknown key; did you mean 'root'?"),
    (fix("{state_atomics: 1}", "{state_atomic: 1}"),
     "6:13: implementations.Counter.methods.inc.state_atomic: unknown key; did you mean 'state_atomics'?"),
    (fix("{state_atomics: 1}", "{io: {probabilty: 0.5}}"),
     "6:18: implementations.Counter.methods.inc.io.probabilty: unknown key; did you mean 'probability'?"),
    (fix("{object: counter, method: inc}]", "{object: counter, method: inc, cont: 2}]"),
     "10:55: implementations.Log.methods.append.calls[0].cont: unknown key; did you mean 'count'?"),
    (fix("count: 2}", "cout: 2}"), "13:30: objects.log.cout: unknown key; did you mean 'count'?"),
    (fix("    mix:", "    thinkus: 3\n    mix:"), "16:5: workloads.w.thinkus: unknown key; did you mean 'think_us'?"),
    (fix("method: append}", "method: append, wieght: 2}"), "17:39: workloads.w.mix[0].wieght: unknown key; did you mean 'weight'?"),
    ("run: {durration_us: 5}\n", "1:7: run.durration_us: unknown key; did you mean 'duration_us'?"),
    ("outputs: {window: 5}\n", "1:11: outputs.window: unknown key; did you mean 'window_us'?"),
    ("workload: {}\n", "1:1: workload: unknown key; did you mean 'workloads'?"),
    # wrong types
    ("os: {schedule_cycles: fast}\n", '1:23: os.schedule_cycles: expected an integer 0..1000000, found "fast"'),
    ("implementations: [Counter]\n", "1:18: implementations: expected a map, found a list"),
    (fix("{calls: [{object: counter, method: inc}]}", "{calls: {object: counter}}"),
     "10:23: implementations.Log.methods.append.calls: expected a list, found a map"),
    (fix("      - {object: log, method: append}", "      - log.append"), '17:9: workloads.w.mix[0]: expected a map, found "log.append"'),
    (fix("root: per_cpu", "root: percpu"), '4:11: implementations.Counter.root: expected one of shared, per_cpu, found "percpu"'),
    ("name: my/run\n", "1:7: name: expected letters, digits, '_', '-' and '.' (not first), at most 100, found \"my/run\""),
    # out of range
    ("os: {descriptor_bytes: 380}\n", "1:24: os.descriptor_bytes: expected a multiple of 8, found 380"),
    ("os: {stack_kib: 0}\n", '1:17: os.stack_kib: expected an integer 1..1024, found "0"'),
    (fix("{state_reads: 1}", "{instructions: 100001}"),
     '7:27: implementations.Counter.methods.get.instructions: expected an integer 0..100000, found "100001"'),
    (fix("{state_atomics: 1}", "{state_atomics: 2}"),
     "6:28: implementations.Counter.methods.inc.state_atomics: 2 lines do not fit in state_bytes 128 "
     "(at most 1 lines of 128 bytes)"),
    (fix("{state_atomics: 1}", "{io: {probability: 1.5}}"),
     '6:31: implementations.Counter.methods.inc.io.probability: expected a number 0..1, found "1.5"'),
    (fix("{state_atomics: 1}", "{mix: {alu: 0}}"), "6:18: implementations.Counter.methods.inc.mix: all weights are zero for 10 instructions"),
    (fix("count: 2}", "count: 65536}"), '13:37: objects.log.count: 65537 object instances in all; at most 65536'),
    (fix("method: append}", "method: append, weight: 0}"), '17:47: workloads.w.mix[0].weight: expected a number >0..1000000, found "0"'),
    ("machine: {cpus: 4}\nworkloads:\n  w: {cpus: [1, 4], mix: []}\n",
     "3:17: workloads.w.cpus[1]: CPU 4 does not exist: machine.cpus is 4 (CPUs 0-3)"),
    ("workloads:\n  w: {cpus: 0-1, mix: []}\n", "2:13: workloads.w.cpus: CPU 1 does not exist: machine.cpus is 1 (CPUs 0-0)"),
    ("machine: {cpus: 4}\nworkloads:\n  w: {cpus: [0-2, 1], mix: []}\n", "3:19: workloads.w.cpus[1]: CPU 1 is named twice"),
    ("run: {duration_us: 0}\n", '1:20: run.duration_us: expected a number >0..1000000000, found "0"'),
    ("run: {duration_us: 10, warmup_us: 10}\n", "1:35: run.warmup_us: must be shorter than run.duration_us (10 us), found 10"),
    ("outputs: {window_us: 2000}\n", "1:22: outputs.window_us: longer than run.duration_us (1000 us), found 2000"),
    ("outputs: {window_us: 0.0001}\n",
     "1:22: outputs.window_us: 0.0001 us windows make more than 1000000 windows of run.duration_us (1000 us)"),
    # references
    (fix("{implementation: Counter}", "{implementation: Countr}"),
     "12:29: objects.counter.implementation: unknown implementation 'Countr'; did you mean 'Counter'?"),
    (fix("log: {implementation: Log, count: 2}", "log: {count: 2}"), "13:8: objects.log: missing key 'implementation'"),
    (fix("{object: log, method: append}", "{object: logg, method: append}"),
     "17:18: workloads.w.mix[0].object: unknown object 'logg'; did you mean 'log'?"),
    (fix("{object: log, method: append}", "{object: log, method: apend}"),
     "17:31: workloads.w.mix[0].method: Log (the implementation of log) has no method 'apend'; did you mean 'append'?"),
    (fix("{object: counter, method: inc}]", "{object: countr, method: inc}]"),
     "10:33: implementations.Log.methods.append.calls[0].object: unknown object 'countr'; did you mean 'counter'?"),
    (fix("{object: counter, method: inc}]", "{object: counter, method: dec}]"),
     "10:50: implementations.Log.methods.append.calls[0].method: Counter (the implementation of counter) has no method "
     "'dec'; known: inc, get"),
    # nested-call cycles, at the call that starts them, and the size of one call's tree
    (fix("{state_atomics: 1}", "{calls: [{object: log, method: append}]}"),
     "6:21: implementations.Counter.methods.inc.calls[0]: cyclic nested calls: Counter.inc -> Log.append -> Counter.inc"),
    (fix("{state_reads: 1}", "{calls: [{object: counter, method: inc}, {object: counter, method: get}]}"),
     "7:53: implementations.Counter.methods.get.calls[1]: cyclic nested calls: Counter.get -> Counter.get"),
    (fix("{state_reads: 1}", "{calls: [{object: counter, method: inc, count: 1000}]}").replace(
        "method: inc}]", "method: get, count: 1000}]"),
     "10:24: implementations.Log.methods.append.calls[0]: one call of Log.append executes more than 100000 method "
     "bodies through nested calls (1000 x Counter.get, which executes 1001)"),
    # guest functions
    (fix("{state_reads: 1}", "{symbol: counter_value}"),
     "7:21: implementations.Counter.methods.get.symbol: needs os.guest_elf, the guest program that holds the function"),
    (fix("{state_reads: 1}", "{symbol: counter_value, state_reads: 1}"),
     "7:36: implementations.Counter.methods.get.state_reads: not allowed with `symbol`: the body is the guest function, "
     "not a cost description"),
    # methods, classes
    (fix("    methods:\n      append:", "    methods: {}\n    m:\n      append:"),
     "9:14: implementations.Log.methods: an implementation needs at least one method"),
    ("implementations:\n  A:\n    methods:\n" + "".join("      m%d: {}\n" % i for i in range(65)),
     "68:7: implementations.A.methods.m64: more than 64 methods (the vtable's size)"),
    (fix("  Log:\n", "  Log:\n    class: Counter\n"), "9:12: implementations.Log.class: class Counter version 1 is already "
     "implementation Counter"),
    (fix("  Log:\n", "  2Log:\n"), "8:3: implementations.2Log: expected a name of letters, digits and _ not starting with a "
     "digit (at most 100 characters)"),
    # workload kinds
    (fix("  w:\n", "  w:\n    kind: open\n"), "16:11: workloads.w.kind: kind open needs rate_per_ms (arrivals per CPU per millisecond)"),
    (fix("  w:\n", "  w:\n    kind: open\n    rate_per_ms: 5\n    threads: 2\n"),
     "18:14: workloads.w.threads: not allowed with kind open (requests arrive at rate_per_ms)"),
    (fix("  w:\n", "  w:\n    rate_per_ms: 5\n"), "16:18: workloads.w.rate_per_ms: only for kind open, not closed"),
    (fix("  w:\n", "  w:\n    declares_quiescence: false\n"),
     "16:26: workloads.w.declares_quiescence: only for kind long_lived (a closed workload's threads end after each request)"),
    (fix("    mix:\n      - {object: log, method: append}\n", "    mix: []\n"),
     "16:10: workloads.w.mix: expected at least one entry {object: NAME, method: NAME, weight: N}"),
    (fix("  w:\n", "  w:\n    start_us: 50\n    stop_us: 50\n"),
     "17:14: workloads.w.stop_us: expected a time after start_us (50 us), found 50"),
    # events (the hot-swap ones are below)
    ("events:\n  - {type: swap, at_us: 10}\n", "2:5: events[0]: missing key 'object'"),
    ("events:\n  - swap\n", '2:5: events[0]: expected a map with a `type` key, found "swap"'),
    ("events: {type: swap}\n", "1:9: events: expected a list, found a map"),
]


@pytest.mark.parametrize("text,message", FILE_ERRORS, ids=[m.split(": ")[1] + "-" + str(i) for i, (_, m) in enumerate(FILE_ERRORS)])
def test_file_error_names_the_place(tmp_path, text, message):
    cfg = write(tmp_path, text)
    assert error(validate(cfg)) == f"quiesce: {cfg}:{message}\n"


# --- guest functions: os.guest_elf and symbol ---

def guest_scenario(elf, symbol="counter_value"):
    return fix("{state_reads: 1}", "{symbol: %s}" % symbol) + "os: {guest_elf: %s}\n" % elf


def test_symbol_in_guest_elf(tmp_path, guest_elf):
    assert validate(write(tmp_path, guest_scenario(guest_elf))).returncode == 0
    cfg = write(tmp_path, guest_scenario(guest_elf, "counter_valu"))
    assert error(validate(cfg)) == (f"quiesce: {cfg}:7:21: implementations.Counter.methods.get.symbol: no function "
                                    f"'counter_valu' in {guest_elf}; did you mean 'counter_value'?\n")


def test_guest_elf_relative_to_the_file_or_to_the_working_directory(tmp_path, guest_elf):
    sub = tmp_path / "sub"
    sub.mkdir()
    os.link(guest_elf, sub / "m.elf")
    cfg = write(sub, guest_scenario("m.elf"))
    assert validate(cfg).returncode == 0  # relative to the file's directory
    p = subprocess.run([QUIESCE, "validate", cfg, "--set", "os.guest_elf=sub/m.elf"], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr  # from --set: relative to the working directory
    p = subprocess.run([QUIESCE, "validate", cfg, "--set", "os.guest_elf=m.elf"], cwd=tmp_path, capture_output=True, text=True)
    assert error(p) == "quiesce: --set os.guest_elf=m.elf: os.guest_elf: no such file: m.elf\n"


def test_guest_elf_must_be_an_elf(tmp_path):
    cfg = write(tmp_path, "os: {guest_elf: s.yaml}\n")
    msg = error(validate(cfg))
    assert msg.startswith(f"quiesce: {cfg}:1:17: os.guest_elf: ") and "not an ELF file" in msg


# --- --set on the new sections ---

def test_set_on_new_sections(tmp_path):
    cfg = write(tmp_path, BASE)
    for spec in ["run.duration_us=5", "run={duration_us: 5, seed: 0xffff}", "objects.log.count=64", "os.stack_kib=4",
                 "workloads.w.cpus=[0, 2-3]", "workloads.w.mix[0]={object: counter, method: get, weight: 2}",
                 "implementations.Counter.methods.inc.state_atomics=0", "name=other"]:
        p = validate(cfg, "--set", spec)
        assert (p.returncode, p.stderr) == (0, ""), spec


SET_ERRORS = [
    ("run.duration_us=-1", 'run.duration_us: expected a number >0..1000000000, found "-1"'),
    ("run.warmup_us=100", "run.warmup_us: must be shorter than run.duration_us (100 us), found 100"),
    ("workloads.w.mix[0].object=counterr", "workloads.w.mix[0].object: unknown object 'counterr'; did you mean 'counter'?"),
    ("workloads.w.mix[1].object=counter", "workloads.w.mix: no element [1]; the list has 1"),
    ("workloads.w[0]=1", "workloads.w: cannot take element [0] of a map"),
    ("workloads.w.mix[x]=1", "bad list index in the path 'workloads.w.mix[x]' (expected KEY[N])"),
    ("workloads.w.cpus=5", "workloads.w.cpus: CPU 5 does not exist: machine.cpus is 4 (CPUs 0-3)"),
    ("objects.log.implementation=Lg", "objects.log.implementation: unknown implementation 'Lg'; did you mean 'Log'?"),
    ("events=[{type: update}]", "events[0]: missing key 'class'"),
]


@pytest.mark.parametrize("spec,message", SET_ERRORS, ids=range(len(SET_ERRORS)))
def test_set_error_names_the_override(tmp_path, spec, message):
    assert error(validate(write(tmp_path, BASE), "--set", spec)) == f"quiesce: --set {spec}: {message}\n"


def test_counters_switches_to_the_per_cpu_counter():
    path = os.path.join(SCENARIOS, "counters.yaml")
    assert "workloads.clients.mix[0].object=percpu_counter" in open(path).read()
    assert validate(path, "--set", "workloads.clients.mix[0].object=percpu_counter").returncode == 0


def test_missing_file():
    assert error(validate("/nonexistent/s.yaml")) == "quiesce: /nonexistent/s.yaml: cannot open: No such file or directory\n"



# --- hot swapping: implementations' transfer, events (swap, update), the hotswap section ---

# A group of four caches with a second version of their class, and a single counter.
SWAP = """\
machine: {cpus: 4}
implementations:
  Cache:
    methods:
      lookup: {state_reads: 1}
      insert: {state_writes: 1}
  CacheV2:
    class: Cache
    version: 2
    methods:
      lookup: {state_reads: 1}
      insert: {state_atomics: 1}
    transfer: {import: [copy, transform]}
  Counter:
    methods:
      inc: {}
objects:
  cache: {implementation: Cache, count: 4}
  counter: {implementation: Counter}
run: {duration_us: 100}
events:
  - {type: swap, object: cache, to: CacheV2, at_us: 50}
"""
SWAP_EVENT = "  - {type: swap, object: cache, to: CacheV2, at_us: 50}\n"


def place(text, marker, after="events:"):
    """LINE:COL of `marker`, searched from `after` (from the start when `after` is not in the text)."""
    i = text.index(marker, max(text.find(after), 0))
    return "%d:%d" % (text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i))


def swap_events(*events, impls="", cache="", v2=None):
    """SWAP with its events replaced, implementations added, and Cache's or CacheV2's last line changed."""
    text = SWAP.replace(SWAP_EVENT, "".join("  - %s\n" % e for e in events))
    text = text.replace("objects:\n", impls + "objects:\n")
    text = text.replace("      insert: {state_writes: 1}\n", "      insert: {state_writes: 1}\n" + cache)
    if v2 is not None:
        text = text.replace("    transfer: {import: [copy, transform]}\n", v2)
    return text


def case(text, marker, message, after="events:"):
    return text, "%s: %s" % (place(text, marker, after), message)


UPDATE = "{type: update, class: Cache, to_version: 2, at_us: 10}"
HOTSWAP_ERRORS = [
    # the event's type and keys
    case(swap_events("{object: cache, to: CacheV2}"), "{object", "events[0]: missing key 'type' (swap, update or patch)"),
    case(swap_events("{type: swop, object: cache}"), "swop", "events[0].type: unknown event type 'swop'; did you mean 'swap'?"),
    case(swap_events("{type: swap, to: CacheV2}"), "{type", "events[0]: missing key 'object'"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, mode: lazy}"), "mode", "events[0].mode: only for update events"),
    case(swap_events("{type: update, class: Cache, to: CacheV2}"), "to:", "events[0].to: only for swap events"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, atus: 5}"), "atus",
         "events[0].atus: unknown key; did you mean 'at_us'?"),
    case(swap_events("{type: update, to_version: 2}"), "{type", "events[0]: missing key 'class'"),
    case(swap_events("{type: update, class: Cache}"), "{type", "events[0]: missing key 'to_version'"),
    case(swap_events("{type: update, class: Cache, to_version: 2, mode: lazzy}"), "lazzy",
         'events[0].mode: expected one of eager, lazy, found "lazzy"'),
    case(swap_events("{type: swap, object: cache, to: CacheV2, strategy: k42}"), "k42}",
         "events[0].strategy: unknown strategy 'k42'; did you mean 'k42_generation'?"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, strategy: qsbr}"), "qsbr",
         "events[0].strategy: unknown strategy 'qsbr'; known: k42_generation, global_refcount, percpu_refcount, stack_trace, rwlock, counter_threshold, direct, livepatch, rcu"),
    # when, and on which CPU
    case(swap_events("{type: swap, object: cache, to: CacheV2, at_us: 100}"), "100}",
         "events[0].at_us: 100 us is at or after the run ends (run.duration_us is 100 us)"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, at_us: -1}"), "-1",
         'events[0].at_us: expected a number 0..1000000000, found "-1"'),
    case(swap_events("{type: swap, object: cache, to: CacheV2, at_us: 5, after_calls: 10}"), "10}",
         "events[0].after_calls: give at_us or after_calls, not both"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, after_calls: 0}"), "0}",
         'events[0].after_calls: expected an integer 1..18446744073709551615, found "0"'),
    case(swap_events("{type: swap, object: cache, to: CacheV2, cpu: 4}"), "4}",
         "events[0].cpu: CPU 4 does not exist: machine.cpus is 4 (CPUs 0-3)"),
    case(swap_events("{type: swap, object: 'cache[0]', to: CacheV2, at_us: 50}",
                     "{type: swap, object: 'cache[1]', to: CacheV2, at_us: 20}"), "20}",
         "events[1].at_us: 20 us comes before events[0] (50 us): list the events in the order they happen"),
    case(swap_events("{type: swap, object: 'cache[0]', to: CacheV2, after_calls: 500}",
                     "{type: swap, object: 'cache[1]', to: CacheV2, at_us: 1}",
                     "{type: swap, object: 'cache[2]', to: CacheV2, after_calls: 499}"), "499",
         "events[2].after_calls: 499 calls come before events[0] (500 calls): list the events in the order they happen"),
    # swap: which object, to what
    case(swap_events("{type: swap, object: cahce, to: CacheV2}"), "cahce",
         "events[0].object: unknown object 'cahce'; did you mean 'cache'?"),
    case(swap_events("{type: swap, object: 'cache[4]', to: CacheV2}"), "'cache[4]'",
         "events[0].object: cache has 4 instances, cache[0]..cache[3]: there is no cache[4]"),
    case(swap_events("{type: swap, object: 'counter[1]', to: Counter}"), "'counter[1]'",
         "events[0].object: counter is one object (count 1), not a group: there is no counter[1]"),
    case(swap_events("{type: swap, object: 'cache[-1]', to: CacheV2}"), "'cache[-1]'",
         'events[0].object: expected an object NAME or one instance NAME[I], found "cache[-1]"'),
    case(swap_events("{type: swap, object: cache, to: CachV2}"), "CachV2",
         "events[0].to: unknown implementation 'CachV2'; did you mean 'CacheV2'?"),
    case(swap_events("{type: swap, object: cache, to: Cache}"), "Cache}", "events[0].to: Cache is already the "
         "implementation of cache"),
    case(swap_events("{type: swap, object: 'cache[2]', to: CacheV2, at_us: 1}",
                     "{type: swap, object: 'cache[2]', to: CacheV2, at_us: 2}"), "CacheV2, at_us: 2",
         "events[1].to: CacheV2 is already the implementation of cache[2]"),
    # the same interface
    case(swap_events("{type: swap, object: counter, to: CacheV2}"), "CacheV2}",
         "events[0].to: CacheV2 does not have the interface of Counter (the implementation of counter): vtable slot 0 "
         "is 'lookup' in CacheV2 but 'inc' in Counter; each of its methods in the same vtable slot is needed (a new version may add methods after them)"),
    case(swap_events("{type: swap, object: counter, to: CounterV2, at_us: 1}", "{type: swap, object: counter, to: Counter, at_us: 2}",
                     impls="  CounterV2: {methods: {inc: {}, reset: {}}}\n"),
         "Counter, at_us: 2", "events[1].to: Counter does not have the interface of CounterV2 (the implementation of "
         "counter): Counter has no method 'reset' (vtable slot 1 of CounterV2); each of its methods in the same vtable "
         "slot is needed (a new version may add methods after them)"),
    case(swap_events("{type: swap, object: 'cache[0]', to: CacheV2, at_us: 1}",
                     "{type: swap, object: cache, to: Small, at_us: 2}", impls="  Small: {methods: {lookup: {}}}\n"),
         "Small, at_us", "events[1].to: Small does not have the interface of Cache (the implementation of some "
         "instances of cache): Small has no method 'insert' (vtable slot 1 of Cache); each of its methods in the "
         "same vtable slot is needed (a new version may add methods after them)"),
    # a common transfer protocol that is possible
    case(swap_events("{type: swap, object: cache, to: CacheV2}", cache="    transfer: {export: [by_reference]}\n"),
         "CacheV2}", "events[0].to: Cache cannot hand its state to CacheV2: Cache exports by_reference and CacheV2 "
         "imports copy, transform, no protocol in common"),
    case(swap_events("{type: swap, object: cache, to: CacheV2}",
                     v2="    state_bytes: 256\n    transfer: {import: [copy, by_reference]}\n"),
         "CacheV2}", "events[0].to: Cache cannot hand its state to CacheV2: their common protocols, by_reference, copy, "
         "need the same layout, but Cache has root shared, state_bytes 128, shared_state_bytes 128 and CacheV2 has root "
         "shared, state_bytes 256, shared_state_bytes 128; only transform converts between layouts"),
    case(swap_events("{type: swap, object: cache, to: CacheV2}", v2="    root: per_cpu\n    transfer: {import: [copy]}\n"),
         "CacheV2}", "events[0].to: Cache cannot hand its state to CacheV2: their one common protocol, copy, needs the "
         "same layout, but Cache has root shared, state_bytes 128, shared_state_bytes 128 and CacheV2 has root per_cpu, "
         "state_bytes 128, shared_state_bytes 128; only transform converts between layouts"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, at_us: 1}", "{type: swap, object: cache, to: Cache, at_us: 2}",
                     cache="    transfer: {import: [by_reference]}\n", v2="    transfer: {export: [copy]}\n"),
         "Cache, at_us: 2", "events[1].to: CacheV2 cannot hand its state to Cache: CacheV2 exports copy and Cache "
         "imports by_reference, no protocol in common"),
    # update: which class, to which version
    case(swap_events("{type: update, class: Cach, to_version: 2}"), "Cach,",
         "events[0].class: unknown class 'Cach'; did you mean 'Cache'?"),
    case(swap_events("{type: update, class: Other, to_version: 1}", impls="  Other: {methods: {inc: {}}}\n"), "Other,",
         "events[0].class: no object is of class Other: there is nothing to update"),
    case(swap_events("{type: update, class: Cache, to_version: 3}"), "3}",
         "events[0].to_version: class Cache has no version 3; its versions: 1, 2"),
    case(swap_events("{type: update, class: Cache, to_version: 1}"), "1}",
         "events[0].to_version: every object of class Cache already has version 1 (Cache)"),
    case(swap_events("{type: swap, object: cache, to: CacheV2, at_us: 5}", UPDATE), "2, at_us: 10",
         "events[1].to_version: every object of class Cache already has version 2 (CacheV2)"),
    case(swap_events("{type: update, class: Cache, to_version: 3}",
                     impls="  CacheV3: {class: Cache, version: 3, methods: {lookup: {}, evict: {}}}\n"), "3}",
         "events[0].to_version: CacheV3 does not have the interface of Cache (version 1 of class Cache, which objects "
         "have): vtable slot 1 is 'evict' in CacheV3 but 'insert' in Cache; each of its methods in the same vtable slot "
         "is needed (a new version may add methods after them)"),
    case(swap_events(UPDATE, v2="    state_bytes: 64\n    transfer: {import: [copy]}\n"), "2, at_us",
         "events[0].to_version: Cache cannot hand its state to CacheV2: their one common protocol, copy, needs the same "
         "layout, but Cache has root shared, state_bytes 128, shared_state_bytes 128 and CacheV2 has root shared, "
         "state_bytes 64, shared_state_bytes 128; only transform converts between layouts"),
    # implementations.NAME.transfer
    case(swap_events(cache="    transfer: {export: []}\n"), "[]}", "implementations.Cache.transfer.export: expected at "
         "least one protocol of by_reference, copy, transform", after="  Cache:"),
    case(swap_events(cache="    transfer:\n      import:\n"), "import", "implementations.Cache.transfer.import: expected "
         "at least one protocol of by_reference, copy, transform", after="  Cache:"),
    case(swap_events(cache="    transfer: {export: [copy, byreference]}\n"), "byreference",
         "implementations.Cache.transfer.export[1]: unknown protocol 'byreference'; did you mean 'by_reference'?",
         after="  Cache:"),
    case(swap_events(cache="    transfer: {export: [copy, transform, copy]}\n"), "copy]",
         "implementations.Cache.transfer.export[2]: protocol copy is named twice", after="  Cache:"),
    case(swap_events(cache="    transfer: {export: copy}\n"), "copy}",
         'implementations.Cache.transfer.export: expected a list, found "copy"', after="  Cache:"),
    case(swap_events(cache="    transfer: {exports: [copy]}\n"), "exports",
         "implementations.Cache.transfer.exports: unknown key; did you mean 'export'?", after="  Cache:"),
    case(swap_events(cache="    transfer: {fixed_cycles: 2000000}\n"), "2000000",
         'implementations.Cache.transfer.fixed_cycles: expected an integer 0..1000000, found "2000000"', after="  Cache:"),
    case(swap_events(cache="    transfer: {transform_cycles_per_byte: -0.5}\n"), "-0.5",
         'implementations.Cache.transfer.transform_cycles_per_byte: expected a number 0..1000000, found "-0.5"',
         after="  Cache:"),
    # the hotswap section
    case(SWAP + "hotswap: {hash_slot: 8}\n", "hash_slot", "hotswap.hash_slot: unknown key; did you mean 'hash_slots'?"),
    case(SWAP + "hotswap: {hash_slots: 48}\n", "48", 'hotswap.hash_slots: expected a power of two 1..4096, found "48"'),
    case(SWAP + "hotswap: {hash_slots: 8192}\n", "8192", 'hotswap.hash_slots: expected a power of two 1..4096, found "8192"'),
    case(SWAP + "hotswap: {call_cycles: fast}\n", "fast", 'hotswap.call_cycles: expected an integer 0..1000000, found "fast"'),
    case(SWAP + "hotswap: {worker_step_cycles: 1000001}\n", "1000001",
         'hotswap.worker_step_cycles: expected an integer 0..1000000, found "1000001"'),
    case(SWAP + "hotswp: {}\n", "hotswp", "hotswp: unknown key; did you mean 'hotswap'?"),
]


@pytest.mark.parametrize("text,message", HOTSWAP_ERRORS,
                         ids=[m.split(": ")[1] + "-" + str(i) for i, (_, m) in enumerate(HOTSWAP_ERRORS)])
def test_hotswap_error_names_the_place(tmp_path, text, message):
    cfg = write(tmp_path, text)
    assert error(validate(cfg)) == f"quiesce: {cfg}:{message}\n"


VALID_EVENTS = [
    # neither at_us nor after_calls: at the start; a whole group, then one instance back (CacheV2 exports by default)
    ["{type: swap, object: cache, to: CacheV2}", "{type: swap, object: 'cache[3]', to: Cache, at_us: 99.5, cpu: 3}"],
    # one instance, then the rest of the group (the swapped one is left alone), then back by an update
    ["{type: swap, object: 'cache[1]', to: CacheV2, after_calls: 1000}",
     "{type: swap, object: cache, to: CacheV2, after_calls: 1000}",
     "{type: update, class: Cache, to_version: 1, mode: lazy, after_calls: 20000, cpu: 2}"],
    # updates, eager and lazy, there and back
    [UPDATE, "{type: update, class: Cache, to_version: 1, mode: lazy, strategy: k42_generation, at_us: 10}"],
    # an object of count 1 named as its own instance 0
    ["{type: swap, object: 'counter[0]', to: CounterV2}"],
]


@pytest.mark.parametrize("events", VALID_EVENTS, ids=range(len(VALID_EVENTS)))
def test_valid_events(tmp_path, events):
    text = swap_events(*events, impls="  CounterV2: {methods: {inc: {state_reads: 1}}, state_bytes: 64}\n")
    p = validate(write(tmp_path, text))
    assert (p.returncode, p.stderr) == (0, ""), text


def test_transfer_and_hotswap_keys_validate(tmp_path):
    transfer = ("    transfer: {export: [transform, by_reference], import: [copy], fixed_cycles: 0, copy_cycles_per_line: 1_000_000,"
                " transform_cycles_per_byte: 0.25}\n")
    text = swap_events("{type: swap, object: cache, to: CacheV2}", cache=transfer) + \
        "hotswap: {call_cycles: 1000000, worker_step_cycles: 1, hash_slots: 4096}\n"
    p = validate(write(tmp_path, text))
    assert (p.returncode, p.stderr) == (0, "")
    # a different layout is fine when both sides know transform (here by default)
    p = validate(write(tmp_path, swap_events("{type: swap, object: cache, to: CacheV2}",
                                             v2="    root: per_cpu\n    state_bytes: 1024\n")))
    assert (p.returncode, p.stderr) == (0, "")


# A call that is no cycle until `counter` is swapped to an implementation calling back.
CYCLE = """\
implementations:
  Log:
    methods:
      append: {calls: [{object: counter, method: inc}]}
  Counter:
    methods:
      inc: {}
  CounterV2:
    methods:
      inc: {calls: [{object: log, method: append}]}
objects:
  log: {implementation: Log}
  counter: {implementation: Counter}
"""


def test_nested_call_cycle_through_a_swapped_implementation(tmp_path):
    assert validate(write(tmp_path, CYCLE)).returncode == 0
    cfg = write(tmp_path, CYCLE + "events: [{type: swap, object: counter, to: CounterV2}]\n")
    assert error(validate(cfg)) == (f"quiesce: {cfg}:{place(CYCLE, '{object: counter')}: "
                                    "implementations.Log.methods.append.calls[0]: cyclic nested calls: Log.append -> "
                                    "CounterV2.inc -> Log.append\n")


def test_events_with_set(tmp_path):
    cfg = write(tmp_path, SWAP)
    for spec in ["events[0].at_us=0", "events[0].object=cache[2]", "events=[{type: update, class: Cache, to_version: 2}]",
                 "implementations.CacheV2.transfer.import=[transform]", "hotswap.hash_slots=1"]:
        p = validate(cfg, "--set", spec)
        assert (p.returncode, p.stderr) == (0, ""), spec
    # the run ending before an event is reported at the event, naming run.duration_us
    p = validate(cfg, "--set", "run.duration_us=50")
    assert error(p) == (f"quiesce: {cfg}:{place(SWAP, '50}')}: events[0].at_us: 50 us is at or after the run ends "
                        "(run.duration_us is 50 us)\n")
    spec = "events[0].to=Cache"
    assert error(validate(cfg, "--set", spec)) == f"quiesce: --set {spec}: events[0].to: Cache is already the " \
                                                    "implementation of cache\n"
