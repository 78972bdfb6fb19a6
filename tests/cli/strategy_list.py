"""The strategies a quiesce binary lists (`quiesce strategies --json`), for tests that parametrize
over them. [] when the binary cannot list them: the tests that check the listing then fail."""
import json
import subprocess


def constraints(quiesce):
    """Each listed strategy's constraints (a set), by name ({} when the binary cannot list them)."""
    try:
        p = subprocess.run([quiesce, "strategies", "--json"], stdout=subprocess.PIPE, text=True, timeout=60)
        return {s["name"]: set(s.get("constraints", [])) for s in json.loads(p.stdout)["strategies"]}
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return {}


def listed(quiesce, safe_only=False, with_test_only=False):
    """Their names, in registry order: the shipped ones (and the test-only ones if asked), or only the safe."""
    try:
        p = subprocess.run([quiesce, "strategies", "--json"], stdout=subprocess.PIPE, text=True, timeout=60)
        return [s["name"] for s in json.loads(p.stdout)["strategies"]
                if (with_test_only or not s["test_only"]) and (s["safe"] or not safe_only)]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return []


def constraints(quiesce):
    """Each listed strategy's constraints (name -> list), test-only ones included; {} when unlisted."""
    try:
        p = subprocess.run([quiesce, "strategies", "--json"], stdout=subprocess.PIPE, text=True, timeout=60)
        return {s["name"]: s.get("constraints", []) for s in json.loads(p.stdout)["strategies"]}
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return {}
