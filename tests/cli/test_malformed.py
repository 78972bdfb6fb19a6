"""Malformed input never crashes or hangs: every file in tests/malformed (and
the generated cases below) makes `quiesce validate` and `quiesce run` print one
clear message naming the place (file:line:col) and exit with code 2, within
10 s and 1 GiB of resident memory (measured, not limited: an ASan build
reserves terabytes of address space)."""
import os
import resource
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
CORPUS = os.path.join(ROOT, "tests", "malformed")
with open(os.path.join(CORPUS, "expected.tsv")) as f:
    EXPECTED = dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())


def quiesce(*args, cwd):
    p = subprocess.run([QUIESCE, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=10)
    # The largest resident set of any child so far (KiB): this one's, or less than that.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < (1 << 20), "over 1 GiB resident"
    return p


def test_the_corpus_is_complete():
    files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".yaml"))
    assert files == sorted(EXPECTED) and len(files) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("verb", ["validate", "run"])
def test_malformed_scenario(name, verb, tmp_path):
    args = [verb, name] + (["-q", "-o", str(tmp_path / "out")] if verb == "run" else [])
    p = quiesce(*args, cwd=CORPUS)
    assert p.returncode == 2, p.stderr
    assert p.stderr == f"quiesce: {EXPECTED[name]}\n"
    assert not (tmp_path / "out").exists()  # nothing written for bad input


@pytest.mark.parametrize("case", ["garbage", "nul", "huge", "missing", "directory"])
def test_generated_bad_files(case, tmp_path):
    path = tmp_path / "s.yaml"
    if case == "garbage":
        path.write_bytes(bytes((i * 151 + 7) % 256 for i in range(4096)))
        want = "s.yaml:1:1: not a UTF-8 text file"
    elif case == "nul":
        path.write_bytes(b"machine: {cpus: 2}\n\0\0\0")
        want = "s.yaml"
    elif case == "huge":  # 100 MB: refused before parsing
        with open(path, "wb") as f:
            f.write(b"name: big\n")
            f.truncate(100_000_000)
        want = "s.yaml: larger than 1 MiB, the limit for a scenario file"
    elif case == "missing":
        path = tmp_path / "nothing.yaml"
        want = "nothing.yaml"
    else:
        path = tmp_path
        want = ""
    p = quiesce("validate", str(path), cwd=tmp_path)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.startswith("quiesce: ") and p.stderr.count("\n") == 1, p.stderr
    assert want in p.stderr
