"""The exceptions a run raises. Each carries the text the `quiesce` CLI prints on stderr."""
import re
import signal as _signal

__all__ = ["QuiesceError", "ScenarioError", "GuestFault", "InvariantViolation", "SimulatorCrash",
           "RunTimeout", "RunInterrupted", "IncompleteResults", "error_for_exit"]

# How much of a crashed child's stderr an exception keeps (its tail).
STDERR_TAIL = 4000


class QuiesceError(Exception):
    """Base of every error a simulation run raises.

    str(e) (and e.message) is the message the CLI prints on stderr for the same run.
    e.exit_code is the child's exit code (negative: killed by that signal; None: no exit code,
    e.g. a timeout), e.stderr everything the child wrote on stderr, e.scenario/e.sets/e.out
    what was run.

    Every attribute but the message is keyword-only, so the exceptions pickle (they cross
    process boundaries when a sweep runs on a process pool or a Dask cluster).
    """

    def __init__(self, message, *, exit_code=None, stderr="", scenario=None, sets=None, out=None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.stderr = stderr
        self.scenario = scenario
        self.sets = list(sets) if sets is not None else None
        self.out = out

    def __str__(self):
        return self.message


class ScenarioError(QuiesceError):
    """Bad input (exit code 2): the scenario, an override, an unreadable ELF, guest memory for the
    OS structures exhausted, an unwritable results directory. When the message names a place,
    e.file, e.line and e.col hold it (else None)."""

    _PLACE = re.compile(r"^(?:quiesce: )?(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+): ")

    def __init__(self, message, **kw):
        super().__init__(message, **kw)
        m = self._PLACE.match(message)
        self.file = m.group("file") if m else None
        self.line = int(m.group("line")) if m else None
        self.col = int(m.group("col")) if m else None


class GuestFault(QuiesceError):
    """A guest fault (exit code 3); the message is the trap report."""


class InvariantViolation(QuiesceError):
    """A coherence invariant violation (exit code 5), with machine.check_invariants."""


class SimulatorCrash(QuiesceError):
    """The child died of a signal (e.signal holds its number) or exited with a code the CLI never
    uses, or exited 0 without writing its results. The message names what happened and ends with
    the tail of the child's stderr."""

    def __init__(self, message, *, signal=None, **kw):
        super().__init__(message, **kw)
        self.signal = signal


class RunTimeout(QuiesceError, TimeoutError):
    """The run exceeded its timeout; the child was killed. e.timeout is the limit in seconds."""

    def __init__(self, message, *, timeout=None, **kw):
        super().__init__(message, **kw)
        self.timeout = timeout


class RunInterrupted(QuiesceError):
    """The run stopped before its end (exit code 4): a deadlock, a swap past hotswap.timeout_us, or
    the CLI's --timeout. Its results so far are written (e.out): summary.json says "completed": false
    and why ("stopped"), and its rates are over the simulated time it reached."""


class IncompleteResults(QuiesceError, ValueError):
    """A results directory that is not complete: no manifest.json (the simulator writes it last),
    or files missing or of other sizes than it lists (a run killed while writing, a file changed)."""


_BY_CODE = {2: ScenarioError, 3: GuestFault, 4: RunInterrupted, 5: InvariantViolation}


def _tail(text, n=STDERR_TAIL):
    text = text.rstrip()
    return text if len(text) <= n else "..." + text[-n:]


def signal_name(num):
    try:
        return _signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def error_for_exit(exit_code, stderr, **kw):
    """The exception for a child that exited with `exit_code` (negative: killed by a signal) and
    wrote `stderr`; None for exit code 0."""
    if exit_code == 0:
        return None
    message = stderr.rstrip("\n")
    cls = _BY_CODE.get(exit_code)
    if cls is not None:
        return cls(message or f"quiesce exited with code {exit_code}", exit_code=exit_code,
                   stderr=stderr, **kw)
    if exit_code < 0:
        sig = -exit_code
        head = f"simulator killed by {signal_name(sig)} ({sig})"
        return SimulatorCrash(head + (":\n" + _tail(stderr) if stderr.strip() else ""),
                              signal=sig, exit_code=exit_code, stderr=stderr, **kw)
    head = f"simulator exited with unexpected code {exit_code}"
    return SimulatorCrash(head + (":\n" + _tail(stderr) if stderr.strip() else ""),
                          exit_code=exit_code, stderr=stderr, **kw)
