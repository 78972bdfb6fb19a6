"""quiesce.sweep: a grid of runs in parallel child processes, cached on disk so that a killed sweep
resumes where it stopped.

The cache (cache_dir, default $QUIESCE_CACHE_DIR, else $XDG_CACHE_HOME/quiesce, else
~/.cache/quiesce) holds:

  points/KEY/      one finished point: the results directory of its run plus point.json (its
                   overrides, seed and headline metrics). KEY is a hash of everything that
                   determines the run: the base scenario's content, the point's --set strings, the
                   seed, the guest ELF it names (if any) and the simulator (its version and the
                   sha256 of its binary or extension module).
  tmp/KEY.HOST.PID.RAND/
                   a point being computed. The run writes here; when it has finished and
                   point.json is written, the directory is renamed to points/KEY (os.rename, atomic).
                   Only points/KEY directories with a point.json count as finished, so a sweep
                   killed at any moment loses at most the points that were running, and never
                   leaves a partial point that looks finished. Leftovers of dead processes on this
                   host are removed by the next sweep.
  scenarios/DIGEST.yaml
                   a base scenario given as a dict, written once and run from there (error
                   messages name this file).
"""
import errno
import hashlib
import itertools
import json
import os
import queue
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import yaml

from . import _backend
from ._errors import QuiesceError
from .results import HEADLINE_COLUMNS, headline
from .runner import dump_scenario, render_sets

__all__ = ["sweep", "default_cache_dir", "point_key"]

# Bumped when the meaning of a cached point changes (its layout or its metrics).
CACHE_FORMAT = 1
POINT_FILE = "point.json"


def default_cache_dir():
    """$QUIESCE_CACHE_DIR, else $XDG_CACHE_HOME/quiesce, else ~/.cache/quiesce."""
    if os.environ.get("QUIESCE_CACHE_DIR"):
        return Path(os.environ["QUIESCE_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "quiesce"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _is_prefix_path(a, b):
    return b.startswith(a) and len(b) > len(a) and b[len(a)] in ".["


def _key_sets(sets):
    """The overrides as they count for the cache key: sorted when no key path is a prefix of
    another (their order cannot matter then), else in the order given (later ones win)."""
    keys = [s.split("=", 1)[0] for s in sets]
    if len(set(keys)) == len(keys) and not any(_is_prefix_path(a, b) for a in keys for b in keys):
        return sorted(sets)
    return list(sets)


def point_key(base_digest, sets, seed, simulator, elf_digest=None):
    """The cache key of one point (32 hex digits)."""
    material = dict(format=CACHE_FORMAT, base=base_digest, sets=_key_sets(sets),
                    seed=None if seed is None else int(seed), elf=elf_digest,
                    simulator=dict(version=simulator["version"], build=simulator["build"]))
    return _sha256(json.dumps(material, sort_keys=True).encode())[:32]


def _guest_elf_digest(base_doc, base_dir, point):
    """sha256 of the guest ELF a point's scenario names (os.guest_elf), None if none or missing:
    a rebuilt guest program must not reuse cached results."""
    elf, rel_to = None, base_dir
    if isinstance(base_doc, Mapping) and isinstance(base_doc.get("os"), Mapping):
        elf = base_doc["os"].get("guest_elf")
    for k, v in point.items():
        if k == "os.guest_elf":
            elf, rel_to = v, os.getcwd()
        elif k == "os" and isinstance(v, Mapping) and "guest_elf" in v:
            elf, rel_to = v["guest_elf"], os.getcwd()
    if not elf or not isinstance(elf, (str, os.PathLike)):
        return None
    p = os.path.join(rel_to, os.fspath(elf))
    return _backend.sha256_file(p) if os.path.isfile(p) else None


def _complete(d):
    return os.path.isfile(os.path.join(d, POINT_FILE))


def _read_point(d):
    with open(os.path.join(d, POINT_FILE)) as f:
        p = json.load(f)
    if p.get("format") != CACHE_FORMAT or set(p.get("metrics", {})) != set(HEADLINE_COLUMNS):
        p["metrics"] = headline(d)  # written by another version of this package: recompute (no rerun)
    return p


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_tmp(tmp_dir):
    """Remove the temporary point directories of dead processes of this host."""
    host = socket.gethostname()
    try:
        entries = os.listdir(tmp_dir)
    except FileNotFoundError:
        return
    for name in entries:
        parts = name.split(".")
        if len(parts) < 4:
            continue
        try:
            pid = int(parts[-2])
        except ValueError:
            continue
        if ".".join(parts[1:-2]) == host and not _pid_alive(pid):
            shutil.rmtree(os.path.join(tmp_dir, name), ignore_errors=True)


def _compute_point(task):
    """Run one point (in whatever process the executor chose) and return
    {"key", "out", "metrics", "cached"}. With a cache, the results are built in tmp/ and renamed
    into points/KEY once complete. Module-level and plain-data in and out, so that process pools
    and Dask can ship it."""
    final = task["final"]
    if final is not None and _complete(final):  # finished meanwhile by another sweep
        return dict(key=task["key"], out=final, metrics=_read_point(final)["metrics"], cached=True)
    if final is None:
        work = tempfile.mkdtemp(prefix="quiesce-point-")
    else:
        os.makedirs(task["tmp_dir"], exist_ok=True)
        work = os.path.join(task["tmp_dir"],
                            f"{task['key']}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        os.mkdir(work)
    try:
        sim = _backend.Simulator(*task["simulator"])
        _backend.run_child(task["scenario"], task["sets"], task["seed"], work, timeout=task["timeout"], sim=sim,
                           group=task.get("group"))
        metrics = headline(work)
        point = dict(format=CACHE_FORMAT, key=task["key"], sets=task["sets"], seed=task["seed"],
                     params=task["params"], metrics=metrics, simulator=task["identity"],
                     finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        with open(os.path.join(work, POINT_FILE), "w") as f:
            json.dump(point, f, indent=1, default=str)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        if final is not None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    if final is None:
        return dict(key=task["key"], out=work, metrics=metrics, cached=False)
    try:
        os.rename(work, final)
    except OSError as e:
        if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        shutil.rmtree(work, ignore_errors=True)  # another sweep finished the same point first
        if not _complete(final):
            raise
        return dict(key=task["key"], out=final, metrics=_read_point(final)["metrics"], cached=True)
    return dict(key=task["key"], out=final, metrics=metrics, cached=False)


def _in_jupyter():
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except Exception:
        return False
    return shell is not None and hasattr(shell, "kernel")


def _progress_bar(show, total, initial):
    if show is None:
        show = (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()) or _in_jupyter()
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, desc="quiesce sweep", unit="run", file=sys.stderr,
                dynamic_ncols=True)


def _grid_points(grid):
    if grid is None:
        grid = {}
    if not isinstance(grid, Mapping):
        raise TypeError("grid: expected a dict {key.path: [values...]}")
    keys = list(grid)
    values = []
    for k in keys:
        v = grid[k]
        if isinstance(v, (str, bytes, Mapping)) or not hasattr(v, "__iter__"):
            raise TypeError(f"grid[{k!r}]: expected a list of values, got {type(v).__name__}")
        v = list(v)
        if not v:
            raise ValueError(f"grid[{k!r}]: no values")
        values.append(v)
    return keys, [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def sweep(base, grid, jobs=None, executor=None, cache_dir=None, seed=None, progress=None, timeout=None,
          errors="raise"):
    """Run `base` at every point of the cartesian product of `grid` and return a pandas DataFrame,
    one row per point in grid order.

    base      a scenario file (path) or a dict in the scenario format
    grid      {key.path: [values...]}, e.g. {"events[0].strategy": ["k42_generation", "rwlock"],
              "machine.cpus": [1, 2, 4]}; each point runs with --set key.path=value for its values
    jobs      simulations at once when quiesce makes the executor (default os.cpu_count()); each
              runs in its own child process
    executor  any concurrent.futures-style executor (.submit(fn, arg) -> future with .result()):
              a ThreadPoolExecutor, a ProcessPoolExecutor, a dask.distributed Client (then
              cache_dir must be on a file system the workers share). jobs is ignored with one.
    cache_dir the cache directory (default: default_cache_dir()); False: no cache, every point
              runs in a fresh temporary directory
    seed      --seed for every run (None: the scenario's run.seed)
    progress  a tqdm progress bar: True, False, or None = when stderr is a terminal or in Jupyter
    timeout   per run, seconds (see quiesce.run)
    errors    "raise": on the first failed point, cancel the points not started, let the running
              ones finish (and be cached), then raise its QuiesceError (e.point holds the point);
              "record": keep going, the row gets the message in an "error" column and NaN metrics

    Columns: the grid's key paths, the headline metrics (quiesce.results.headline), "out" (the
    point's results directory), "key" (its cache key) and "cached" (True when it was not run by
    this call: found in the cache).
    """
    import pandas as pd

    if errors not in ("raise", "record"):
        raise ValueError("errors: expected 'raise' or 'record'")
    keys, points = _grid_points(grid)
    seed = None if seed is None else int(seed)

    sim = _backend.simulator()
    ident = _backend.identity(sim)
    use_cache = cache_dir is not False
    root = Path(cache_dir).expanduser().resolve() if use_cache and cache_dir is not None else \
        (default_cache_dir().resolve() if use_cache else None)

    # The base scenario: a file is run where it is; a dict is written once (content-addressed).
    if isinstance(base, (str, os.PathLike)):
        base_path = os.path.abspath(os.fspath(base))
        with open(base_path, "rb") as f:
            data = f.read()
        base_digest = _sha256(data)
        try:
            base_doc = yaml.safe_load(data)
        except yaml.YAMLError:
            base_doc = None  # the simulator reports it
        base_dir = os.path.dirname(base_path)
    else:
        text = dump_scenario(base)
        base_digest = _sha256(text.encode())
        base_doc = base
        sdir = (root / "scenarios") if use_cache else Path(tempfile.mkdtemp(prefix="quiesce-sweep-"))
        sdir.mkdir(parents=True, exist_ok=True)
        base_path = str(sdir / f"{base_digest[:32]}.yaml")
        if not os.path.isfile(base_path):
            tmp = f"{base_path}.tmp{os.getpid()}.{uuid.uuid4().hex[:8]}"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, base_path)
        base_dir = str(sdir)

    if use_cache:
        (root / "points").mkdir(parents=True, exist_ok=True)
        _clean_tmp(root / "tmp")

    rows = [None] * len(points)
    group = uuid.uuid4().hex  # this sweep's children, killed if it is interrupted
    tasks = {}          # key -> task
    waiting = {}        # key -> indices of the points that share it
    for i, point in enumerate(points):
        sets = render_sets(point)
        key = point_key(base_digest, sets, seed, ident, _guest_elf_digest(base_doc, base_dir, point))
        final = str(root / "points" / key) if use_cache else None
        if use_cache and _complete(final):
            rows[i] = dict(point, **_read_point(final)["metrics"], out=final, key=key, cached=True)
            continue
        if key not in tasks:
            tasks[key] = dict(key=key, scenario=base_path, sets=sets, seed=seed, timeout=timeout, final=final,
                              tmp_dir=str(root / "tmp") if use_cache else None, simulator=tuple(sim), group=group,
                              identity=ident, params={k: _jsonable(v) for k, v in point.items()})
            waiting[key] = []
        waiting[key].append(i)

    bar = _progress_bar(progress, len(points), len(points) - sum(len(v) for v in waiting.values()))
    own = executor is None and tasks
    if own:
        from concurrent.futures import ThreadPoolExecutor  # the runs themselves are child processes
        executor = ThreadPoolExecutor(max_workers=max(1, min(jobs or os.cpu_count() or 1, len(tasks))))
    done_q = queue.Queue()
    futures = {}
    first_error = None
    try:
        for key, task in tasks.items():
            fut = executor.submit(_compute_point, task)
            futures[key] = fut
            if hasattr(fut, "add_done_callback"):
                fut.add_done_callback(lambda f, key=key: done_q.put(key))
        pending = dict.fromkeys(futures)  # ordered: a future that can only .result() is waited on in turn
        while pending:
            try:
                keys_done = [done_q.get(timeout=0.2 if all(map(_can_poll, (futures[k] for k in pending))) else 0.01)]
            except queue.Empty:  # no callback (or one that does not fire, e.g. cancelled elsewhere): poll
                keys_done = [k for k in pending if _finished_future(futures[k])]
                if not keys_done:
                    keys_done = [k for k in pending if not _can_poll(futures[k])][:1]  # block on .result()
            for key in keys_done:
                if key not in pending:
                    continue
                del pending[key]
                fut = futures[key]
                idx = waiting[key]
                try:
                    if getattr(fut, "cancelled", lambda: False)():
                        continue
                    res = fut.result()
                except QuiesceError as e:
                    e.point = points[idx[0]]
                    if errors == "raise":
                        if first_error is None:
                            first_error = e
                            _cancel(futures.values())
                        continue
                    for i in idx:
                        rows[i] = dict(points[i], out=None, key=key, cached=False, error=str(e))
                else:
                    for i in idx:
                        rows[i] = dict(points[i], **res["metrics"], out=res["out"], key=key,
                                       cached=res["cached"])
                finally:
                    if bar is not None:
                        bar.update(len(idx))
    except BaseException:  # e.g. KeyboardInterrupt: cancel what has not started, kill what runs here
        _cancel(futures.values())
        _backend.kill_group(group)
        raise
    finally:
        if bar is not None:
            bar.close()
        if own:
            executor.shutdown(wait=True)
    if first_error is not None:
        raise first_error
    columns = keys + [c for c in HEADLINE_COLUMNS if c not in keys] + ["out", "key", "cached"]
    if any(r is not None and "error" in r for r in rows):
        columns.append("error")
    return pd.DataFrame([r for r in rows], columns=columns)


def _can_poll(fut):
    return hasattr(fut, "done")


def _finished_future(fut):
    if getattr(fut, "cancelled", lambda: False)():
        return True
    return _can_poll(fut) and fut.done()


def _cancel(futs):
    for f in futs:
        if hasattr(f, "cancel"):
            try:
                f.cancel()
            except Exception:
                pass


def _jsonable(v):
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        return repr(v)
