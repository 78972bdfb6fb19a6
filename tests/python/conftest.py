"""Shared fixtures of the quiesce Python package's tests.

The package is found through PYTHONPATH, as users find it:
    PYTHONPATH=build/python QUIESCE_BIN=build/quiesce /usr/bin/python3 -m pytest tests/python
(or PYTHONPATH=analysis with QUIESCE_BIN set, to test the source tree through the CLI).
"""
import json
import os
import tempfile
import time

import pytest

try:
    import quiesce  # noqa: F401
except ImportError as e:  # pragma: no cover - a setup error, said plainly
    raise pytest.UsageError(f"cannot import quiesce ({e}): run with PYTHONPATH=build/python "
                            "(or PYTHONPATH=analysis and QUIESCE_BIN=build/quiesce)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = os.path.join(ROOT, "scenarios")
K42_SWAP = os.path.join(SCENARIOS, "k42-swap.yaml")
COMPARE_BASE = os.path.join(SCENARIOS, "compare", "base.yaml")
# k42-swap, smaller: 4 CPUs, 200 us (the swap is at 150 us). Well under a second.
K42_SMALL = {"machine.cpus": 4, "run.duration_us": 200}


def as_older_results(d, version="0.4.0"):
    """Make the results directory `d` look written by a simulator before manifests (0.5): no
    manifest.json, summary.json's quiesce_version `version` (quiesce.load accepts it without one)."""
    p = os.path.join(d, "summary.json")
    with open(p) as f:
        s = json.load(f)
    s["quiesce_version"] = version
    with open(p, "w") as f:
        json.dump(s, f, indent=2)
    m = os.path.join(d, "manifest.json")
    if os.path.exists(m):
        os.unlink(m)


def small_scenario(cpus=2, duration=160, strategy="k42_generation", at_us=100):
    """A small scenario as a dict: one shared object called by closed-loop clients on every CPU,
    swapped at `at_us`."""
    method = {"instructions": 30, "mix": {"alu": 3, "load": 2, "branch": 1}, "state_reads": 1}
    impl = lambda version: {"class": "Obj", "version": version, "root": "shared", "state_bytes": 256,
                            "shared_state_bytes": 128, "methods": {"get": dict(method), "peek": dict(method)}}
    return {
        "name": "py-small",
        "machine": {"cpus": cpus},
        "implementations": {"ObjV1": impl(1), "ObjV2": impl(2)},
        "objects": {"obj": {"implementation": "ObjV1"}},
        "workloads": {"clients": {"kind": "closed", "cpus": "all", "threads": 2, "think_us": 1,
                                  "calls_per_request": 4,
                                  "mix": [{"object": "obj", "method": "get", "weight": 1},
                                          {"object": "obj", "method": "peek", "weight": 1}]}},
        "events": [{"type": "swap", "object": "obj", "to": "ObjV2", "strategy": strategy, "at_us": at_us,
                    "cpu": 0}],
        "run": {"duration_us": duration, "warmup_us": 20, "seed": 1},
        "outputs": {"window_us": 10},
    }


@pytest.fixture
def scenario_dict():
    return small_scenario()


@pytest.fixture
def cli_bin():
    """The quiesce CLI binary, when the tests know one (QUIESCE_BIN, or the one the package finds)."""
    from quiesce import _backend
    b = os.environ.get("QUIESCE_BIN") or _backend._find_cli()
    if not b:
        pytest.skip("no quiesce CLI (set QUIESCE_BIN)")
    return os.path.abspath(b)


class RunLog:
    """QUIESCE_RUN_LOG: one line per simulation started by this process or its children."""

    def __init__(self, path):
        self.path = path

    def entries(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def __len__(self):
        return len(self.entries())

    def clear(self):
        if os.path.exists(self.path):
            os.unlink(self.path)


@pytest.fixture
def run_log(tmp_path, monkeypatch):
    log = RunLog(str(tmp_path / "runs.jsonl"))
    monkeypatch.setenv("QUIESCE_RUN_LOG", log.path)
    return log


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def wait_gone(pids, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if not any(pid_alive(p) for p in pids):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture(autouse=True)
def _temporary_directories_under_tmp_path(tmp_path, monkeypatch):
    """Runs without out= make their directory under the test's tmp_path, not in /tmp."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
