"""quiesce from any directory: the shipped scenarios through quiesce.data_dir() / quiesce.scenario()
and by their repository-relative names, `python3 -m quiesce.plot` with a relative results
directory, quiesce.run(..., trace_out=...) writing the timeline (through the CLI and the extension),
and `quiesce --version`."""
import json
import os
import subprocess
import sys

import pytest

import quiesce
from conftest import K42_SMALL, SCENARIOS


def test_data_dir_and_shipped_scenarios(tmp_path, monkeypatch):
    assert (quiesce.data_dir() / "scenarios" / "k42-swap.yaml").is_file()
    assert quiesce.scenario("k42-swap.yaml").samefile(os.path.join(SCENARIOS, "k42-swap.yaml"))
    assert quiesce.scenario("scenarios/compare/base.yaml").samefile(os.path.join(SCENARIOS, "compare", "base.yaml"))
    with pytest.raises(FileNotFoundError, match="no scenario 'nope.yaml'.*k42-swap.yaml"):
        quiesce.scenario("nope.yaml")
    # From a directory outside the repository, the README's relative names still find them.
    monkeypatch.chdir(tmp_path)
    r = quiesce.run("scenarios/k42-swap.yaml", set=K42_SMALL, out="k42")
    assert r.out == tmp_path / "k42" and r.summary["scenario"]["name"] == "k42-swap"
    assert r.trace is None
    # A file of that name here wins over the shipped one.
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "k42-swap.yaml").write_text("machine: {cpus: 1}\nrun: {duration_us: 5}\n")
    assert quiesce.run("scenarios/k42-swap.yaml", out="mine").summary["scenario"]["machine"]["cpus"] == 1
    with pytest.raises(quiesce.ScenarioError):
        quiesce.run("no-such-scenario.yaml", out="none")


@pytest.mark.parametrize("backend", ["cli", "core"])
def test_run_writes_a_timeline(tmp_path, monkeypatch, backend):
    from quiesce import _backend
    if backend == "core" and _backend.core_path() is None:
        pytest.skip("the extension is not built")
    monkeypatch.setenv("QUIESCE_BACKEND", backend)
    monkeypatch.chdir(tmp_path)
    r = quiesce.run(quiesce.scenario("k42-swap.yaml"), set=K42_SMALL, out="run", trace_out="timeline.json")
    assert r.trace == tmp_path / "timeline.json"
    doc = json.loads(r.trace.read_text())
    events = doc["traceEvents"]
    assert events and all("ph" in e for e in events)
    # One process per CPU, named; the swap's phases are on the timeline.
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert {f"cpu {i}" for i in range(4)} <= {n.lower() for n in names} or len(names) >= 4, names
    phases = {p["phase"] for p in r.phases.to_dict("records")} if "phase" in r.phases else set()
    slices = {e["name"] for e in events if e["ph"] == "X"}
    assert phases and phases <= slices | {p.lower() for p in slices}, (phases, sorted(slices)[:20])
    # The same as the CLI's timeline of the same run.
    cli = quiesce.run(quiesce.scenario("k42-swap.yaml"), set=K42_SMALL, out="run2", trace_out=tmp_path / "t2.json")
    assert json.loads(cli.trace.read_text()) == doc


def test_plot_module_from_another_directory(tmp_path):
    r = quiesce.run(quiesce.scenario("k42-swap.yaml"), set=K42_SMALL, out=tmp_path / "res")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / "mpl"))
    p = subprocess.run([sys.executable, "-m", "quiesce.plot", os.path.relpath(r.out, work), "-o", "png"], cwd=work,
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    written = [work / line for line in p.stdout.split()]
    assert {w.name for w in written} >= {"swap_timeline.png", "around_swap.png", "contention.png"}
    assert all(w.is_file() and w.read_bytes()[:4] == b"\x89PNG" for w in written)


def test_version(cli_bin):
    p = subprocess.run([cli_bin, "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and not p.stderr
    line = p.stdout.strip()
    assert line.startswith("quiesce ") and len(p.stdout.splitlines()) == 1
    version = line.split()[1]
    r = quiesce.run(quiesce.scenario("k42-swap.yaml"), set=K42_SMALL)
    assert version == r.summary["quiesce_version"]
    root = os.path.dirname(SCENARIOS)
    if os.path.isdir(os.path.join(root, ".git")) or os.path.isfile(os.path.join(root, ".git")):
        assert "(git " in line, line  # configured in a checkout: the commit it was built from
