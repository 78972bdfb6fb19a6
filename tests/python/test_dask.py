"""quiesce.sweep on Dask (Debian's python3-distributed), the way past one machine:

- a LocalCluster with worker processes (not threads): every point computed once, in a worker, into
  the shared cache; a rerun computes nothing;
- a scheduler and two workers started as separate processes with the `dask scheduler` and
  `dask worker` commands, on localhost, one worker killed with SIGKILL while it runs a point: the
  sweep still returns every point, each point is in the cache once, and the only point run twice
  is the one the dead worker had started (its simulation died with it, and its leftover is not in
  the cache).

ctest runs this file on its own (label dask), not in the `python` test: tens of seconds."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import quiesce
from conftest import pid_alive, small_scenario, wait_gone

distributed = pytest.importorskip("distributed", reason="python3-distributed is not installed (scripts/install-deps)")
pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")

GRID = {"events[0].strategy": ["k42_generation", "percpu_refcount", "global_refcount"], "machine.cpus": [1, 2]}


def slow_base():
    """A point that takes about a second of host time, so that a worker can be killed in one."""
    return small_scenario(cpus=2, duration=100000, at_us=1500)


def cached_points(cache):
    d = cache / "points"
    return sorted(p.name for p in d.iterdir() if (p / "point.json").is_file()) if d.is_dir() else []


def check_sweep(df, cache):
    assert len(df) == 6 and df["key"].is_unique
    assert df["swap_completed"].all() and (df["calls"] > 0).all()
    assert [tuple(r) for r in df[["events[0].strategy", "machine.cpus"]].itertuples(index=False)] == \
        [(s, c) for s in GRID["events[0].strategy"] for c in GRID["machine.cpus"]]
    for row in df.itertuples(index=False):
        assert os.path.dirname(row.out) == str((cache / "points").resolve())
        r = quiesce.load(row.out)
        assert r.summary["swaps"][0]["strategy"] == row.swap_strategy == row[0]
        assert r.summary["scenario"]["machine"]["cpus"] == row[1]
    assert cached_points(cache) == sorted(df["key"])


def test_a_local_cluster_of_worker_processes(tmp_path, run_log):
    from distributed import Client, LocalCluster
    cache = tmp_path / "cache"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      local_directory=str(tmp_path / "dask"), silence_logs=40) as cluster, Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
        assert len(worker_pids) == 2 and os.getpid() not in worker_pids
        df = quiesce.sweep(small_scenario(cpus=1), GRID, executor=client, cache_dir=cache, progress=False)
        check_sweep(df, cache)
        assert not df["cached"].any()
        runs = run_log.entries()
        assert len(runs) == 6  # each point once
        assert {e["parent"] for e in runs} <= worker_pids  # run by the workers, not by this process
        run_log.clear()
        again = quiesce.sweep(small_scenario(cpus=1), GRID, executor=client, cache_dir=cache, progress=False)
        assert again["cached"].all() and len(run_log) == 0
        assert list(again["key"]) == list(df["key"])


def _dask_command():
    d = shutil.which("dask", path="/usr/bin") or shutil.which("dask")
    if d is None:
        pytest.skip("no `dask` command (python3-distributed)")
    return [d]


class Processes:
    """Processes started by a test, each killed (by its own pid) at the end."""

    def __init__(self, log_dir):
        self.procs = []
        self.log_dir = log_dir

    def start(self, name, cmd, env):
        log = open(self.log_dir / f"{name}.log", "w")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                             cwd=self.log_dir)
        log.close()
        self.procs.append(p)
        return p

    def log(self, name):
        return (self.log_dir / f"{name}.log").read_text()

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_a_scheduler_and_two_workers_one_killed_mid_sweep(tmp_path, run_log):
    from distributed import Client
    cache = tmp_path / "cache"  # the file system the workers share
    logs = tmp_path / "logs"
    logs.mkdir()
    sched_file = tmp_path / "scheduler.json"
    # The workers find the package and the simulator the way this process does (PYTHONPATH,
    # QUIESCE_BIN), and log their runs to the test's QUIESCE_RUN_LOG.
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    procs = Processes(logs)
    try:
        procs.start("scheduler", _dask_command() + ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                                    "--no-dashboard", "--scheduler-file", str(sched_file)], env)
        end = time.time() + 30
        while not sched_file.is_file() and time.time() < end:
            time.sleep(0.1)
        assert sched_file.is_file(), procs.log("scheduler")
        workers = [procs.start(f"worker{i}", _dask_command() + [
            "worker", "--scheduler-file", str(sched_file), "--nthreads", "1", "--no-nanny", "--name", f"w{i}",
            "--local-directory", str(tmp_path / f"w{i}"), "--death-timeout", "30", "--no-dashboard"], env)
            for i in (1, 2)]
        with Client(scheduler_file=str(sched_file), timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
            pids = client.run(os.getpid)
            assert sorted(pids.values()) == sorted(w.pid for w in workers)

            result = {}

            def sweep():
                try:
                    result["df"] = quiesce.sweep(slow_base(), GRID, executor=client, cache_dir=cache, progress=False)
                except BaseException as e:  # pragma: no cover - reported below
                    result["error"] = e

            t = threading.Thread(target=sweep)
            t.start()
            victim = workers[0]
            # Kill worker 1 as soon as it has a simulation running.
            end = time.time() + 30
            running = None
            while running is None and time.time() < end:
                running = next((e for e in run_log.entries() if e["parent"] == victim.pid and pid_alive(e["pid"])),
                               None)
                time.sleep(0.01)
            assert running is not None, "worker 1 never started a simulation"
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed_at = time.time()
            assert wait_gone([running["pid"]], timeout=10), "the dead worker's simulation outlived it"
            t.join(timeout=120)
            assert not t.is_alive(), "the sweep did not finish"
            assert "error" not in result, result.get("error")
            df = result["df"]
    finally:
        procs.stop()

    # No point lost: all six, complete and in the cache, each once.
    check_sweep(df, cache)
    assert not df["cached"].any()
    runs = run_log.entries()
    by_key = {}
    for e in runs:
        key = os.path.basename(e["out"]).split(".")[0]
        by_key.setdefault(key, []).append(e)
    assert sorted(by_key) == sorted(df["key"])
    # Run twice: only the point the dead worker was running, once by it (lost) and once by the survivor.
    twice = {k: v for k, v in by_key.items() if len(v) > 1}
    killed_key = os.path.basename(running["out"]).split(".")[0]
    assert set(twice) == {killed_key}
    assert [e["parent"] for e in by_key[killed_key]] == [victim.pid, workers[1].pid]
    assert [e["pid"] for e in runs if e["parent"] == victim.pid] == [running["pid"]]
    # The dead run's directory never became a point; what it left in tmp/ is removed by the next sweep,
    # which recomputes nothing.
    assert not os.path.exists(os.path.join(str(cache), "points", os.path.basename(running["out"])))
    run_log.clear()
    again = quiesce.sweep(slow_base(), GRID, cache_dir=cache, jobs=2, progress=False)
    assert again["cached"].all() and len(run_log) == 0
    assert list(again["key"]) == list(df["key"])
    assert not (cache / "tmp").is_dir() or not any(
        n.split(".")[-2] == str(victim.pid) for n in os.listdir(cache / "tmp"))
    assert time.time() - killed_at < 120
