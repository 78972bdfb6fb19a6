"""quiesce.sweep: the grid's product, headline metrics, the on-disk cache (a rerun recomputes
nothing; a sweep killed with SIGKILL resumes without recomputing or losing a point), executors."""
import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import quiesce
from quiesce import sweeps as sweep_mod
from quiesce.results import HEADLINE_COLUMNS
from conftest import COMPARE_BASE, small_scenario, wait_gone

GRID = {"events[0].strategy": ["k42_generation", "percpu_refcount"], "machine.cpus": [1, 2]}
SMALL = {"run.duration_us": 160, "events[0].at_us": 100}  # compare/base.yaml, shortened


def base_dict():
    return small_scenario(cpus=1)


def test_grid_product_metrics_and_a_cached_rerun(tmp_path, run_log):
    cache = tmp_path / "cache"
    df = quiesce.sweep(base_dict(), GRID, cache_dir=cache, jobs=2, progress=False)
    assert len(run_log) == 4
    assert list(df.columns[:2]) == ["events[0].strategy", "machine.cpus"]
    assert set(HEADLINE_COLUMNS) | {"out", "key", "cached"} <= set(df.columns)
    assert [tuple(r) for r in df[["events[0].strategy", "machine.cpus"]].itertuples(index=False)] == \
        [("k42_generation", 1), ("k42_generation", 2), ("percpu_refcount", 1), ("percpu_refcount", 2)]
    assert not df["cached"].any()
    assert df["key"].is_unique
    for row in df.itertuples(index=False):
        r = quiesce.load(row.out)
        assert r.summary["scenario"]["machine"]["cpus"] == row[1]
        assert r.summary["swaps"][0]["strategy"] == row[0] == row.swap_strategy
        assert row.calls == r.summary["simulated"]["calls"] and row.calls > 0
        assert row.swap_completed and row.swap_cycles > 0 and row.swap_cycles_to_safe_point > 0
        assert row.fast_path_cycles_per_call > 0 and row.throughput_calls_per_ms > 0
        assert row.swap_us == pytest.approx(row.swap_cycles / 2000)
        assert os.path.dirname(row.out) == str((cache / "points").resolve())
    # The per-CPU refcount gate costs cycles on every call; k42_generation adds nothing before a swap.
    fp = df.set_index(["events[0].strategy", "machine.cpus"])["fast_path_cycles_per_call"]
    assert fp[("percpu_refcount", 1)] > fp[("k42_generation", 1)]

    run_log.clear()
    again = quiesce.sweep(base_dict(), GRID, cache_dir=cache, jobs=2, progress=False)
    assert len(run_log) == 0  # nothing recomputed
    assert again["cached"].all()
    cols = [c for c in df.columns if c != "cached"]
    assert again[cols].equals(df[cols])

    # A new point runs alone; the others come from the cache.
    run_log.clear()
    more = quiesce.sweep(base_dict(), {**GRID, "machine.cpus": [1, 2, 4]}, cache_dir=cache, progress=False)
    assert len(run_log) == 2 and len(more) == 6
    assert list(more["cached"]) == [True, True, False, True, True, False]


def test_the_key_covers_the_scenario_the_overrides_the_seed_and_the_simulator(tmp_path, run_log):
    cache = tmp_path / "cache"
    quiesce.sweep(base_dict(), {"machine.cpus": [1]}, cache_dir=cache, progress=False)
    quiesce.sweep(base_dict(), {"machine.cpus": [1]}, cache_dir=cache, seed=5, progress=False)
    changed = base_dict()
    changed["run"]["duration_us"] = 150
    quiesce.sweep(changed, {"machine.cpus": [1]}, cache_dir=cache, progress=False)
    assert len(run_log) == 3
    sim = {"version": "0.4.0", "build": "a" * 64}
    k = sweep_mod.point_key("b" * 64, ["machine.cpus=2", "run.seed=1"], None, sim)
    assert k == sweep_mod.point_key("b" * 64, ["run.seed=1", "machine.cpus=2"], None, sim)  # order-free
    assert k != sweep_mod.point_key("b" * 64, ["machine.cpus=2", "run.seed=1"], None, {**sim, "build": "c" * 64})
    assert k != sweep_mod.point_key("b" * 64, ["machine.cpus=2", "run.seed=1"], None, {**sim, "version": "0.5"})
    assert k != sweep_mod.point_key("b" * 64, ["machine.cpus=2", "run.seed=1"], 3, sim)
    # Overlapping overrides keep their order: the later one wins.
    assert sweep_mod.point_key("b" * 64, ["machine={cpus: 2}", "machine.cpus=4"], None, sim) != \
        sweep_mod.point_key("b" * 64, ["machine.cpus=4", "machine={cpus: 2}"], None, sim)


def test_a_path_base_and_no_cache(tmp_path, run_log):
    df = quiesce.sweep(COMPARE_BASE, {"machine.cpus": [1, 2], **{k: [v] for k, v in SMALL.items()}},
                       cache_dir=False, progress=False)
    assert len(df) == 2 and len(run_log) == 2 and not df["cached"].any()
    assert list(df["machine.cpus"]) == [1, 2]
    assert all(os.path.isfile(os.path.join(o, "summary.json")) for o in df["out"])


def test_an_empty_grid_is_one_point(tmp_path):
    df = quiesce.sweep(base_dict(), {}, cache_dir=tmp_path / "c", progress=False)
    assert len(df) == 1 and df["swap_completed"].iloc[0]


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_a_custom_executor(tmp_path, run_log, kind):
    pool = cf.ThreadPoolExecutor(2) if kind == "thread" else cf.ProcessPoolExecutor(2)
    submitted = []

    class Counting:  # any object with .submit(fn, *args) -> future with .result()
        def submit(self, fn, *args, **kw):
            submitted.append(args)
            return pool.submit(fn, *args, **kw)

    with pool:
        df = quiesce.sweep(base_dict(), GRID, executor=Counting(), cache_dir=tmp_path / "cache", progress=False)
    assert len(submitted) == 4 and len(run_log) == 4
    assert len(df) == 4 and df["swap_completed"].all()
    # Points computed elsewhere are cached like any other.
    run_log.clear()
    with cf.ThreadPoolExecutor(2) as pool2:
        again = quiesce.sweep(base_dict(), GRID, executor=pool2, cache_dir=tmp_path / "cache", progress=False)
    assert again["cached"].all() and len(run_log) == 0


def test_an_executor_whose_futures_only_have_result(tmp_path, run_log):
    class Lazy:  # the least a future needs: .result()
        def __init__(self, fn, args):
            self.fn, self.args = fn, args

        def result(self):
            return self.fn(*self.args)

    class Minimal:
        def submit(self, fn, *args):
            return Lazy(fn, args)

    df = quiesce.sweep(base_dict(), GRID, executor=Minimal(), cache_dir=tmp_path / "cache", progress=False)
    assert len(df) == 4 and len(run_log) == 4 and df["swap_completed"].all()


def test_errors_raise_after_the_running_points_or_are_recorded(tmp_path, run_log):
    grid = {"events[0].strategy": ["k42_generation", "no_such_strategy"]}
    with pytest.raises(quiesce.ScenarioError) as ei:
        quiesce.sweep(base_dict(), grid, cache_dir=tmp_path / "c", jobs=1, progress=False)
    assert "events[0].strategy" in str(ei.value) and "no_such_strategy" in str(ei.value)
    assert ei.value.point == {"events[0].strategy": "no_such_strategy"}
    df = quiesce.sweep(base_dict(), grid, cache_dir=tmp_path / "c", progress=False, errors="record")
    assert df["error"].isna().tolist() == [True, False]
    assert "no_such_strategy" in df["error"].iloc[1]
    assert df["cached"].tolist() == [True, False]  # the good point was cached by the first sweep
    assert not os.listdir(tmp_path / "c" / "tmp")  # a failed point leaves nothing behind


def _processes_using(path):
    """Processes whose command line names `path`."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if str(path).encode() in f.read():
                        pids.append(int(d))
            except OSError:
                pass
    return pids


def _finished(points_dir):
    if not os.path.isdir(points_dir):
        return set()
    return {k for k in os.listdir(points_dir) if os.path.isfile(os.path.join(points_dir, k, "point.json"))}


def test_a_sweep_killed_with_sigkill_resumes_without_recomputing_or_losing_points(tmp_path, run_log):
    cache = tmp_path / "cache"
    points = cache / "points"
    grid = {"run.seed": list(range(1, 11)), "machine.cpus": [8], "run.duration_us": [4000]}
    script = ("import sys, quiesce\n"
              "quiesce.sweep(sys.argv[1], " + repr(grid) + ", jobs=1, cache_dir=sys.argv[2], progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, COMPARE_BASE, str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while len(_finished(points)) < 3:
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.time() < deadline, "the sweep made no progress"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Its simulations die with it (or, where that is not possible, end by themselves).
    assert wait_gone([e["pid"] for e in run_log.entries()] + _processes_using(cache), timeout=60)
    done = _finished(points)
    assert 3 <= len(done) < 10, "kill the sweep mid-way"
    assert set(os.listdir(points)) == done  # no partial point ever looks finished
    seeds_done = {json.load(open(points / k / "point.json"))["params"]["run.seed"] for k in done}

    run_log.clear()
    df = quiesce.sweep(COMPARE_BASE, grid, jobs=2, cache_dir=cache, progress=False)
    rerun = run_log.entries()
    assert len(rerun) == 10 - len(done)  # the finished points are not recomputed
    rerun_seeds = {int(next(s for s in e["sets"] if s.startswith("run.seed=")).split("=")[1]) for e in rerun}
    assert rerun_seeds == set(range(1, 11)) - seeds_done
    assert len(df) == 10 and df["key"].is_unique and list(df["run.seed"]) == list(range(1, 11))
    assert set(df.loc[df["cached"], "key"]) == done
    assert _finished(points) == set(df["key"])  # nothing lost, nothing duplicated
    assert len(os.listdir(points)) == 10
    assert not os.listdir(cache / "tmp")  # the killed sweep's leftovers are gone
    assert df["calls"].gt(0).all()


def test_progress_bar_when_asked(tmp_path, capsys):
    quiesce.sweep(base_dict(), {"machine.cpus": [1, 2]}, cache_dir=tmp_path / "c", progress=True)
    err = capsys.readouterr().err
    assert "quiesce sweep" in err and "2/2" in err


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIESCE_CACHE_DIR", str(tmp_path / "qc"))
    assert sweep_mod.default_cache_dir() == tmp_path / "qc"
    monkeypatch.delenv("QUIESCE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sweep_mod.default_cache_dir() == tmp_path / "xdg" / "quiesce"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sweep_mod.default_cache_dir() == tmp_path / "home" / ".cache" / "quiesce"
