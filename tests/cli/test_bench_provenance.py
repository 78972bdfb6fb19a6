"""The bench scripts record what made their figures (bench/provenance.py): the commit, whether the
tree was dirty, the quiesce binary's path and SHA-256, the date. Each script runs in its quickest
setting into a temporary directory (never over the checked-in figures), on a copy of the binary so
that a rebuild meanwhile cannot change what is hashed."""
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "bench")
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))

sys.path.insert(0, BENCH)
import provenance  # noqa: E402


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def head():
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A build directory holding a copy of the binary (bench/run takes --build DIR, runs DIR/quiesce)."""
    d = tmp_path_factory.mktemp("build")
    shutil.copy2(QUIESCE, d / "quiesce")
    return d


def run(script, *args):
    """Run bench/SCRIPT; the commits HEAD was at before and after (others may commit meanwhile)."""
    before = head()
    p = subprocess.run([sys.executable, os.path.join(BENCH, script)] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    return {before, head()}, p.stdout


def check(prov, binary, commits, script):
    assert prov["commit"] in commits
    assert isinstance(prov["dirty"], bool)
    assert prov["dirty"] == bool(prov.get("dirty_paths"))
    assert prov["binary"] == os.path.abspath(binary)
    assert prov["binary_sha256"] == sha256(binary)
    assert "binary_changed_during_run" not in prov
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov["date"]), prov["date"]
    assert prov["script"] == "bench/" + script


def test_compare_csv_gets_a_sidecar_and_stays_a_plain_csv(build, tmp_path):
    strategies = json.loads(subprocess.run([str(build / "quiesce"), "strategies", "--json"], capture_output=True,
                                           text=True, check=True).stdout)["strategies"]
    one = next(s["name"] for s in strategies if not s.get("test_only"))
    out = tmp_path / "compare.csv"
    commits, stdout = run("compare", "--quick", "--quiesce", build / "quiesce", "--strategies", one, "--jobs", "1",
                          "--out", out)
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ["strategy", "metric", "param", "value", "unit", "sd", "ci95", "n", "min", "max"]
    side = json.loads((tmp_path / "compare.provenance.json").read_text())
    check(side["provenance"], build / "quiesce", commits, "compare")
    assert side["file"] == "compare.csv" and side["sha256"] == sha256(out)
    assert "provenance: " + provenance.line(side["provenance"]) in stdout  # the line for compare.md


def test_coherence_json_starts_with_its_provenance(build, tmp_path):
    out = tmp_path / "coherence.json"
    commits, _ = run("coherence", "--quiesce", build / "quiesce", "--build", tmp_path, "--quick", "--cpus-list", "1",
                     "--sweep-cpus", "1", "--quanta", "1", "--n", "100", "--json", out)
    doc = json.loads(out.read_text())
    assert list(doc)[0] == "provenance"
    check(doc["provenance"], build / "quiesce", commits, "coherence")
    assert doc["counter_scaling"] and doc["latency"]["points"]


def test_run_rewritten_in_part_keeps_each_sections_provenance(build, tmp_path):
    out = tmp_path / "results.json"
    commits, _ = run("run", "--quick", "--only", "scaling", "--build", build, "--out", out)
    first = json.loads(out.read_text())["provenance"]
    check(first, build / "quiesce", commits, "run")
    assert first["sections"] == ["scaling"] and "kept" not in first
    commits, _ = run("run", "--quick", "--only", "multi", "--build", build, "--out", out)
    doc = json.loads(out.read_text())
    assert list(doc)[0] == "provenance" and "scaling" in doc and "multi_cpu_mips" in doc
    check(doc["provenance"], build / "quiesce", commits, "run")
    assert doc["provenance"]["sections"] == ["multi_cpu_mips"]
    assert doc["provenance"]["kept"] == {"scaling": {k: v for k, v in first.items() if k != "sections"}}


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo)] + list(args), capture_output=True, text=True, check=True).stdout


def test_dirty_means_changed_sources_not_rewritten_figures(tmp_path, monkeypatch):
    """In a scratch repository: clean; a rewritten figure is still clean; a changed source is dirty."""
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    (repo / "bench" / "hotswap.json").write_text("{}\n")
    (repo / "src.c").write_text("int x;\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    binary = tmp_path / "bin"
    binary.write_bytes(b"\x7fELF not really")
    monkeypatch.setattr(provenance, "ROOT", str(repo))
    p = provenance.record(str(binary))
    assert p["commit"] == git(repo, "rev-parse", "HEAD").strip() and p["dirty"] is False and "dirty_paths" not in p
    assert p["binary_sha256"] == sha256(binary)
    (repo / "bench" / "hotswap.json").write_text('{"new": 1}\n')
    assert provenance.record(str(binary))["dirty"] is False
    (repo / "src.c").write_text("int y;\n")
    p = provenance.record(str(binary))
    assert p["dirty"] is True and p["dirty_paths"] == ["src.c"]
    # A binary rebuilt while the figures were measured is recorded as such.
    binary.write_bytes(b"rebuilt")
    provenance.write_json(str(tmp_path / "r.json"), {"x": 1}, p)
    w = json.loads((tmp_path / "r.json").read_text())["provenance"]
    assert w["binary_changed_during_run"] is True and w["binary_sha256_at_end"] == sha256(binary)
