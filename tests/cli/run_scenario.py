"""`quiesce run` on a scenario for the cli tests: a file, or a dict written as YAML, with --set overrides.
The binary is $QUIESCE (else build/quiesce)."""
import json
import os
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
TIMEOUT = 600


def run(tmp_path, scenario, *sets, name="out", expect=0):
    """(summary.json as a dict, the results directory); with `expect` (an exit code other than 0),
    (stderr, None) once the run exited with it."""
    if isinstance(scenario, dict):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(scenario))
        scenario = str(path)
    out = tmp_path / name
    args = [QUIESCE, "run", scenario, "-q", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert p.returncode == expect, p.stderr
    if expect:
        return p.stderr, None
    with open(out / "summary.json") as f:
        return json.load(f), out
