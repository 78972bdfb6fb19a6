"""quiesce.run: one simulation, in a child process."""
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from . import _backend
from ._errors import RunInterrupted
from .results import Result, check_complete

__all__ = ["run", "render_sets", "render_value", "dump_scenario", "resolve_scenario", "SCENARIO_FILE"]

# Where a scenario given as a dict is written, inside the results directory.
SCENARIO_FILE = "scenario.yaml"


def _plain(v):
    """numpy scalars and arrays, tuples and other mappings as plain Python values for YAML."""
    if hasattr(v, "tolist") and type(v).__module__.split(".")[0] == "numpy":
        return _plain(v.tolist())
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    return v


def render_value(value):
    """An override's value as YAML flow text, as `--set KEY=VALUE` parses it: 4 -> '4',
    'rwlock' -> 'rwlock', 'true' (a string) -> "'true'", [0, 1] -> '[0, 1]',
    {'probability': 0.2} -> '{probability: 0.2}', float('inf') -> '.inf'."""
    text = yaml.safe_dump(_plain(value), default_flow_style=True, sort_keys=False, width=float("inf"),
                          allow_unicode=True).strip()
    if text.endswith("\n..."):  # the document end marker after a plain scalar
        text = text[:-4].rstrip()
    elif text == "...":
        text = ""
    if "\n" in text:
        raise ValueError(f"override value {value!r} does not fit on one line as YAML")
    return text


def render_sets(overrides):
    """--set strings from a dict {key.path: value} (values rendered with render_value), or a list of
    'key.path=value' strings given as they are. None gives []."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        out = []
        for k, v in overrides.items():
            if not isinstance(k, str) or not k or "=" in k:
                raise ValueError(f"override key {k!r}: expected a key path such as 'machine.cpus'")
            out.append(f"{k}={render_value(v)}")
        return out
    if isinstance(overrides, str):
        raise TypeError("set: expected a dict {key.path: value} or a list of 'key.path=value' strings")
    out = []
    for s in overrides:
        if not isinstance(s, str) or "=" not in s:
            raise ValueError(f"override {s!r}: expected 'key.path=value'")
        out.append(s)
    return out


def dump_scenario(scenario):
    """The YAML text quiesce writes for a scenario given as a dict (file order kept: the order of
    implementations and methods matters to the simulator)."""
    if not isinstance(scenario, Mapping):
        raise TypeError(f"scenario: expected a path or a dict, got {type(scenario).__name__}")
    return yaml.safe_dump(_plain(scenario), sort_keys=False, default_flow_style=False, allow_unicode=True,
                          width=100)


def resolve_scenario(path):
    """A scenario file's absolute path. A relative path that names no file here but a shipped
    scenario ("scenarios/k42-swap.yaml", "compare/base.yaml") is that scenario, so the examples
    work from any directory and from an installed package (quiesce.scenario)."""
    p = os.fspath(path)
    if os.path.exists(p) or os.path.isabs(p):
        return os.path.abspath(p)
    d = _backend.data_dir()
    if d is not None:
        rel = p[len("scenarios") + 1:] if p.startswith("scenarios" + os.sep) else p
        shipped = os.path.join(d, "scenarios", rel)
        if os.path.isfile(shipped):
            return shipped
    return os.path.abspath(p)  # the simulator reports the missing file


def scenario_path(scenario, out):
    """The file to run: a path as an absolute path (resolve_scenario); a dict written to
    OUT/scenario.yaml."""
    if isinstance(scenario, (str, os.PathLike)):
        return resolve_scenario(scenario)
    text = dump_scenario(scenario)
    path = os.path.join(out, SCENARIO_FILE)
    tmp = path + f".tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def run(scenario, set=None, seed=None, out=None, timeout=None, trace_out=None):
    """Run one simulation in a child process and return its Result.

    scenario  a scenario file (path) or a dict in the scenario format; a dict is written to
              OUT/scenario.yaml and run from there, so errors name that file:line:col, and relative
              paths in it (os.guest_elf) are relative to OUT.
    set       overrides, {"machine.cpus": 4, "events[0].strategy": "rwlock",
              "workloads.w.mix[0].object": "obj"}; each value is rendered as YAML flow text
              (render_value) and passed as --set KEY=VALUE, in order. A list of 'KEY=VALUE'
              strings is passed as it is.
    seed      run.seed for this run (--seed)
    out       the results directory (created if needed); default a fresh temporary directory
              (tempfile.mkdtemp(prefix="quiesce-")), which is kept
    timeout   seconds; past it the child is killed and RunTimeout is raised. None: no limit.
    trace_out also write the run's timeline there (`quiesce run --trace-out`: Chrome trace-event
              JSON, for Perfetto or chrome://tracing); a relative path is relative to the current
              directory. Result.trace is its path.

    Raises ScenarioError (exit 2), GuestFault (3), RunInterrupted (4: a deadlock or a swap past
    hotswap.timeout_us; e.result is the Result of what was simulated, completed False),
    InvariantViolation (5), SimulatorCrash (a signal or any other exit) or RunTimeout; each carries
    the message the CLI prints.
    """
    sets = render_sets(set)
    if out is None:
        out = tempfile.mkdtemp(prefix="quiesce-")
    else:
        out = os.path.abspath(os.fspath(out))
        os.makedirs(out, exist_ok=True)
    path = scenario_path(scenario, out)
    trace = None if trace_out is None else os.path.abspath(os.fspath(trace_out))
    try:
        _backend.run_child(path, sets, None if seed is None else int(seed), out, timeout=timeout, trace_out=trace)
    except RunInterrupted as e:
        e.result = Result(out) if check_complete(out) is None else None  # what was simulated, completed False
        raise
    r = Result(out)
    r.trace = None if trace is None else Path(trace)
    return r
