"""`quiesce run --log LEVEL [--log-file F]`: the diagnostic log (sim/diag/log.h). Each subsystem
(scheduler, swap, strategy, coherence) writes lines stamped with the simulated cycle and CPU; none
by default; per-subsystem levels; the same run gives the same log and the same results with or
without it; bad levels and files are bad input (exit 2, one line)."""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")
LINE = re.compile(r"^cycle (\d+) cpu (\d+) \[(scheduler|swap|strategy|coherence)\] (trace|debug|info|warn|error): \S.*$")
RESULTS = ("summary.json", "calls.csv", "cpus.csv", "regions.csv", "swaps.csv", "phases.csv", "events.csv")


def run(tmp_path, name, *extra):
    return subprocess.run([QUIESCE, "run", K42_SWAP, "-q", "-o", str(tmp_path / name), *extra],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)


@pytest.fixture(scope="module")
def debug_log(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("log")
    p = run(tmp, "logged", "--log", "debug", "--log-file", str(tmp / "run.log"))
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return tmp, (tmp / "run.log").read_text().splitlines()


def test_every_subsystem_logs_with_cycle_and_cpu(debug_log):
    _, lines = debug_log
    assert lines
    seen = {}
    for line in lines:
        m = LINE.match(line)
        assert m, line
        assert int(m.group(2)) < 8 and m.group(4) != "trace", line  # k42-swap has 8 CPUs; debug hides trace
        seen.setdefault(m.group(3), []).append(line)
    assert set(seen) == {"scheduler", "swap", "strategy", "coherence"}
    swap = "\n".join(seen["swap"])
    for phase in ("interpose", "forward", "block", "transfer", "complete"):
        assert f"swap 0 of cache (k42_generation): phase {phase}" in swap
    assert "safe point reached" in swap and "completed" in swap
    assert any(": waits for " in l for l in seen["strategy"]) and any(": works" in l for l in seen["strategy"])
    assert any(" runs" in l for l in seen["scheduler"]) and any("generation swap" in l for l in seen["scheduler"])
    assert all("contended" in l for l in seen["coherence"])  # debug: the contended transactions only


def test_the_log_changes_nothing_and_is_deterministic(tmp_path, debug_log):
    tmp, lines = debug_log
    assert run(tmp_path, "plain").returncode == 0
    again = run(tmp_path, "again", "--log", "debug", "--log-file", str(tmp_path / "again.log"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.log").read_text().splitlines() == lines
    for f in RESULTS:
        assert (tmp / "logged" / f).read_bytes() == (tmp_path / "plain" / f).read_bytes(), f


def test_off_by_default_and_to_stderr_when_asked(tmp_path):
    p = run(tmp_path, "quiet")
    assert p.returncode == 0 and p.stderr == ""
    p = run(tmp_path, "swaps", "--log", "swap=info")
    assert p.returncode == 0
    lines = p.stderr.splitlines()
    assert lines and all(LINE.match(l) and "[swap] info:" in l for l in lines), lines


def test_trace_level_has_every_coherence_transaction(tmp_path):
    p = run(tmp_path, "t", "--log", "coherence=trace", "--log-file", str(tmp_path / "t.log"))
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "t.log").read_text()
    assert "[coherence] trace: GetS line 0x" in text and "[coherence] debug:" in text
    assert "[swap]" not in text and "[scheduler]" not in text


@pytest.mark.parametrize("args,says", [
    (["--log", "verbose"], "quiesce: --log: unknown level 'verbose'"),
    (["--log", "swap=debug,cache=trace"], "quiesce: --log: unknown subsystem 'cache'"),
    (["--log", "debug", "--log-file", "/nonexistent-dir-q25/x.log"], "quiesce: --log-file /nonexistent-dir-q25/x.log: "
                                                                      "its directory does not exist"),
])
def test_bad_log_options_are_bad_input(tmp_path, args, says):
    p = run(tmp_path, "bad", *args)
    assert p.returncode == 2
    assert p.stderr.startswith(says) and p.stderr.count("\n") == 1, p.stderr
    assert not os.path.exists("/nonexistent-dir-q25")
    assert not os.path.exists(tmp_path / "bad")


def test_exec_logs_coherence(tmp_path):
    # A bare-metal program has no OS: exec's log is the coherence part, and the guest's output is unchanged.
    elf = str(tmp_path / "multicpu.elf")
    guest_cc = os.environ.get("GUEST_CC", os.path.join(ROOT, "tools", "guest-cc"))
    subprocess.run([guest_cc, "-O2", "-o", elf, os.path.join(ROOT, "tests", "cli", "guest", "multicpu.c")], check=True)
    plain = subprocess.run([QUIESCE, "exec", elf, "--cpus", "4"], capture_output=True, text=True, timeout=120)
    logged = subprocess.run([QUIESCE, "exec", elf, "--cpus", "4", "--log", "coherence=debug"], capture_output=True,
                            text=True, timeout=120)
    assert logged.returncode == plain.returncode and logged.stdout == plain.stdout
    lines = logged.stderr.splitlines()
    assert lines and all(LINE.match(l) and "[coherence] debug:" in l for l in lines), lines[:3]
    assert {int(LINE.match(l).group(2)) for l in lines} > {0}  # other CPUs' transactions too
