"""quiesce from Python: run scenarios, sweep grids of them, load and plot results.

    import quiesce
    r = quiesce.run("scenarios/k42-swap.yaml", set={"machine.cpus": 4}, seed=7)
    r.summary["swaps"][0]["cycles"], r.calls.head(), r.phases
    df = quiesce.sweep("scenarios/compare/base.yaml",
                       {"events[0].strategy": ["k42_generation", "rwlock"], "machine.cpus": [1, 2, 4]},
                       seeds=5)                      # also zip={...} and points=[{...}, ...]
    quiesce.aggregate(df)         # per point: n, mean, median, std, 95% t interval of the mean
    from quiesce import plot; plot.strategy_comparison(df)   # means with their intervals
    [s["name"] for s in quiesce.strategies()]   # the simulator's strategies, in registry order

Every simulation runs in a child process (SystemC elaborates once per process): through the
compiled extension quiesce._core when it is installed next to this package, else through the
`quiesce` CLI (QUIESCE_BIN, see quiesce._backend). Errors come back as exceptions carrying the
CLI's message: ScenarioError (exit 2), GuestFault (3), InvariantViolation (5), SimulatorCrash (a
signal or any other exit), RunTimeout; all derive from QuiesceError.

This module imports neither pandas nor matplotlib (the child processes import it too); the
DataFrames and quiesce.plot load them on first use.
"""
from ._errors import (GuestFault, IncompleteResults, InvariantViolation, QuiesceError, RunInterrupted, RunTimeout,
                      ScenarioError, SimulatorCrash)

__all__ = ["run", "load", "sweep", "aggregate", "Result", "QuiesceError", "ScenarioError", "GuestFault",
           "InvariantViolation", "SimulatorCrash", "RunTimeout", "RunInterrupted", "IncompleteResults",
           "default_cache_dir", "simulator", "version", "strategies", "plot", "data_dir", "scenario"]

# Loaded on first use (PEP 562), so that a child process importing quiesce._child starts fast.
_LAZY = {"run": ".runner", "load": ".results", "Result": ".results", "sweep": ".sweeps", "aggregate": ".stats",
         "default_cache_dir": ".sweeps", "plot": None}


def simulator():
    """("core" or "cli", path): the simulator runs would use now."""
    from . import _backend
    return tuple(_backend.simulator())


def version():
    """The simulator's version (asked of a child process, never of this one)."""
    from . import _backend
    return _backend.identity()["version"]


def data_dir():
    """The directory of the shipped files, as a pathlib.Path: `scenarios/` (and `notebooks/` when
    installed). PREFIX/share/quiesce for an installed package (`make install`), the source tree for
    the build's copy and for analysis/. Raises QuiesceError when there is none."""
    from pathlib import Path
    from . import _backend
    d = _backend.data_dir()
    if d is None:
        raise QuiesceError(f"no shipped scenarios found for the quiesce package in {_backend.PKG_DIR} "
                           "(install it with `make install`, or use the build's copy, build/python)")
    return Path(d)


def scenario(name):
    """A shipped scenario's path: scenario("k42-swap.yaml") or scenario("compare/base.yaml") (a
    leading "scenarios/" is allowed), in data_dir()/scenarios. Raises FileNotFoundError naming the
    scenarios there when there is no such file."""
    import os
    rel = os.fspath(name)
    if rel.startswith("scenarios" + os.sep):
        rel = rel[len("scenarios") + 1:]
    root = data_dir() / "scenarios"
    p = root / rel
    if not p.is_file():
        have = sorted(str(q.relative_to(root)) for q in root.rglob("*.yaml"))
        raise FileNotFoundError(f"no scenario {name!r} in {root} (it has: {', '.join(have)})")
    return p


def strategies():
    """The quiescence strategies of the simulator, in its registry's order: `quiesce strategies
    --json`'s list, one dict per strategy (name, summary, safe, safety, fast_path, waits_for,
    phases, constraints, test_only, params). Asked of the CLI once per process (see
    quiesce._backend.strategies)."""
    from . import _backend
    return _backend.strategies()


def __getattr__(name):
    if name in _LAZY:
        import importlib
        if name == "plot":  # imports matplotlib
            return importlib.import_module(".plot", __name__)
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
