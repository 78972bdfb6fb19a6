"""The compiled extension quiesce._core through the package (skipped where it is not built): the
same runs and errors as through the CLI, in a child process."""
import signal
import subprocess
import sys

import pytest

import quiesce
from quiesce import _backend
from conftest import K42_SMALL, K42_SWAP

pytestmark = pytest.mark.skipif(_backend.core_path() is None, reason="quiesce._core is not built")


@pytest.fixture(autouse=True)
def core(monkeypatch):
    monkeypatch.setenv("QUIESCE_BACKEND", "core")


def test_core_runs_a_scenario_in_a_child(tmp_path, cli_bin):
    assert quiesce.simulator()[0] == "core"
    r = quiesce.run(K42_SWAP, set=K42_SMALL, seed=3, out=tmp_path / "core")
    assert r.summary["seed"] == 3 and r.summary["swaps"][0]["completed"]
    assert "quiesce._core" not in sys.modules
    # The same results as the CLI's, byte for byte.
    p = subprocess.run([cli_bin, "run", K42_SWAP, "-q", "-o", str(tmp_path / "cli"), "--seed", "3"]
                       + sum((["--set", f"{k}={v}"] for k, v in K42_SMALL.items()), []),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    for name in ("summary.json", "calls.csv", "cpus.csv", "regions.csv", "swaps.csv", "phases.csv"):
        assert (tmp_path / "core" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name


def test_core_errors_carry_the_cli_message(tmp_path, cli_bin):
    with pytest.raises(quiesce.ScenarioError) as ei:
        quiesce.run({"machine": {"cpu": 3}}, out=tmp_path / "o")
    p = subprocess.run([cli_bin, "run", str(tmp_path / "o" / "scenario.yaml"), "-q", "-o", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and str(ei.value) == p.stderr.rstrip("\n")
    assert (ei.value.line, ei.value.col) == (2, 3)


def test_core_child_killed_by_a_signal(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIESCE_TEST_CHILD_SIGNAL", "SIGKILL")
    with pytest.raises(quiesce.SimulatorCrash) as ei:
        quiesce.run(K42_SWAP, set=K42_SMALL, out=tmp_path / "o", timeout=120)
    assert ei.value.signal == signal.SIGKILL


def test_core_version_is_the_one_its_results_carry(tmp_path):
    r = quiesce.run(K42_SWAP, set=K42_SMALL, out=tmp_path / "o")
    assert quiesce.version() == r.summary["quiesce_version"]
