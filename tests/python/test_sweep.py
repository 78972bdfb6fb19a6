"""quiesce.sweep: the grid's product, zipped keys, explicit points, replicate seeds, headline
metrics, the on-disk cache per (point, seed) (a rerun recomputes nothing; a sweep killed with
SIGKILL resumes without recomputing or losing a run), executors, and quiesce.aggregate of a
seeded sweep."""
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
    # Ten replicate seeds of one point, one at a time; killed after three are cached.
    cache = tmp_path / "cache"
    points = cache / "points"
    grid = {"machine.cpus": [8], "run.duration_us": [4000]}
    script = ("import sys, quiesce\n"
              "quiesce.sweep(sys.argv[1], " + repr(grid) + ", seeds=10, jobs=1, cache_dir=sys.argv[2], progress=False)\n")
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
    seeds_done = {json.load(open(points / k / "point.json"))["seed"] for k in done}

    run_log.clear()
    df = quiesce.sweep(COMPARE_BASE, grid, seeds=10, jobs=2, cache_dir=cache, progress=False)
    rerun = run_log.entries()
    assert len(rerun) == 10 - len(done)  # the finished (point, seed) runs are not recomputed
    assert {e["seed"] for e in rerun} == set(range(1, 11)) - seeds_done
    assert len(df) == 10 and df["key"].is_unique and list(df["seed"]) == list(range(1, 11))
    assert set(df.loc[df["cached"], "key"]) == done
    assert _finished(points) == set(df["key"])  # nothing lost, nothing duplicated
    assert len(os.listdir(points)) == 10
    assert not os.listdir(cache / "tmp")  # the killed sweep's leftovers are gone
    assert df["calls"].gt(0).all()


# --- replicate seeds, zip and explicit points ------------------------------------------------------

def test_seeds_replicate_each_point_and_cache_each_seed(tmp_path, run_log):
    cache = tmp_path / "cache"
    grid = {"events[0].strategy": ["k42_generation", "percpu_refcount"]}
    df = quiesce.sweep(base_dict(), grid, seeds=3, cache_dir=cache, jobs=2, progress=False)
    assert list(df.columns[:2]) == ["events[0].strategy", "seed"]
    assert [tuple(r) for r in df[["events[0].strategy", "seed"]].itertuples(index=False)] == \
        [(s, n) for s in grid["events[0].strategy"] for n in (1, 2, 3)]
    assert df.attrs["quiesce_params"] == ["events[0].strategy"] and df.attrs["quiesce_seed"] == "seed"
    assert len(run_log) == 6 and sorted(e["seed"] for e in run_log.entries()) == [1, 1, 2, 2, 3, 3]
    assert df["key"].is_unique and not df["cached"].any()
    for row in df.itertuples(index=False):
        s = quiesce.load(row.out).summary
        assert s["seed"] == row.seed and s["scenario"]["run"]["seed"] == row.seed
    # The seeds are replicates: the same point, different random choices, different numbers.
    k42 = df[df["events[0].strategy"] == "k42_generation"]
    assert k42["swap_cycles"].nunique() > 1 or k42["calls"].nunique() > 1

    # Each (point, seed) is cached on its own: new seeds run alone, and seeds=[n] is the same run
    # as seed=n.
    run_log.clear()
    more = quiesce.sweep(base_dict(), grid, seeds=[2, 3, 4], cache_dir=cache, progress=False)
    assert [e["seed"] for e in run_log.entries()] == [4, 4]
    assert list(more["cached"]) == [True, True, False] * 2
    run_log.clear()
    one = quiesce.sweep(base_dict(), grid, seed=3, cache_dir=cache, progress=False)
    assert len(run_log) == 0 and one["cached"].all() and "seed" not in one.columns
    assert list(one["key"]) == list(df.loc[df["seed"] == 3, "key"])

    # A lost (point, seed) is recomputed alone; a dead sweep's partial run is cleaned up.
    import shutil
    lost = df["key"].iloc[1]
    shutil.rmtree(cache / "points" / lost)
    (cache / "tmp" / f"{lost}.{__import__('socket').gethostname()}.999999999.abcdef12").mkdir(parents=True)
    run_log.clear()
    again = quiesce.sweep(base_dict(), grid, seeds=3, cache_dir=cache, progress=False)
    assert [(e["seed"], e["sets"]) for e in run_log.entries()] == [(2, ["events[0].strategy=k42_generation"])]
    assert list(again["cached"]) == [True, False, True, True, True, True]
    assert not os.listdir(cache / "tmp")
    cols = [c for c in df.columns if c not in ("cached", "host_seconds")]
    assert again[cols].equals(df[cols])


def test_zip_varies_keys_together(tmp_path, run_log):
    df = quiesce.sweep(base_dict(), zip={"machine.cpus": [1, 2, 4], "workloads.clients.threads": [1, 2, 3]},
                       cache_dir=tmp_path / "c", progress=False)
    assert len(run_log) == 3
    assert [tuple(r) for r in df[["machine.cpus", "workloads.clients.threads"]].itertuples(index=False)] == \
        [(1, 1), (2, 2), (4, 3)]
    for row in df.itertuples(index=False):
        scen = quiesce.load(row.out).summary["scenario"]
        assert scen["machine"]["cpus"] == row[0] and scen["workloads"]["clients"]["threads"] == row[1]


def test_explicit_points_and_a_product_of_grid_zip_and_points(tmp_path, run_log):
    pts = [{"machine.cpus": 1}, {"machine.cpus": 2, "workloads.clients.threads": 3}]
    df = quiesce.sweep(base_dict(), points=pts, cache_dir=tmp_path / "c", progress=False)
    assert len(run_log) == 2 and list(df.columns[:2]) == ["machine.cpus", "workloads.clients.threads"]
    assert list(df["machine.cpus"]) == [1, 2]
    assert df["workloads.clients.threads"].isna().tolist() == [True, False]  # the base's value: not set
    threads = [quiesce.load(o).summary["scenario"]["workloads"]["clients"]["threads"] for o in df["out"]]
    assert threads == [2, 3]
    assert sorted(e["sets"] for e in run_log.entries()) == [["machine.cpus=1"],
                                                            ["machine.cpus=2", "workloads.clients.threads=3"]]

    # grid x zip x points, the grid outermost; with seeds innermost.
    keys, points = sweep_mod.expand_points({"a": [1, 2]}, {"b": [1, 2], "c": [3, 4]}, [{"d": 1}, {"e": 2}])
    assert keys == ["a", "b", "c", "d", "e"]
    assert points[:3] == [{"a": 1, "b": 1, "c": 3, "d": 1}, {"a": 1, "b": 1, "c": 3, "e": 2},
                          {"a": 1, "b": 2, "c": 4, "d": 1}]
    assert len(points) == 8 and points[-1] == {"a": 2, "b": 2, "c": 4, "e": 2}
    assert sweep_mod.expand_points() == ([], [{}])
    run_log.clear()
    both = quiesce.sweep(base_dict(), {"events[0].strategy": ["k42_generation", "percpu_refcount"]},
                         points=[{"machine.cpus": 1}, {"machine.cpus": 2}], seeds=[5, 6],
                         cache_dir=tmp_path / "c", progress=False)
    assert [tuple(r) for r in both[["events[0].strategy", "machine.cpus", "seed"]].itertuples(index=False)] == \
        [(s, c, n) for s in ("k42_generation", "percpu_refcount") for c in (1, 2) for n in (5, 6)]
    assert len(run_log) == 8


@pytest.mark.parametrize("kwargs, match", [
    (dict(zip={"machine.cpus": [1, 2], "run.duration_us": [150]}), "one length"),
    (dict(grid={"machine.cpus": [1]}, points=[{"machine.cpus": 2}]), "in both grid and points"),
    (dict(zip={"machine.cpus": [1]}, points=[{"machine.cpus": 2}]), "in both zip and points"),
    (dict(points=[]), "no points"),
    (dict(seeds=3, seed=1), "seed and seeds"),
    (dict(grid={"run.seed": [1, 2]}, seeds=2), "sets the seed"),
    (dict(seeds=0), "at least 1"),
    (dict(seeds=[1, 1]), "repeated"),
])
def test_sweep_shapes_that_are_refused(tmp_path, run_log, kwargs, match):
    with pytest.raises(ValueError, match=match):
        quiesce.sweep(base_dict(), cache_dir=tmp_path / "c", progress=False, **kwargs)
    assert len(run_log) == 0


def test_aggregate_of_a_seeded_sweep(tmp_path):
    df = quiesce.sweep(base_dict(), {"events[0].strategy": ["k42_generation", "percpu_refcount"]}, seeds=3,
                       cache_dir=tmp_path / "c", progress=False)
    a = quiesce.aggregate(df)  # by the sweep's parameters, over the seeds
    assert list(a["events[0].strategy"]) == ["k42_generation", "percpu_refcount"]
    assert list(a["n"]) == [3, 3] and list(a["n_incomplete"]) == [0, 0] and list(a["n_violating"]) == [0, 0]
    k42 = df[df["events[0].strategy"] == "k42_generation"]["swap_cycles"]
    assert a["swap_cycles_mean"].iloc[0] == pytest.approx(k42.mean())
    assert a["swap_cycles_std"].iloc[0] == pytest.approx(k42.std(ddof=1))
    assert "seed_mean" not in a.columns and "calls_per_ms_ci_low" in a.columns


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
