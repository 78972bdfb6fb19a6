"""The scenario file's machine: section and its overrides, from the command line:
`quiesce exec --config FILE.yaml --set key.path=value`. Every kind of bad input
exits 2 with one line that names the exact place. Run with
    QUIESCE=build/quiesce GUEST_CC=tools/guest-cc /usr/bin/python3 -m pytest tests/cli
"""
import json
import os
import random
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce"))
GUEST_CC = os.environ.get("GUEST_CC", os.path.join(ROOT, "tools", "guest-cc"))
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(ROOT, "scenarios", "machine.yaml")


@pytest.fixture(scope="module")
def elfs(tmp_path_factory):
    out = tmp_path_factory.mktemp("guest")
    built = {}
    for name in ("multicpu", "spin"):
        built[name] = str(out / (name + ".elf"))
        subprocess.run([GUEST_CC, "-O2", "-o", built[name], os.path.join(HERE, "guest", name + ".c")], check=True)
    return built


def run(*args, timeout=60):
    return subprocess.run([QUIESCE, "exec", *args], capture_output=True, text=True, timeout=timeout)


def write(tmp_path, text, name="s.yaml"):
    f = tmp_path / name
    f.write_text(text) if isinstance(text, str) else f.write_bytes(text)
    return str(f)


def stats(elf, tmp_path, *args):
    out = tmp_path / "stats.json"
    p = run(*args, "--stats", str(out), elf)
    assert p.returncode == 0, p.stderr
    s = json.loads(out.read_text())
    return s["instructions"], s["cycles"]


# --- files that load ---

def test_example_runs_and_equals_the_defaults(elfs, tmp_path):
    p = run("--config", EXAMPLE, elfs["multicpu"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "cpus %016x\ntickets %016x\n" % (1, 1)
    assert stats(elfs["multicpu"], tmp_path, "--config", EXAMPLE) == stats(elfs["multicpu"], tmp_path)


def test_readme_documents_every_example_key():
    readme = open(os.path.join(ROOT, "scenarios", "README.md")).read()

    def check(m, path):
        for k, v in m.items():
            if isinstance(v, dict):
                assert "`%s.%s" % (path, k) in readme or "`%s`" % k in readme, path + "." + k
                check(v, path + "." + k)
            else:
                assert "`%s`" % k in readme, path + "." + k
    check(yaml.safe_load(open(EXAMPLE))["machine"], "machine")


@pytest.mark.parametrize("text", ["", "# only a comment\n", "machine:\n", "machine: {}\n"])
def test_empty_is_all_defaults(elfs, tmp_path, text):
    cfg = write(tmp_path, text)
    assert stats(elfs["multicpu"], tmp_path, "--config", cfg) == stats(elfs["multicpu"], tmp_path)


@pytest.mark.parametrize("setting", ["machine.core.alu=4", "machine.memory.latency=1000"])
def test_a_setting_takes_effect(elfs, tmp_path, setting):
    base = stats(elfs["multicpu"], tmp_path)
    slow = stats(elfs["multicpu"], tmp_path, "--set", setting)
    assert slow[0] == base[0] and slow[1] > base[1]


def test_set_overrides_the_file_and_flags_override_set(elfs, tmp_path):
    cfg = write(tmp_path, "machine:\n  max_instructions: 50000\n")
    limit = lambda p: p.stderr.split("instruction limit of ")[1].split()[0]
    assert limit(run("--config", cfg, elfs["spin"])) == "50000"
    assert limit(run("--config", cfg, "--set", "machine.max_instructions=60000", elfs["spin"])) == "60000"
    p = run("--config", cfg, "--set", "machine.max_instructions=60000", "--max-instructions", "70000", elfs["spin"])
    assert p.returncode == 3 and limit(p) == "70000"
    # Later --set wins over earlier; --set works without a file.
    assert limit(run("--set", "machine.max_instructions=1_000", "--set", "machine.max_instructions=0x800", elfs["spin"])) == "2048"


def test_cpus_from_file_set_and_flag(elfs, tmp_path):
    cfg = write(tmp_path, "machine:\n  cpus: 2\n")
    out = lambda p: (p.returncode, p.stdout.split()[1])
    assert out(run("--config", cfg, elfs["multicpu"])) == (1, "%016x" % 2)
    assert out(run("--config", cfg, "--set", "machine.cpus=3", elfs["multicpu"])) == (3, "%016x" % 3)
    assert out(run("--config", cfg, "--set", "machine.cpus=3", "--cpus", "4", elfs["multicpu"])) == (6, "%016x" % 4)


def test_set_map_value_merges(elfs, tmp_path):
    cfg = write(tmp_path, "machine:\n  caches:\n    l2: {ways: 3}\n")
    # The file's bad ways stays (merge, not replace) and is reported at the file's place.
    p = run("--config", cfg, "--set", "machine.caches.l2={size_kib: 1024, latency: 20}", elfs["spin"])
    assert p.returncode == 2
    assert p.stderr == (f"quiesce: {cfg}:3:16: machine.caches.l2.ways: 3 ways of 128-byte lines do not divide "
                        "1024 KiB into a power-of-two number of sets\n")
    p = run("--config", cfg, "--set", "machine.caches.l2={size_kib: 1024, ways: 16}", "--max-instructions", "10", elfs["spin"])
    assert p.returncode == 3  # loaded, ran, hit the limit


# --- errors in the file: exact place, exit 2 ---

FILE_ERRORS = [
    ("# a comment\nmachine:\n    cpu: 4\n", "3:5: machine.cpu: unknown key; did you mean 'cpus'?"),
    ("machine:\n  caches:\n    l1d: {latncy: 4}\n", "3:11: machine.caches.l1d.latncy: unknown key; did you mean 'latency'?"),
    ("machine:\n  frobnicate: 1\n", "2:3: machine.frobnicate: unknown key; known keys: cpus, clock_ghz, quantum_cycles, "
     "lookahead, sync_on_coherence, sync_on_contended, stack_kib, max_instructions, check_invariants, memory, caches, interconnect, directory, "
     "coherence, core"),
    ("machin:\n  cpus: 2\n", "1:1: machin: unknown key; did you mean 'machine'?"),
    ("machine:\n  caches:\n    l1d: {size_kib: 32, ways: abc}\n",
     '3:31: machine.caches.l1d.ways: expected an integer 1..64, found "abc"'),
    ("machine:\n  caches: [1, 2]\n", "2:11: machine.caches: expected a map, found a list"),
    ("machine:\n  cpus: {n: 2}\n", "2:9: machine.cpus: expected an integer 1..1024, found a map"),
    ("machine:\n  cpus:\n", "2:3: machine.cpus: expected an integer 1..1024, found nothing"),
    ("- machine\n", "1:1: expected a map of sections (machine: ...), found a list"),
    ("machine:\n  coherence: {protocol: moesi}\n",
     '2:25: machine.coherence.protocol: expected one of mesi, found "moesi"'),
    ("machine:\n  clock_ghz: fast\n", '2:14: machine.clock_ghz: expected a number 0.1..10, found "fast"'),
    ("machine:\n  check_invariants: 1\n", '2:21: machine.check_invariants: expected true or false, found "1"'),
    ("machine:\n  caches:\n    l1d: {ways: 3}\n",
     "3:17: machine.caches.l1d.ways: 3 ways of 128-byte lines do not divide 32 KiB into a power-of-two number of sets"),
    ("machine:\n  caches:\n    line_bytes: 100\n",
     '3:17: machine.caches.line_bytes: expected a power of two 32..1024, found "100"'),
    # Absurd sizes are refused before anything is allocated.
    ("machine:\n  cpus: 100000\n", '2:9: machine.cpus: expected an integer 1..1024, found "100000"'),
    ("machine:\n  caches:\n    l2: {size_kib: 1073741824}\n",
     '3:20: machine.caches.l2.size_kib: expected a power of two 1..65536, found "1073741824"'),
    ("machine:\n  memory: {size_mib: 2}\n  cpus: 2\n",
     "3:9: machine.cpus: 2 CPU stacks of 1024 KiB do not fit in 2 MiB of memory"),
    ("machine:\n  cpus: 1\n  cpus: 2\n", "3:3: machine.cpus: duplicate key (first at line 2)"),
    # YAML syntax, as yaml-cpp reports it.
    ("machine:\n  cpus: [1, 2\n", "3:1: end of sequence flow not found"),
    ("machine:\n  cpus: 1\n   clock_ghz: 2\n", "3:13: illegal map value"),
    ("machine: {}\n---\nmachine: {}\n", "3:1: a scenario file holds one YAML document; this is a second one"),
    ("[" * 1000 + "]" * 1000, "1:1: nested more than 499 levels deep"),
]


@pytest.mark.parametrize("text,message", FILE_ERRORS, ids=range(len(FILE_ERRORS)))
def test_file_error_names_the_place(elfs, tmp_path, text, message):
    cfg = write(tmp_path, text)
    p = run("--config", cfg, elfs["spin"])
    assert p.returncode == 2
    assert p.stderr == f"quiesce: {cfg}:{message}\n"
    assert p.stdout == ""


def test_binary_garbage(elfs, tmp_path):
    data = bytes(random.Random(7).randrange(256) for _ in range(4096))
    for name, blob in [("random", data), ("nul", b"machine:\n  cpus: 1\x00\n"), ("elf", open(elfs["spin"], "rb").read())]:
        cfg = write(tmp_path, blob, name + ".yaml")
        p = run("--config", cfg, elfs["spin"])
        assert p.returncode == 2, name
        assert p.stderr.startswith(f"quiesce: {cfg}:") and "not a UTF-8 text file" in p.stderr, name


@pytest.mark.parametrize("size", [(1 << 20) + 1, 100 << 20])
def test_oversize_file(elfs, tmp_path, size):
    cfg = tmp_path / "big.yaml"
    with open(cfg, "wb") as f:
        f.write(b"machine:\n")
        f.seek(size - 1)  # sparse: the size is refused before any read
        f.write(b"\n")
    p = run("--config", str(cfg), elfs["spin"], timeout=10)
    assert p.returncode == 2
    assert p.stderr == f"quiesce: {cfg}: larger than 1 MiB, the limit for a scenario file\n"


def test_file_at_the_limit_loads(elfs, tmp_path):
    text = "machine:\n  max_instructions: 10\n" + "# padding\n" * ((1 << 20) // 10 - 4)
    assert len(text) <= 1 << 20
    p = run("--config", write(tmp_path, text), elfs["spin"], timeout=20)
    assert p.returncode == 3 and "instruction limit of 10 reached" in p.stderr


def test_missing_file(elfs):
    p = run("--config", "/nonexistent/s.yaml", elfs["spin"])
    assert p.returncode == 2
    assert p.stderr == "quiesce: /nonexistent/s.yaml: cannot open: No such file or directory\n"


# --- errors in --set and the flags: the override is named ---

SET_ERRORS = [
    (["--set", "machine.cpus=abc"], '--set machine.cpus=abc: machine.cpus: expected an integer 1..1024, found "abc"'),
    (["--set", "machine.cpus"], "--set machine.cpus: expected KEY.PATH=VALUE"),
    (["--set", "machine.cpu=4"], "--set machine.cpu=4: machine.cpu: unknown key; did you mean 'cpus'?"),
    (["--set", "machine.caches.l3.ways=4"], "--set machine.caches.l3.ways=4: machine.caches.l3: unknown key; did you mean 'l2'?"),
    (["--set", "machine..cpus=4"], "--set machine..cpus=4: empty key in the path 'machine..cpus'"),
    (["--set", "machine.caches.l2={size_kib: 1024"],
     "--set machine.caches.l2={size_kib: 1024: the value is not valid YAML: end of map flow not found"),
    (["--set", "machine.caches.l2={size_kib: 1024, wayz: 4}"],
     "--set machine.caches.l2={size_kib: 1024, wayz: 4}: machine.caches.l2.wayz: unknown key; did you mean 'ways'?"),
    (["--set", "machine=[1]"], "--set machine=[1]: machine: expected a map, found a list"),
    (["--cpus", "0"], '--cpus 0: machine.cpus: expected an integer 1..1024, found "0"'),
    (["--memory-mib", "lots"], '--memory-mib lots: machine.memory.size_mib: expected an integer 1..1048576, found "lots"'),
    (["--quantum", "0"], '--quantum 0: machine.quantum_cycles: expected an integer 1..1000000000, found "0"'),
]


@pytest.mark.parametrize("args,message", SET_ERRORS, ids=range(len(SET_ERRORS)))
def test_set_error_names_the_override(elfs, tmp_path, args, message):
    p = run("--config", write(tmp_path, "machine:\n  cpus: 1\n"), *args, elfs["spin"])
    assert p.returncode == 2
    assert p.stderr == f"quiesce: {message}\n"
