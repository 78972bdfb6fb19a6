"""The child process of one simulation: `python -m quiesce._child SPEC_JSON`.

SPEC is {"kind": "core"|"cli", "bin", "scenario", "sets", "seed", "out", "ppid", "trace_out"}. With "core" it
calls quiesce._core.run once, prints the message on stderr and exits with its exit code; with "cli"
it replaces itself (exec) with `BIN run SCENARIO -q -o OUT --set ... [--seed N]`. Either way the
parent sees the CLI's exit code and stderr. (quiesce._backend starts the CLI directly, and this
child for the extension, or for either when the test hook below is set.) On Linux the child dies
with its parent (PR_SET_PDEATHSIG), so a killed sweep leaves no extension run behind.

Environment hook (tests):
  QUIESCE_TEST_CHILD_SIGNAL=SIG   the child kills itself with SIG (a name such as SIGSEGV, or a
                                  number) instead of running, as a crashing simulator would.
"""
import json
import os
import signal
import sys


def cli_args(scenario, sets, seed, out, trace_out=None):
    """The arguments of `quiesce run` after the binary."""
    args = ["run", scenario, "-q", "-o", out]
    for s in sets:
        args += ["--set", s]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if trace_out:
        args += ["--trace-out", trace_out]
    return args


def _die_with_parent(ppid):
    """Linux: the child (and the simulator it execs) is killed when the parent dies, so a killed
    sweep leaves no simulation running. Best effort elsewhere."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if ppid and os.getppid() != ppid:  # the parent died before prctl
        os._exit(137)


def _test_signal(value):
    value = value.strip()
    sig = int(value) if value.isdigit() else getattr(signal, value if value.startswith("SIG") else "SIG" + value)
    try:
        signal.signal(sig, signal.SIG_DFL)
    except (OSError, ValueError):  # SIGKILL and SIGSTOP cannot be caught anyway
        pass
    os.kill(os.getpid(), sig)
    os._exit(70)  # the signal did not kill us


def main():
    spec = json.loads(sys.argv[1])
    _die_with_parent(spec.get("ppid"))
    if os.environ.get("QUIESCE_TEST_CHILD_SIGNAL"):
        _test_signal(os.environ["QUIESCE_TEST_CHILD_SIGNAL"])
    if spec["kind"] == "cli":
        args = cli_args(spec["scenario"], spec["sets"], spec["seed"], spec["out"], spec.get("trace_out"))
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execv(spec["bin"], [spec["bin"]] + args)  # does not return
        except OSError as e:
            sys.stderr.write(f"quiesce: cannot execute {spec['bin']}: {e.strerror}\n")
            sys.stderr.flush()
            os._exit(127)
    from . import _core  # only ever imported here, in a child
    if spec.get("trace_out"):
        code, message = _core.run(spec["scenario"], list(spec["sets"]), spec["seed"], spec["out"], spec["trace_out"])
    else:
        code, message = _core.run(spec["scenario"], list(spec["sets"]), spec["seed"], spec["out"])
    if message:
        sys.stderr.write(message)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))  # no interpreter teardown after SystemC: the results are already written


if __name__ == "__main__":
    main()
