"""Which simulator runs a scenario, and running it in a child process.

The parent never imports `quiesce._core`: SystemC can elaborate only once per process, so every
run is a child process: `python -m quiesce._child SPEC`, which calls `_core.run` (the compiled
extension), or the `quiesce` CLI itself. Both report the same way: the child's exit code is the
CLI's, and its stderr is the CLI's message.

Choosing the simulator (`simulator()`):

1. `QUIESCE_BACKEND=core` or `QUIESCE_BACKEND=cli` forces one;
2. else `QUIESCE_BIN=/path/to/quiesce` selects the CLI at that path;
3. else the extension `quiesce._core` when it is installed next to this package;
4. else the CLI: installed (`make install`), the one in the prefix's bin/ (`_paths.BIN`); else
   `../../quiesce` from this package (build/python/quiesce -> build/quiesce),
   `../../build/quiesce` (analysis/quiesce -> build/quiesce), or `quiesce` on PATH.

The shipped files (scenarios/, notebooks) are found the same way (`data_dir()`): installed, in
PREFIX/share/quiesce (`_paths.DATA`); in the build's copy, the source tree it was built from
(`_paths.DATA` too); in the source tree, the repository around analysis/.

The quiescence strategies (`strategies()`) are what that simulator's CLI lists with `quiesce
strategies --json`; with the extension, the CLI found as in 4 (built with it) is asked.
"""
import copy
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import namedtuple

from ._child import cli_args
from ._errors import QuiesceError, RunTimeout, SimulatorCrash, error_for_exit, _tail

PKG_DIR = os.path.dirname(os.path.abspath(__file__))
PKG_PARENT = os.path.dirname(PKG_DIR)

Simulator = namedtuple("Simulator", "kind path")  # kind: "core" or "cli"; path: the .so or the binary


def core_path():
    """The file of the compiled extension quiesce._core, without importing it; None if absent."""
    try:
        spec = importlib.util.find_spec(__package__ + "._core")
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None and spec.origin else None


def _installed(name):
    """_paths.BIN or _paths.DATA as an absolute path (relative to this package), or None: _paths.py is
    written by the build (build/python/quiesce) and by `make install`, not kept in the source tree."""
    try:
        from . import _paths
    except ImportError:
        return None
    p = getattr(_paths, name, None)
    return os.path.normpath(os.path.join(PKG_DIR, p)) if p else None


def data_dir():
    """The directory holding scenarios/ (and notebooks/ when installed): PREFIX/share/quiesce for
    an installed package, the source tree for the build's copy and for analysis/; None if unknown."""
    for d in (_installed("DATA"), os.path.normpath(os.path.join(PKG_PARENT, ".."))):
        if d and os.path.isdir(os.path.join(d, "scenarios")):
            return d
    return None


def _find_cli():
    installed = _installed("BIN")
    if installed and os.path.isfile(installed) and os.access(installed, os.X_OK):
        return installed
    for p in (os.path.join(PKG_PARENT, "..", "quiesce"),            # build/python/quiesce -> build/quiesce
              os.path.join(PKG_PARENT, "..", "build", "quiesce")):  # analysis/quiesce -> build/quiesce
        p = os.path.normpath(p)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return shutil.which("quiesce")


def simulator():
    """The Simulator that runs scenarios now (see the module's docstring for the order)."""
    forced = os.environ.get("QUIESCE_BACKEND", "").strip().lower()
    if forced not in ("", "core", "cli"):
        raise QuiesceError(f"QUIESCE_BACKEND={forced!r}: expected 'core' or 'cli'")
    if forced == "core":
        p = core_path()
        if p is None:
            raise QuiesceError("QUIESCE_BACKEND=core but the extension quiesce._core is not installed "
                               f"next to {PKG_DIR}")
        return Simulator("core", p)
    binary = os.environ.get("QUIESCE_BIN")
    if forced == "cli" or binary:
        binary = binary or _find_cli()
        if not binary:
            raise QuiesceError("no quiesce CLI: set QUIESCE_BIN to the binary (build/quiesce)")
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise QuiesceError(f"QUIESCE_BIN={binary}: not an executable file")
        return Simulator("cli", os.path.abspath(binary))
    p = core_path()
    if p is not None:
        return Simulator("core", p)
    binary = _find_cli()
    if binary:
        return Simulator("cli", os.path.abspath(binary))
    raise QuiesceError("no simulator: neither the extension quiesce._core nor a quiesce CLI was found; "
                       "build the project (PYTHONPATH=build/python) or set QUIESCE_BIN=build/quiesce")


def child_env():
    """The environment of a child: this package importable, SystemC's banner off."""
    env = dict(os.environ)
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = PKG_PARENT + (os.pathsep + pp if pp else "")
    env.setdefault("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1")
    return env


# Linux: the CLI is started through util-linux's setpriv, which sets PR_SET_PDEATHSIG and execs it,
# so a simulation dies with the process (thread) that started it: a killed sweep leaves none running.
_SETPRIV = shutil.which("setpriv") if sys.platform.startswith("linux") else None
_DIE_WITH_PARENT = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []

# Live children by group (a sweep kills its own when it is interrupted).
_LIVE = {}
_LIVE_LOCK = threading.Lock()


def kill_group(group):
    """Kill the children run_child started with this group that are still running."""
    with _LIVE_LOCK:
        procs = list(_LIVE.get(group, ()))
    for p in procs:
        try:
            p.kill()
        except OSError:
            pass


def _log_run(pid, sim, scenario, sets, seed, out):
    """QUIESCE_RUN_LOG=FILE: one JSON line per simulation started (counts runs, e.g. for a sweep's
    cache), with the child's pid."""
    path = os.environ.get("QUIESCE_RUN_LOG")
    if not path:
        return
    line = json.dumps(dict(pid=pid, kind=sim.kind, scenario=scenario, sets=list(sets), seed=seed, out=out,
                           parent=os.getpid())) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def run_child(scenario, sets, seed, out, timeout=None, sim=None, group=None, trace_out=None):
    """Run one simulation in a child process; return None, or raise the QuiesceError matching
    the child's exit (ScenarioError, GuestFault, InvariantViolation, SimulatorCrash, RunTimeout).

    The CLI is started directly; the extension through `python -m quiesce._child`, which also
    serves the test hook QUIESCE_TEST_CHILD_SIGNAL (see quiesce._child) for either backend."""
    sim = sim or simulator()
    sets = list(sets)
    if sim.kind == "core" or os.environ.get("QUIESCE_TEST_CHILD_SIGNAL"):
        spec = dict(kind=sim.kind, bin=sim.path, scenario=scenario, sets=sets, seed=seed, out=out,
                    ppid=os.getpid(), trace_out=trace_out)
        cmd = [sys.executable, "-m", __package__ + "._child", json.dumps(spec)]
    else:
        cmd = _DIE_WITH_PARENT + [sim.path] + cli_args(scenario, sets, seed, out, trace_out)
    info = dict(scenario=scenario, sets=sets, out=out)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=child_env())
    if group is not None:
        with _LIVE_LOCK:
            _LIVE.setdefault(group, set()).add(proc)
    try:
        _log_run(proc.pid, sim, scenario, sets, seed, out)
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        err = err.decode("utf-8", "replace")
        raise RunTimeout(f"simulation timed out after {timeout} s; the child (pid {proc.pid}) was killed"
                         + (":\n" + _tail(err) if err.strip() else ""),
                         timeout=timeout, stderr=err, **info) from None
    except BaseException:  # KeyboardInterrupt and the like: never leave a simulation behind
        proc.kill()
        proc.wait()
        raise
    finally:
        if group is not None:
            with _LIVE_LOCK:
                g = _LIVE.get(group)
                if g is not None:
                    g.discard(proc)
                    if not g:
                        del _LIVE[group]
    err = err.decode("utf-8", "replace")
    exc = error_for_exit(proc.returncode, err, **info)
    if exc is not None:
        raise exc
    if not os.path.isfile(os.path.join(out, "summary.json")):
        raise SimulatorCrash(f"simulator exited with 0 but wrote no {os.path.join(out, 'summary.json')}"
                             + (":\n" + _tail(err) if err.strip() else ""), exit_code=0, stderr=err, **info)


# --- identity of the simulator, for the sweep cache ------------------------------------------------

_IDENTITIES = {}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _version(sim):
    env = child_env()
    if sim.kind == "core":
        p = subprocess.run([sys.executable, "-c", f"from {__package__} import _core; print(_core.version())"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120)
        if p.returncode != 0:
            raise SimulatorCrash(f"{__package__}._core.version() failed (exit {p.returncode}):\n{_tail(p.stderr)}",
                                 exit_code=p.returncode, stderr=p.stderr)
        return p.stdout.strip()
    p = subprocess.run([sim.path, "--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=env, timeout=60)
    if p.returncode == 0 and p.stdout.strip():
        return p.stdout.strip().splitlines()[0]
    # No --version: the version a (1 us, 1 CPU) run of the empty scenario writes in summary.json.
    with tempfile.TemporaryDirectory(prefix="quiesce-version-") as d:
        scen = os.path.join(d, "empty.yaml")
        with open(scen, "w") as f:
            f.write("{}\n")
        out = os.path.join(d, "out")
        p = subprocess.run([sim.path] + cli_args(scen, ["run.duration_us=1"], None, out),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120)
        if p.returncode != 0:
            raise error_for_exit(p.returncode, p.stderr) or QuiesceError("cannot read the simulator's version")
        with open(os.path.join(out, "summary.json")) as f:
            return json.load(f)["quiesce_version"]


def identity(sim=None):
    """{"kind", "version", "build"}: the simulator's version and the sha256 of its binary (the CLI or
    the extension module), so that a rebuilt simulator never reuses cached results. Computed once per
    file (path, size and modification time) and process."""
    sim = sim or simulator()
    st = os.stat(sim.path)
    k = (sim.kind, sim.path, st.st_size, st.st_mtime_ns)
    if k not in _IDENTITIES:
        _IDENTITIES[k] = dict(kind=sim.kind, version=_version(sim), build=sha256_file(sim.path))
    return dict(_IDENTITIES[k])


# --- the quiescence strategies ---------------------------------------------------------------------

_STRATEGIES = {}
_STRATEGIES_LOCK = threading.Lock()


def strategies_binary(sim=None):
    """The CLI asked for the strategies: the simulator itself when it is the CLI; with the extension,
    the CLI found next to this package (the same build), else QuiesceError."""
    sim = sim or simulator()
    if sim.kind == "cli":
        return sim.path
    binary = _find_cli()
    if not binary:
        raise QuiesceError("the simulator is the extension quiesce._core, and no quiesce CLI was found to list the "
                           "strategies: set QUIESCE_BIN to the binary (build/quiesce)")
    return os.path.abspath(binary)


def strategies(sim=None):
    """The quiescence strategies the simulator has, in its registry's order: the list of
    `quiesce strategies --json` (one dict per strategy: name, summary, safe, safety, fast_path,
    waits_for, phases, constraints, test_only, params). Asked once per binary and process; each
    call returns a fresh copy."""
    binary = strategies_binary(sim)
    with _STRATEGIES_LOCK:
        if binary not in _STRATEGIES:
            try:
                p = subprocess.run([binary, "strategies", "--json"], stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, env=child_env(), timeout=120)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise QuiesceError(f"{binary} strategies --json: {e}") from None
            if p.returncode != 0:
                raise QuiesceError(f"{binary} strategies --json exited {p.returncode} (a binary too old to list its "
                                   f"strategies?)" + (":\n" + _tail(p.stderr) if p.stderr.strip() else ""),
                                   exit_code=p.returncode, stderr=p.stderr)
            try:
                _STRATEGIES[binary] = json.loads(p.stdout)["strategies"]
            except (ValueError, KeyError) as e:
                raise QuiesceError(f"{binary} strategies --json: unreadable output ({e})") from None
        return copy.deepcopy(_STRATEGIES[binary])
