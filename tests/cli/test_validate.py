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
    for name in ("quickstart", "counters", "fileserver"):
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
    ("os: {descriptor_bytes: 100}\n", "1:24: os.descriptor_bytes: expected a multiple of 8, found 100"),
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
    # events: none exist yet
    ("events:\n  - {type: swap, at_us: 10}\n", "2:12: events[0].type: unknown event type 'swap'; no event types are "
     "available yet; swap and update come with the hot-swap layer"),
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
    ("events=[{type: update}]", "events[0].type: unknown event type 'update'; no event types are available yet; swap and "
     "update come with the hot-swap layer"),
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

