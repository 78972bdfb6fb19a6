"""Malformed guest ELF files never crash or hang the loader: every bad file in
tests/malformed_elf makes `quiesce exec FILE` print one message naming the file
and exit with code 2, within 10 s and 1 GiB of resident memory (measured, not
limited: an ASan build reserves terabytes of address space). The files marked
OK in expected.tsv are damaged only where the loader does not need to look
(symbol table, section names): they load and run like the good files. make.py
regenerates the stored files byte for byte from good-elfv1.elf and good-elfv2.elf."""
import os
import resource
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
CORPUS = os.path.join(ROOT, "tests", "malformed_elf")
GOOD = ["good-elfv1.elf", "good-elfv2.elf"]
with open(os.path.join(CORPUS, "expected.tsv")) as f:
    EXPECTED = dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())


def quiesce(*args, cwd=CORPUS):
    p = subprocess.run([QUIESCE, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=10)
    # The largest resident set of any child so far (KiB): this one's, or less than that.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < (1 << 20), "over 1 GiB resident"
    return p


def bad_files(directory):
    return sorted(f for f in os.listdir(directory) if f.endswith(".elf") and f not in GOOD)


def test_the_corpus_is_complete():
    assert bad_files(CORPUS) == sorted(EXPECTED)
    assert sum(want != "OK" for want in EXPECTED.values()) >= 15


@pytest.mark.parametrize("name", GOOD)
def test_good_file_runs(name):
    p = quiesce("exec", name)
    assert (p.returncode, p.stdout, p.stderr) == (0, "tiny\n", "")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_elf(name):
    p = quiesce("exec", name)
    if EXPECTED[name] == "OK":  # damage the loader ignores: loads and runs normally
        assert (p.returncode, p.stdout, p.stderr) == (0, "tiny\n", "")
    else:
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert p.stderr == f"quiesce: {EXPECTED[name]}\n"
        assert p.stdout == ""


def test_message_names_the_path_as_given():
    path = os.path.join(CORPUS, "type-dyn.elf")
    p = quiesce("exec", path, cwd="/")
    assert p.returncode == 2
    assert p.stderr == f"quiesce: {path}: not a static executable (ELF type 3)\n"


def test_make_regenerates_the_corpus(tmp_path):
    subprocess.run([sys.executable, os.path.join(CORPUS, "make.py"), "--out", str(tmp_path)], check=True, timeout=60)
    assert bad_files(tmp_path) == bad_files(CORPUS)
    for name in bad_files(CORPUS):
        with open(os.path.join(CORPUS, name), "rb") as a, open(tmp_path / name, "rb") as b:
            assert a.read() == b.read(), f"{name} differs from what make.py writes"
