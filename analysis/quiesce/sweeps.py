"""quiesce.sweep: a sweep of runs in parallel child processes, cached on disk so that a killed sweep
resumes where it stopped. The points are a cartesian product (grid=), lists varying together
(zip=), explicit points (points=), or a product of these; each point runs once, or once per
replicate seed (seeds=), and every (point, seed) is cached on its own.

The cache (cache_dir, default $QUIESCE_CACHE_DIR, else $XDG_CACHE_HOME/quiesce, else
~/.cache/quiesce) holds:

  points/KEY/      one finished point: the results directory of its run plus point.json (its
                   overrides, seed and headline metrics). KEY is a hash of everything that
                   determines the run: the base scenario's content, the point's --set strings, the
                   seed (each replicate seed of a point is its own entry), the guest ELF it names
                   (if any) and the simulator (its version and the sha256 of its binary or
                   extension module).
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
from ._errors import QuiesceError, RunInterrupted
from .results import HEADLINE_COLUMNS, check_complete, event_columns, headline
from .runner import dump_scenario, render_sets, resolve_scenario

__all__ = ["sweep", "default_cache_dir", "point_key", "expand_points"]

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
    """A cached point is complete when its point file is there and its results directory is complete
    (the simulator's manifest matches its files: quiesce.results.check_complete)."""
    return os.path.isfile(os.path.join(d, POINT_FILE)) and check_complete(d) is None


def _read_point(d):
    with open(os.path.join(d, POINT_FILE)) as f:
        p = json.load(f)
    if p.get("format") != CACHE_FORMAT or set(p.get("metrics", {})) != _metric_names(p.get("metrics", {})):
        p["metrics"] = headline(d)  # written by another version of this package: recompute (no rerun)
    return p


def _metric_names(metrics):
    """The headline columns a run's metrics must have: HEADLINE_COLUMNS and its events' columns."""
    n = metrics.get("event_count")
    return set(HEADLINE_COLUMNS) | set(event_columns(n if isinstance(n, int) and n >= 0 else 0))


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
        # The simulator stages a point's results next to it as .NAME.tmp-XXXXXX (and .NAME.tmp-XXXXXX.old
        # where it cannot exchange directories): the same owner as NAME.
        base = name
        if base.startswith(".") and ".tmp-" in base:
            base = base[1:base.rindex(".tmp-")]
        parts = base.split(".")
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
        sim = _worker_simulator(task)
        try:
            _backend.run_child(task["scenario"], task["sets"], task["seed"], work, timeout=task["timeout"], sim=sim,
                               group=task.get("group"))
        except RunInterrupted:
            # A deadlock or a swap past hotswap.timeout_us is the point's outcome (deterministic): recorded,
            # with completed False and its stop_reason, when its results were written.
            if check_complete(work) is not None:
                raise
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
    if os.path.isdir(final) and not _complete(final):  # a damaged cached point (a file truncated, say): replaced
        aside = f"{work}.damaged"
        try:
            os.rename(final, aside)
            shutil.rmtree(aside, ignore_errors=True)
        except OSError:
            pass
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


def _worker_simulator(task):
    """The simulator the sweep chose (its identity is in the cache key), checked where the point runs:
    on a Dask worker of another machine, the same build must be at the same path (install it there
    with `make install`, or share the build directory)."""
    sim = _backend.Simulator(*task["simulator"])
    here = socket.gethostname()
    if not os.path.isfile(sim.path):
        raise QuiesceError(f"{here}: the sweep's simulator {sim.path} ({sim.kind}) is not on this machine; "
                           "install the same build at the same path on every worker (make install), or share it")
    if sim.kind == "core":
        mine = _backend.core_path()
        if mine is None or os.path.realpath(mine) != os.path.realpath(sim.path):
            raise QuiesceError(f"{here}: this worker's quiesce package ({_backend.PKG_DIR}) has the extension "
                               f"{mine}, not the sweep's {sim.path}; start the workers with the same package "
                               "(PYTHONPATH, or the same installation)")
    return sim


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


zip_ = zip  # the builtin, where a parameter named zip hides it


def _value_list(where, v):
    if isinstance(v, (str, bytes, Mapping)) or not hasattr(v, "__iter__"):
        raise TypeError(f"{where}: expected a list of values, got {type(v).__name__}")
    v = list(v)
    if not v:
        raise ValueError(f"{where}: no values")
    return v


def _grid_points(grid):
    """(keys, points) of the cartesian product of grid = {key: [values]} (the last key varies
    fastest); {} or None: one empty point."""
    if grid is None:
        grid = {}
    if not isinstance(grid, Mapping):
        raise TypeError("grid: expected a dict {key.path: [values...]}")
    keys = list(grid)
    values = [_value_list(f"grid[{k!r}]", grid[k]) for k in keys]
    return keys, [dict(zip(keys, combo)) for combo in itertools.product(*values)]


def _zip_points(zipped):
    """(keys, points) of zip = {key: [values]}: the i-th point takes every key's i-th value (the
    lists must have one length)."""
    if zipped is None:
        return [], [{}]
    if not isinstance(zipped, Mapping):
        raise TypeError("zip: expected a dict {key.path: [values...]} of lists of one length")
    keys = list(zipped)
    values = [_value_list(f"zip[{k!r}]", zipped[k]) for k in keys]
    lengths = {len(v) for v in values}
    if len(lengths) > 1:
        raise ValueError("zip: the lists must have one length, got "
                         + ", ".join(f"{k!r}: {len(v)}" for k, v in zip(keys, values)))
    return keys, [dict(zip(keys, combo)) for combo in zip(*values)] if keys else [{}]


def _explicit_points(points):
    """(keys in order of first appearance, points) of points = [{key: value}, ...]."""
    if points is None:
        return [], [{}]
    if isinstance(points, (str, bytes, Mapping)) or not hasattr(points, "__iter__"):
        raise TypeError("points: expected a list of dicts {key.path: value}")
    points = list(points)
    if not points:
        raise ValueError("points: no points")
    keys = {}
    for i, p in enumerate(points):
        if not isinstance(p, Mapping):
            raise TypeError(f"points[{i}]: expected a dict {{key.path: value}}, got {type(p).__name__}")
        keys.update(dict.fromkeys(p))
    return list(keys), [dict(p) for p in points]


def _seed_list(seeds):
    if seeds is None:
        return None
    if isinstance(seeds, bool):
        raise TypeError("seeds: expected a count or a list of seeds")
    if isinstance(seeds, int) or (hasattr(seeds, "__index__") and not hasattr(seeds, "__iter__")):
        n = int(seeds)
        if n < 1:
            raise ValueError(f"seeds: expected at least 1, got {n}")
        return list(range(1, n + 1))
    out = [int(s) for s in _value_list("seeds", seeds)]
    if len(set(out)) != len(out):
        raise ValueError(f"seeds: a seed is repeated in {out}")
    if any(s < 0 for s in out):
        raise ValueError(f"seeds: expected seeds >= 0, got {out}")
    return out


def expand_points(grid=None, zip=None, points=None):
    """(keys, points): the points a sweep runs, before seeds. The parts given combine as a product:
    for each combination of `grid` (cartesian, its last key varying fastest), for each row of `zip`
    (its lists taken together), for each of `points` (explicit dicts), one point holding the keys
    of all three. A key may appear in only one part. Nothing given: one empty point (the base)."""
    parts = [_grid_points(grid), _zip_points(zip), _explicit_points(points)]
    keys, seen = [], {}
    for name, (ks, _) in zip_(("grid", "zip", "points"), parts):
        for k in ks:
            if k in seen:
                raise ValueError(f"key {k!r} is in both {seen[k]} and {name}: give each key path in one of "
                                 "grid, zip and points")
            seen[k] = name
            keys.append(k)
    out = [{**g, **z, **p} for g in parts[0][1] for z in parts[1][1] for p in parts[2][1]]
    return keys, out


def sweep(base, grid=None, jobs=None, executor=None, cache_dir=None, seed=None, progress=None, timeout=None,
          errors="raise", *, seeds=None, zip=None, points=None):
    """Run `base` at every point of a sweep and return a pandas DataFrame, one row per point and
    seed, in sweep order.

    base      a scenario file (path) or a dict in the scenario format
    grid      {key.path: [values...]}: the cartesian product, e.g. {"events[0].strategy":
              ["k42_generation", "rwlock"], "machine.cpus": [1, 2, 4]} (6 points, the last key
              varying fastest); each point runs with --set key.path=value for its values
    zip       {key.path: [values...]} with lists of one length, varying together: {"machine.cpus":
              [1, 2, 4], "workloads.w.threads": [2, 4, 8]} is 3 points, (1, 2), (2, 4), (4, 8)
    points    an explicit list of points, [{"machine.cpus": 1}, {"machine.cpus": 8,
              "workloads.w.threads": 16}]; a point may leave out keys others set (its column is
              then NaN and the base scenario's value is used)
              grid, zip and points combine as a product: for each grid combination, for each zip
              row, for each explicit point (see expand_points). A key path may be in one of them
              only. None of them: one point, the base scenario.
    seeds     replicate seeds: a count n (seeds 1..n) or a list of seeds. Every point runs once per
              seed, with run.seed = that seed (--seed), the seed innermost; a "seed" column says
              which. Each (point, seed) is cached on its own. None: one run per point, without a
              seed column.
    seed      --seed for every run (None: the scenario's run.seed); not with seeds
    jobs      simulations at once when quiesce makes the executor (default os.cpu_count()); each
              runs in its own child process
    executor  any concurrent.futures-style executor (.submit(fn, arg) -> future with .result()):
              a ThreadPoolExecutor, a ProcessPoolExecutor, a dask.distributed Client (then
              cache_dir must be on a file system the workers share). jobs is ignored with one.
    cache_dir the cache directory (default: default_cache_dir()); False: no cache, every point
              runs in a fresh temporary directory
    progress  a tqdm progress bar: True, False, or None = when stderr is a terminal or in Jupyter
    timeout   per run, seconds (see quiesce.run)
    errors    "raise": on the first failed run, cancel the runs not started, let the running
              ones finish (and be cached), then raise its QuiesceError (e.point holds the point,
              e.seed its seed or None); "record": keep going, the row gets the message in an
              "error" column and NaN metrics

    Columns: the key paths (grid's, then zip's, then points'), "seed" (with seeds), the headline
    metrics (quiesce.results.headline) with every event's metrics (event0_us, event0_completed,
    event1_violations...: event{i}_METRIC for each event i of the run with the most events, NaN in
    a row whose run has fewer), "out" (the run's results directory), "key" (its cache
    key) and "cached" (True when it was not run by this call: found in the cache). The
    DataFrame's attrs["quiesce_params"] lists the key paths and attrs["quiesce_seed"] the seed
    column (None without seeds): quiesce.aggregate groups by the former and averages over the
    latter.
    """
    import pandas as pd

    if errors not in ("raise", "record"):
        raise ValueError("errors: expected 'raise' or 'record'")
    keys, points = expand_points(grid, zip, points)
    seeds = _seed_list(seeds)
    if seeds is not None:
        if seed is not None:
            raise ValueError("seed and seeds: give one (seeds=[...] runs each point once per seed)")
        for k in keys:
            if k in ("seed", "run.seed") or k == "run" or k.startswith("run.seed"):
                raise ValueError(f"key {k!r} sets the seed, and so does seeds=: give one")
    seed = None if seed is None else int(seed)
    runs = [(p, s) for p in points for s in (seeds if seeds is not None else [seed])]

    sim = _backend.simulator()
    ident = _backend.identity(sim)
    use_cache = cache_dir is not False
    root = Path(cache_dir).expanduser().resolve() if use_cache and cache_dir is not None else \
        (default_cache_dir().resolve() if use_cache else None)

    # The base scenario: a file is run where it is; a dict is written once (content-addressed).
    if isinstance(base, (str, os.PathLike)):
        base_path = resolve_scenario(base)
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

    def head(i):  # a row's parameters: the point's key paths, then its seed
        point, s = runs[i]
        return dict(point, seed=s) if seeds is not None else dict(point)

    rows = [None] * len(runs)
    group = uuid.uuid4().hex  # this sweep's children, killed if it is interrupted
    tasks = {}          # key -> task
    waiting = {}        # key -> indices of the runs that share it
    for i, (point, run_seed) in enumerate(runs):
        sets = render_sets(point)
        key = point_key(base_digest, sets, run_seed, ident, _guest_elf_digest(base_doc, base_dir, point))
        final = str(root / "points" / key) if use_cache else None
        if use_cache and _complete(final):
            rows[i] = dict(head(i), **_read_point(final)["metrics"], out=final, key=key, cached=True)
            continue
        if key not in tasks:
            tasks[key] = dict(key=key, scenario=base_path, sets=sets, seed=run_seed, timeout=timeout, final=final,
                              tmp_dir=str(root / "tmp") if use_cache else None, simulator=tuple(sim), group=group,
                              identity=ident, params={k: _jsonable(v) for k, v in point.items()})
            waiting[key] = []
        waiting[key].append(i)

    bar = _progress_bar(progress, len(runs), len(runs) - sum(len(v) for v in waiting.values()))
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
                    e.point, e.seed = dict(runs[idx[0]][0]), runs[idx[0]][1]
                    if errors == "raise":
                        if first_error is None:
                            first_error = e
                            _cancel(futures.values())
                        continue
                    for i in idx:
                        rows[i] = dict(head(i), out=None, key=key, cached=False, error=str(e))
                else:
                    for i in idx:
                        rows[i] = dict(head(i), **res["metrics"], out=res["out"], key=key,
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
    params = keys + (["seed"] if seeds is not None else [])
    n = max((r["event_count"] for r in rows if r is not None and isinstance(r.get("event_count"), int)), default=0)
    metrics = HEADLINE_COLUMNS + event_columns(n)  # every event of the run with the most
    columns = params + [c for c in metrics if c not in params] + ["out", "key", "cached"]
    if any(r is not None and "error" in r for r in rows):
        columns.append("error")
    df = pd.DataFrame([r for r in rows], columns=columns)
    df.attrs["quiesce_params"] = list(keys)
    df.attrs["quiesce_seed"] = "seed" if seeds is not None else None
    return df


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
