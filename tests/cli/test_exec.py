"""`quiesce exec` behaviour seen from the command line: exit codes, trap reports,
bad input, multiprocessor runs and the --stats file. Run with
    QUIESCE=build/quiesce GUEST_CC=tools/guest-cc /usr/bin/python3 -m pytest tests/cli
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce"))
GUEST_CC = os.environ.get("GUEST_CC", os.path.join(ROOT, "tools", "guest-cc"))
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session")
def elfs(tmp_path_factory):
    out = tmp_path_factory.mktemp("guest")
    built = {}
    for src in sorted(os.listdir(os.path.join(HERE, "guest"))):
        name = src[:-2]
        elf = str(out / (name + ".elf"))
        subprocess.run([GUEST_CC, "-O2", "-o", elf, os.path.join(HERE, "guest", src)], check=True)
        built[name] = elf
    return built


def run(*args, timeout=60):
    return subprocess.run([QUIESCE, *args], capture_output=True, text=True, timeout=timeout)


def test_illegal_instruction_is_a_trap_report(elfs):
    p = run("exec", elfs["illegal"])
    assert p.returncode == 3
    assert p.stdout == "before\n"
    assert "illegal or unimplemented instruction" in p.stderr
    assert "do_illegal" in p.stderr            # symbol+offset
    assert "0x00000000" in p.stderr            # the word
    assert "r1 " in p.stderr and "lr " in p.stderr


def test_unaligned_larx_traps(elfs):
    p = run("exec", elfs["unaligned_larx"])
    assert p.returncode == 3
    assert "unaligned lwarx" in p.stderr
    assert "lwarx" in p.stderr.split("insn", 1)[1]  # Capstone disassembly of the word


def test_store_outside_memory_traps(elfs):
    p = run("exec", elfs["wild_store"])
    assert p.returncode == 3
    assert "outside guest memory at 0x123400000000" in p.stderr


def test_instruction_limit(elfs):
    p = run("exec", elfs["spin"], "--max-instructions", "100000")
    assert p.returncode == 3
    assert "instruction limit of 100000 reached" in p.stderr


@pytest.mark.parametrize("cpus", [1, 2, 4, 8])
def test_multicpu_atomics_and_stats(elfs, tmp_path, cpus):
    stats = tmp_path / "s.json"
    p = run("exec", elfs["multicpu"], "--cpus", str(cpus), "--stats", str(stats))
    assert p.returncode == cpus * (cpus - 1) // 2
    assert p.stdout == "cpus %016x\ntickets %016x\n" % (cpus, cpus)
    s = json.loads(stats.read_text())
    assert len(s["cpus"]) == cpus
    assert [c["id"] for c in s["cpus"]] == list(range(cpus))
    assert s["instructions"] == sum(c["instructions"] for c in s["cpus"])
    assert s["cycles"] == max(c["cycles"] for c in s["cpus"])
    assert s["mips"] > 0 and s["host_seconds"] > 0


COUNTERS = ["accesses", "misses", "invalidations", "c2c_transfers", "stcx_failures", "queue_cycles"]


def test_stats_regions_name_the_contended_symbols(elfs, tmp_path):
    stats = tmp_path / "s.json"
    run("exec", elfs["multicpu"], "--cpus", "4", "--stats", str(stats))
    s = json.loads(stats.read_text())
    regions = {r["name"]: r for r in s["regions"]}
    for name in ("tickets", "sum", "done"):
        assert regions[name]["bytes"] == 4
    # Four CPUs took a ticket each: the line moved between their caches.
    assert regions["tickets"]["c2c_transfers"] >= 3
    assert regions["tickets"]["invalidations"] >= 3
    assert "stack.cpu0" in regions
    for c in s["cpus"] + s["regions"]:
        for k in COUNTERS:
            assert isinstance(c[k], int) and c[k] >= 0
    # Every data access is counted once per CPU and once per region.
    for k in ("accesses", "misses", "c2c_transfers", "queue_cycles"):
        assert sum(c[k] for c in s["cpus"]) == sum(r[k] for r in s["regions"])
    assert set(COUNTERS) <= set(s["counter_units"])
    assert all(u["unit"] and u["meaning"] for u in s["counter_units"].values())


def test_exit_from_another_cpu(elfs):
    p = run("exec", elfs["exit_from_cpu"], "--cpus", "3")
    assert p.returncode == 42


def test_deterministic_stats(elfs, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    run("exec", elfs["multicpu"], "--cpus", "4", "--stats", str(a))
    run("exec", elfs["multicpu"], "--cpus", "4", "--stats", str(b))
    ja, jb = json.loads(a.read_text()), json.loads(b.read_text())
    for j in (ja, jb):  # the host's facts differ from run to run
        assert 1 << 20 < j["peak_rss_bytes"] < 1 << 30
        del j["host_seconds"], j["mips"], j["peak_rss_bytes"]
    assert ja == jb


def test_trace_format(elfs):
    p = run("exec", elfs["illegal"], "--trace")
    lines = [l for l in p.stderr.splitlines() if l[:1].isdigit()]
    assert len(lines) > 10
    cycle, cpu, pc = lines[0].split()[:3]
    assert cpu == "0" and pc.startswith("0x") and len(pc) == 18
    assert any(" main" in l for l in lines)


@pytest.mark.parametrize("args,needle", [
    (["exec"], "program is required"),
    (["exec", "/nonexistent.elf"], "does not exist"),
    (["exec", __file__], "not an ELF file"),
    (["exec", "--cpus", "0", __file__], "--cpus"),
    (["frobnicate"], "subcommand"),
])
def test_bad_input_exits_2(args, needle):
    p = run(*args)
    assert p.returncode == 2
    assert needle in (p.stderr + p.stdout)


def test_bad_elf_files(tmp_path, elfs):
    good = open(elfs["spin"], "rb").read()
    cases = {
        "truncated": good[:100],
        "empty": b"",
        "wrong_machine": good[:18] + b"\x00\x3e" + good[20:],  # EM_X86_64
        "little_endian": good[:5] + b"\x01" + good[6:],
    }
    for name, data in cases.items():
        f = tmp_path / (name + ".elf")
        f.write_bytes(data)
        p = run("exec", str(f))
        assert p.returncode == 2, name
        assert str(f) in p.stderr, name


@pytest.mark.parametrize("cpus,cpu", [(1, 0), (3, 1)])
def test_stack_overflow_traps_at_once(elfs, tmp_path, cpus, cpu):
    """A guard below every CPU's stack: a recursion that overflows traps at its first access
    there, naming the CPU and its stack, before it writes into the next CPU's stack or the program
    (it used to run on for millions of cycles, or silently overwrite CPU 2's stack)."""
    stats = tmp_path / "s.json"
    p = run("exec", elfs["stack_overflow"], "--cpus", str(cpus), "--max-instructions", "50000000",
            "--stats", str(stats), timeout=120)
    assert p.returncode == 3, p.stderr
    first = p.stderr.splitlines()[0]
    assert first.startswith(f"quiesce: guest fault on cpu {cpu} at cycle ") and "outside guest memory" in first
    assert int(first.split("at cycle ")[1].split(":")[0]) < 1_000_000
    assert f"  stack overflow: 0x" in p.stderr and f"is in the guard below cpu {cpu}'s stack (stack.cpu{cpu}: " in p.stderr
    assert "<deep+" in p.stderr
    s = json.loads(stats.read_text())
    assert s["outcome"] == "trapped" and s["trapped_cpu"] == cpu


def test_a_guest_status_that_is_also_a_simulator_code_says_so(elfs, tmp_path):
    stats = tmp_path / "s.json"
    p = run("exec", elfs["multicpu"], "--cpus", "3", "--stats", str(stats))  # exits with 0+1+2 = 3
    assert p.returncode == 3
    assert p.stderr == "quiesce: exit code 3 is the guest's own status (it exited normally)\n"
    s = json.loads(stats.read_text())
    assert s["outcome"] == "exited" and s["exit_code"] == 3 and "trapped_cpu" not in s
    p = run("exec", elfs["multicpu"], "--cpus", "4")  # 6: not one of the simulator's codes
    assert p.returncode == 6 and p.stderr == ""


def test_a_fault_is_reported_whichever_cpu_ends_the_run(elfs, tmp_path):
    """CPU 1 faults before CPU 0 returns: the run reports CPU 1's trap (exit 3), not CPU 0's status."""
    stats = tmp_path / "s.json"
    p = run("exec", elfs["fault_after_return"], "--cpus", "2", "--stats", str(stats))
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert p.stderr.startswith("quiesce: guest fault on cpu 1 at cycle "), p.stderr
    s = json.loads(stats.read_text())
    assert s["outcome"] == "trapped" and s["trapped_cpu"] == 1
