"""Every shipped scenario that runs (scenarios/*.yaml with a workload; machine.yaml
only describes a machine for `quiesce exec`) gives byte-identical results files
(summary.json, calls.csv, cpus.csv, regions.csv and any others the run writes)
when run twice with the same seed; host.json (wall-clock facts) may differ but
must be valid. New scenarios are picked up by
their content. A scenario naming an os.guest_elf gets the one of the build under
test, QUIESCE_BUILD_DIR/guest/<its file name>, when that exists. Run with
    QUIESCE=build/quiesce QUIESCE_BUILD_DIR=build /usr/bin/python3 -m pytest tests/cli/test_determinism.py
"""
import glob
import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
BUILD_DIR = os.path.abspath(os.environ.get("QUIESCE_BUILD_DIR", os.path.dirname(QUIESCE)))
# Every file of the results directory but host.json (wall-clock facts) is compared; these must be there.
DOCUMENTED = ["summary.json", "calls.csv", "cpus.csv", "regions.csv", "region_cpus.csv", "host.json"]
TIMEOUT = 600  # per run, under ASan


def load(path):
    with open(path) as f:
        return yaml.safe_load(f) or {}


def runnable(path):  # a workload, and not an example of the watchdog's report (exit code 4)
    return bool(load(path).get("workloads")) and "deadlock" not in os.path.basename(path)


ALL = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.yaml")) +
             glob.glob(os.path.join(ROOT, "scenarios", "compare", "*.yaml")))
RUNNABLE = [p for p in ALL if runnable(p)]


def test_scenarios_are_found():
    names = {os.path.basename(p) for p in RUNNABLE}
    assert {"quickstart.yaml", "counters.yaml", "fileserver.yaml", "elf_methods.yaml"} <= names
    assert "machine.yaml" not in names  # a machine description only
    assert len(RUNNABLE) == len(ALL) - 1 - sum("deadlock" in os.path.basename(p) for p in ALL)


def overrides(path):
    elf = (load(path).get("os") or {}).get("guest_elf")
    if elf:
        ours = os.path.join(BUILD_DIR, "guest", os.path.basename(elf))
        if os.path.exists(ours):
            return ["--set", f"os.guest_elf={ours}"]
    return []


@pytest.mark.parametrize("path", RUNNABLE, ids=[os.path.splitext(os.path.basename(p))[0] for p in RUNNABLE])
def test_same_seed_same_results(tmp_path, path):
    dirs = [tmp_path / "a", tmp_path / "b"]
    # The two runs side by side: each is a separate process, so nothing is shared but the files read.
    procs = [subprocess.Popen([QUIESCE, "run", path, *overrides(path), "-q", "-o", str(d)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for d in dirs]
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0, (path, out, err)
        assert (out, err) == ("", "")
    files = set(os.listdir(dirs[0]))
    assert set(os.listdir(dirs[1])) == files
    assert set(DOCUMENTED) <= files and not any(f.endswith(".tmp") for f in files), files
    for name in sorted(files - {"host.json"}):
        a, b = ((d / name).read_bytes() for d in dirs)
        assert a, (path, name)
        assert a == b, f"{os.path.basename(path)}: {name} differs between two runs with the same seed"
    summary = json.loads((dirs[0] / "summary.json").read_text())
    assert summary["simulated"]["calls"] > 0  # the comparison is not of two empty runs
    for d in dirs:
        host = json.loads((d / "host.json").read_text())
        assert isinstance(host["host_seconds"], float) and host["host_seconds"] > 0
