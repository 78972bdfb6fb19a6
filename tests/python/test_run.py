"""quiesce.run and quiesce.load: paths and dicts, overrides, seeds, results directories, and errors
that come back as exceptions carrying the CLI's message."""
import os
import pickle
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

import quiesce
from quiesce import runner
from conftest import COMPARE_BASE, K42_SMALL, K42_SWAP, wait_gone

TABLE_COLUMNS = {
    "calls": {"window", "start_us", "end_us", "calls", "calls_per_ms", "latency_mean_cycles", "latency_p99_cycles"},
    "cpus": {"cpu", "instructions", "cycles", "calls", "misses", "queue_cycles"},
    "regions": {"region", "start", "bytes", "misses", "invalidations_received", "queue_cycles"},
    "swaps": {"swap", "object", "from", "to", "strategy", "completed", "cycles", "cycles_to_safe_point"},
    "phases": {"swap", "cpu", "worker", "phase", "start_cycle", "end_cycle", "cycles"},
}


def test_run_a_path_with_overrides_seed_and_out(tmp_path):
    out = tmp_path / "out"
    r = quiesce.run(K42_SWAP, set=K42_SMALL, seed=7, out=out)
    assert isinstance(r, quiesce.Result)
    assert os.path.samefile(r.out, out)
    s = r.summary
    assert s["seed"] == 7
    assert s["scenario"]["machine"]["cpus"] == 4
    assert s["simulated"]["us"] == pytest.approx(200)
    for name, cols in TABLE_COLUMNS.items():
        df = getattr(r, name)
        assert cols <= set(df.columns), name
    assert len(r.cpus) == 4 and list(r.cpus["cpu"]) == [0, 1, 2, 3]
    assert len(r.swaps) == 1 and r.swaps["strategy"][0] == "k42_generation"
    assert bool(r.swaps["completed"][0]) is True
    assert set(r.phases["phase"]) >= {"forward", "block", "transfer", "complete"}
    assert r.regions["start"].dtype.kind == "i"  # hex addresses as integers
    assert r.host["host_seconds"] > 0
    assert r.region_cpus is None or "cpu" in r.region_cpus.columns
    assert r.clock_ghz == 2.0 and r.cycles_to_us(2000) == pytest.approx(1.0)
    m = r.metrics
    assert m["calls"] == s["simulated"]["calls"] and m["swap_strategy"] == "k42_generation"
    assert "4 cpus" in repr(r)


def test_run_a_dict_writes_it_into_the_results_directory(tmp_path, scenario_dict):
    r = quiesce.run(scenario_dict, out=tmp_path / "o")
    f = tmp_path / "o" / "scenario.yaml"
    assert f.is_file()
    assert yaml.safe_load(f.read_text()) == scenario_dict
    # File order is kept: the order of implementations and methods matters to the simulator.
    assert list(yaml.safe_load(f.read_text())["implementations"]) == ["ObjV1", "ObjV2"]
    assert r.summary["scenario"]["name"] == "py-small"
    assert r.summary["scenario"]["machine"]["cpus"] == 2
    assert r.summary["swaps"][0]["completed"]


def test_default_out_is_a_fresh_temporary_directory(scenario_dict):
    a = quiesce.run(scenario_dict)
    b = quiesce.run(scenario_dict)
    assert a.out != b.out
    for r in (a, b):
        assert os.path.dirname(str(r.out)) == tempfile.gettempdir()
        assert os.path.basename(str(r.out)).startswith("quiesce-")
    # The same scenario and seed give byte-identical results (host.json aside).
    for name in ("summary.json", "calls.csv", "phases.csv", "regions.csv"):
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes(), name


def test_seed_changes_the_run(scenario_dict):
    a = quiesce.run(scenario_dict, seed=1)
    b = quiesce.run(scenario_dict, seed=2)
    assert a.summary["seed"] == 1 and b.summary["seed"] == 2
    assert (a.out / "calls.csv").read_bytes() != (b.out / "calls.csv").read_bytes()


@pytest.mark.parametrize("value,text", [
    (4, "4"), (2.5, "2.5"), (True, "true"), ("rwlock", "rwlock"), ("true", "'true'"), ("12", "'12'"),
    ([0, 1], "[0, 1]"), ({"probability": 0.2, "mean_us": 2}, "{probability: 0.2, mean_us: 2}"),
    (float("inf"), ".inf"), ("a b: c", "'a b: c'"), (["copy", "transform"], "[copy, transform]"),
])
def test_override_values_are_rendered_as_yaml_flow(value, text):
    assert runner.render_value(value) == text


def test_numpy_values_render_as_plain_numbers():
    np = pytest.importorskip("numpy")
    assert runner.render_value(np.int64(8)) == "8"
    assert runner.render_value(np.arange(3)) == "[0, 1, 2]"
    assert runner.render_sets({"machine.cpus": np.int64(2)}) == ["machine.cpus=2"]


def test_overrides_reach_the_scenario_lists_maps_and_indexes(tmp_path):
    r = quiesce.run(K42_SWAP, set={**K42_SMALL,
                                   "workloads.clients.mix[0].weight": 3,            # a list element's key
                                   "workloads.requests.cpus": [0, 1],               # a whole list
                                   "implementations.FileCacheV2.transfer.import": ["copy", "transform"],
                                   "events[0].strategy": "rwlock",
                                   "name": "true"})                                  # a string that looks like a bool
    sc = r.summary["scenario"]
    assert sc["workloads"]["clients"]["mix"][0]["weight"] == 3
    assert sc["workloads"]["requests"]["cpus"] == [0, 1]
    assert r.summary["swaps"][0]["strategy"] == "rwlock"
    assert r.summary["swaps"][0]["protocol"] == "copy"
    assert sc["name"] == "true"


def test_a_list_of_set_strings_is_passed_as_it_is(tmp_path):
    r = quiesce.run(K42_SWAP, set=["machine.cpus=2", "run.duration_us=200"])
    assert r.summary["scenario"]["machine"]["cpus"] == 2


def _cli_stderr(cli_bin, args):
    p = subprocess.run([cli_bin] + args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr.rstrip("\n")


def test_a_bad_key_is_a_scenario_error_naming_file_line_col(tmp_path, cli_bin):
    out = tmp_path / "bad"
    with pytest.raises(quiesce.ScenarioError) as ei:
        quiesce.run({"machine": {"cpu": 3}}, out=out)
    e = ei.value
    path = str(out / "scenario.yaml")
    assert str(e) == f"quiesce: {path}:2:3: machine.cpu: unknown key; did you mean 'cpus'?"
    assert (e.file, e.line, e.col, e.exit_code) == (path, 2, 3, 2)
    assert isinstance(e, quiesce.QuiesceError)
    # Exactly what the CLI prints for the same file.
    rc, err = _cli_stderr(cli_bin, ["run", path, "-q", "-o", str(tmp_path / "cli")])
    assert rc == 2 and err == str(e)


def test_a_bad_override_is_a_scenario_error_with_the_cli_message(tmp_path, cli_bin):
    with pytest.raises(quiesce.ScenarioError) as ei:
        quiesce.run(K42_SWAP, set={"workloads.clients.mix[0].object": "cach"}, out=tmp_path / "o")
    rc, err = _cli_stderr(cli_bin, ["run", K42_SWAP, "-q", "-o", str(tmp_path / "cli"),
                                    "--set", "workloads.clients.mix[0].object=cach"])
    assert rc == 2 and str(ei.value) == err
    assert "unknown object 'cach'; did you mean 'cache'?" in str(ei.value)
    assert ei.value.file is None  # an override has no file position


def test_a_missing_scenario_file_is_a_scenario_error(tmp_path):
    with pytest.raises(quiesce.ScenarioError, match="nope.yaml: cannot open"):
        quiesce.run(tmp_path / "nope.yaml", out=tmp_path / "o")


def test_a_child_killed_by_a_signal_is_a_simulator_crash(monkeypatch, scenario_dict, run_log):
    monkeypatch.setenv("QUIESCE_TEST_CHILD_SIGNAL", "SIGSEGV")
    t0 = time.time()
    with pytest.raises(quiesce.SimulatorCrash) as ei:
        quiesce.run(scenario_dict, timeout=120)
    assert time.time() - t0 < 60
    e = ei.value
    assert e.signal == signal.SIGSEGV and e.exit_code == -signal.SIGSEGV
    assert "killed by SIGSEGV (11)" in str(e)
    assert len(run_log) == 1


def _fake_binary(tmp_path, monkeypatch, body):
    """A stand-in for the CLI, selected as the simulator."""
    f = tmp_path / "fake-quiesce"
    f.write_text("#!/bin/sh\n" + body + "\n")
    f.chmod(f.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("QUIESCE_BIN", str(f))
    monkeypatch.setenv("QUIESCE_BACKEND", "cli")
    return str(f)


def test_a_cli_killed_by_a_signal_is_a_simulator_crash_with_its_stderr(tmp_path, monkeypatch, scenario_dict):
    _fake_binary(tmp_path, monkeypatch, 'echo "assertion failed: something broke" >&2\nkill -ABRT $$')
    with pytest.raises(quiesce.SimulatorCrash) as ei:
        quiesce.run(scenario_dict, timeout=60)
    assert ei.value.signal == signal.SIGABRT
    assert "SIGABRT" in str(ei.value) and "assertion failed: something broke" in str(ei.value)


@pytest.mark.parametrize("code,cls", [(3, quiesce.GuestFault), (5, quiesce.InvariantViolation),
                                      (2, quiesce.ScenarioError), (1, quiesce.SimulatorCrash),
                                      (139, quiesce.SimulatorCrash)])
def test_exit_codes_map_to_exceptions(tmp_path, monkeypatch, scenario_dict, code, cls):
    # The CLI's exit codes 3 and 5 need a faulting guest or a broken coherence protocol; a stand-in
    # binary checks that each code reaches the right exception with the message it printed.
    _fake_binary(tmp_path, monkeypatch,
                 f'printf "quiesce: guest fault on cpu 1 at 0x1000\\nregisters...\\n" >&2\nexit {code}')
    with pytest.raises(cls) as ei:
        quiesce.run(scenario_dict)
    assert ei.value.exit_code == code
    if cls is quiesce.SimulatorCrash:
        assert f"unexpected code {code}" in str(ei.value)
        assert "guest fault on cpu 1" in str(ei.value)
    else:
        assert str(ei.value) == "quiesce: guest fault on cpu 1 at 0x1000\nregisters..."


def test_exit_zero_without_results_is_a_crash(tmp_path, monkeypatch, scenario_dict):
    _fake_binary(tmp_path, monkeypatch, "exit 0")
    with pytest.raises(quiesce.SimulatorCrash, match="wrote no"):
        quiesce.run(scenario_dict)


def test_timeout_kills_the_child_and_raises(tmp_path, run_log):
    t0 = time.time()
    with pytest.raises(quiesce.RunTimeout) as ei:  # ~4 minutes of simulation
        quiesce.run(K42_SWAP, set={"run.duration_us": 1_000_000}, out=tmp_path / "o", timeout=0.5)
    assert time.time() - t0 < 30
    assert isinstance(ei.value, TimeoutError) and ei.value.timeout == 0.5
    pids = [e["pid"] for e in run_log.entries()]
    assert len(pids) == 1 and wait_gone(pids, timeout=10)


def test_exceptions_pickle():
    e = quiesce.ScenarioError("quiesce: f.yaml:2:3: x: bad", exit_code=2, stderr="...", sets=["a=1"])
    f = pickle.loads(pickle.dumps(e))
    assert type(f) is quiesce.ScenarioError and str(f) == str(e)
    assert (f.file, f.line, f.col, f.exit_code, f.sets) == ("f.yaml", 2, 3, 2, ["a=1"])
    c = pickle.loads(pickle.dumps(quiesce.SimulatorCrash("boom", signal=11, exit_code=-11)))
    assert c.signal == 11 and str(c) == "boom"


def test_load_reads_results_written_by_the_cli(tmp_path, cli_bin):
    out = tmp_path / "cli-out"
    p = subprocess.run([cli_bin, "run", COMPARE_BASE, "-q", "-o", str(out), "--set", "machine.cpus=2",
                        "--set", "events[0].strategy=percpu_refcount"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = quiesce.load(out)
    assert r.summary["swaps"][0]["strategy"] == "percpu_refcount"
    assert len(r.cpus) == 2 and len(r.swaps) == 1
    assert r.calls["calls"].sum() == r.summary["simulated"]["calls"]
    assert "percpu_refcount.counts" in set(r.regions["region"])
    with pytest.raises(FileNotFoundError):
        quiesce.load(tmp_path)


def test_the_parent_never_loads_the_simulator(scenario_dict):
    quiesce.run(scenario_dict)
    assert "quiesce._core" not in sys.modules


def test_forcing_a_missing_backend_is_an_error(monkeypatch, scenario_dict):
    from quiesce import _backend
    if _backend.core_path() is not None:
        pytest.skip("the extension is installed")
    monkeypatch.setenv("QUIESCE_BACKEND", "core")
    with pytest.raises(quiesce.QuiesceError, match="not installed"):
        quiesce.run(scenario_dict)


def test_version_is_the_simulators():
    v = quiesce.version()
    r = quiesce.run(K42_SWAP, set=K42_SMALL)
    assert v == r.summary["quiesce_version"] or r.summary["quiesce_version"] in v


def test_a_bad_quiesce_bin_is_an_error(monkeypatch, scenario_dict, tmp_path):
    monkeypatch.setenv("QUIESCE_BIN", str(tmp_path / "no-such-binary"))
    monkeypatch.delenv("QUIESCE_BACKEND", raising=False)
    with pytest.raises(quiesce.QuiesceError, match="not an executable file"):
        quiesce.run(scenario_dict)
