"""Issue 26 through the package: seeds out of range are ScenarioError (as in a scenario file, on
either backend), an interrupted run is RunInterrupted with the Result of what was simulated, a
sweep records an interrupted point (completed False, its stop_reason), and a damaged cached point
is run again rather than served."""
import os

import pytest

import quiesce
from quiesce import _backend
from conftest import K42_SMALL, K42_SWAP, SCENARIOS, small_scenario

DEADLOCK = os.path.join(SCENARIOS, "deadlock-forward.yaml")
BACKENDS = ["cli"] + (["core"] if _backend.core_path() is not None else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [2**64, -1, 10**30])
def test_seed_out_of_range_is_a_scenario_error(monkeypatch, tmp_path, backend, seed):
    monkeypatch.setenv("QUIESCE_BACKEND", backend)
    with pytest.raises(quiesce.ScenarioError) as ei:
        quiesce.run(K42_SWAP, set=K42_SMALL, seed=seed, out=tmp_path / "o")
    assert ei.value.exit_code == 2
    assert str(ei.value).startswith(f"quiesce: --seed {seed}: run.seed: expected an integer 0..18446744073709551615")
    assert "Traceback" not in ei.value.stderr and "\n" not in str(ei.value)


def test_the_largest_seed_runs(tmp_path):
    r = quiesce.run(K42_SWAP, set=K42_SMALL, seed=2**64 - 1, out=tmp_path / "o")
    assert r.summary["seed"] == 2**64 - 1 and r.completed and r.stopped is None


def test_an_interrupted_run_is_run_interrupted_with_its_result(tmp_path):
    with pytest.raises(quiesce.RunInterrupted) as ei:
        quiesce.run(DEADLOCK, out=tmp_path / "o")
    e = ei.value
    assert e.exit_code == 4 and "watchdog" in str(e)
    assert e.result is not None and e.result.completed is False
    assert e.result.stopped["reason"] == "watchdog"
    assert e.result.summary["simulated"]["us"] < e.result.scenario["run"]["duration_us"]


def test_a_sweep_records_interrupted_points(tmp_path):
    df = quiesce.sweep(DEADLOCK, {"hotswap.timeout_us": [100, 200]}, cache_dir=tmp_path / "c", progress=False)
    assert list(df["completed"]) == [False, False]
    assert list(df["stop_reason"]) == ["watchdog", "watchdog"]
    assert (df["simulated_us"] < 600).all()
    again = quiesce.sweep(DEADLOCK, {"hotswap.timeout_us": [100, 200]}, cache_dir=tmp_path / "c", progress=False)
    assert again["cached"].all() and list(again["completed"]) == [False, False]


def test_complete_points_say_so(tmp_path):
    df = quiesce.sweep(small_scenario(), {"machine.cpus": [1]}, cache_dir=False, progress=False)
    assert list(df["completed"]) == [True] and df["stop_reason"].isna().all()


def test_a_damaged_cached_point_is_run_again(tmp_path):
    cache = tmp_path / "c"
    first = quiesce.sweep(small_scenario(), {"machine.cpus": [1]}, cache_dir=cache, progress=False)
    out = first["out"][0]
    summary = os.path.join(out, "summary.json")
    with open(summary, "w"):
        pass  # emptied, as a full disk or a stray write would leave it
    again = quiesce.sweep(small_scenario(), {"machine.cpus": [1]}, cache_dir=cache, progress=False)
    assert not again["cached"][0] and again["out"][0] == out
    assert os.path.getsize(summary) > 0 and quiesce.load(out).completed
    assert again["calls"][0] == first["calls"][0]
