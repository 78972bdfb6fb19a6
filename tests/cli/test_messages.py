"""Messages that used to mislead (issue 25): `--set events.0.strategy=...` names the list and
suggests `events[0].strategy`; `quiesce run` and `quiesce validate` take the machine flags
(`--cpus N` = `--set machine.cpus=N`, applied after every --set, named in their errors) as
scenarios/README.md says; tools/guest-cc refuses floating-point code at build time, saying the
core has no FPU, and writes no ELF."""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
GUEST_CC = os.environ.get("GUEST_CC", os.path.join(ROOT, "tools", "guest-cc"))
K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")


def quiesce(*args, **kw):
    return subprocess.run([QUIESCE, *args], capture_output=True, text=True, timeout=600, **kw)


@pytest.mark.parametrize("key,suggested,listed", [
    ("events.0.strategy=rwlock", "events[0].strategy", "events"),
    ("workloads.clients.mix.1.weight=3", "workloads.clients.mix[1].weight", "workloads.clients.mix"),
    ("events.0={at_us: 5}", "events[0]", "events"),
])
def test_a_dotted_index_suggests_brackets(key, suggested, listed):
    for verb in (["validate", K42_SWAP], ["run", K42_SWAP, "-q", "-o", os.devnull]):
        p = quiesce(*verb, "--set", key)
        assert p.returncode == 2 and p.stdout == ""
        assert p.stderr == f"quiesce: --set {key}: {listed} is a list: write {suggested} (an element is KEY[N], not KEY.N)\n"
    # What it suggests works.
    value = key.split("=", 1)[1]
    if "{" not in value:
        assert quiesce("validate", K42_SWAP, "--set", f"{suggested}={value}").returncode == 0


def test_run_and_validate_take_cpus(tmp_path):
    p = quiesce("validate", K42_SWAP, "--cpus", "3")
    assert p.returncode == 0 and "3 cpus" in p.stdout, p.stderr
    # A flag wins over --set, whatever the order.
    p = quiesce("validate", K42_SWAP, "--cpus", "3", "--set", "machine.cpus=4")
    assert p.returncode == 0 and "3 cpus" in p.stdout
    p = quiesce("run", K42_SWAP, "-q", "-o", str(tmp_path / "r"), "--cpus", "2", "--quantum", "50",
                "--set", "run.duration_us=200")
    assert p.returncode == 0, p.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["scenario"]["machine"]["cpus"] == 2
    assert summary["scenario"]["machine"]["quantum_cycles"] == 50
    cpus = (tmp_path / "r" / "cpus.csv").read_text().splitlines()
    assert len(cpus) == 1 + 2
    # Its errors name the flag.
    p = quiesce("run", K42_SWAP, "-q", "-o", str(tmp_path / "bad"), "--cpus", "abc")
    assert p.returncode == 2 and p.stderr == 'quiesce: --cpus abc: machine.cpus: expected an integer 1..1024, found "abc"\n'
    assert not (tmp_path / "bad").exists()


FP = """#include <quiesce/guest.h>
static int scale(int a) { volatile double x = a; return (int)(x / 3.0 * 2.0); }
int main(void) { qg_puts("x"); return scale(7); }
"""


def test_guest_cc_refuses_floating_point(tmp_path):
    src = tmp_path / "uses-fp.c"
    src.write_text(FP)
    out = tmp_path / "fp.elf"
    for extra in ([], ["-O0"], ["-mabi=elfv2"]):
        p = subprocess.run([GUEST_CC, *extra, "-o", str(out), str(src)], capture_output=True, text=True, timeout=300)
        assert p.returncode == 2, p.stderr
        assert "floating point in guest code: the quiesce core has no FPU" in p.stderr
        assert "uses-fp.c, scale()" in p.stderr or "uses-fp.c, main()" in p.stderr, p.stderr
        assert not out.exists()
    # The same program in integers builds and runs.
    src.write_text(FP.replace("volatile double x = a; return (int)(x / 3.0 * 2.0);", "volatile int x = a; return x / 3 * 2;"))
    p = subprocess.run([GUEST_CC, "-o", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    r = quiesce("exec", str(out))
    assert r.returncode == 4 and r.stdout == "x", (r.returncode, r.stdout, r.stderr)
