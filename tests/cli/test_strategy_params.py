"""Strategy parameters in a scenario: `hotswap.strategies.NAME.KEY` for one strategy, `hotswap.KEY`
for every strategy that declares KEY (the older flat form; the specific one wins), checked against
each strategy's declared range, echoed in summary.json, and used by the run."""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
BASE = os.path.join(ROOT, "scenarios", "compare", "base.yaml")


def quiesce(*args):
    return subprocess.run([QUIESCE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)


def run(tmp_path, *sets):
    out = tmp_path / "out"
    args = ["run", BASE, "-q", "-o", str(out)]
    for s in sets:
        args += ["--set", s]
    p = quiesce(*args)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        return json.load(f)


def test_specific_flat_and_default_values_are_echoed(tmp_path):
    s = run(tmp_path, "events[0].strategy=global_refcount", "hotswap.poll_us=3",
            "hotswap.strategies.global_refcount.call_cycles=7", "hotswap.strategies.stack_trace.retry_us=5")
    block = s["scenario"]["hotswap"]["strategies"]
    assert set(block) == {"global_refcount", "stack_trace"}  # used by an event, or named
    assert block["global_refcount"] == {"call_cycles": 7, "worker_step_cycles": 60, "poll_us": 3.0, "drain": 1}
    assert block["stack_trace"]["retry_us"] == 5.0 and block["stack_trace"]["max_retries"] == 50


def test_the_specific_setting_wins_over_the_flat_one(tmp_path):
    s = run(tmp_path, "events[0].strategy=global_refcount", "hotswap.poll_us=3",
            "hotswap.strategies.global_refcount.poll_us=4")
    assert s["scenario"]["hotswap"]["strategies"]["global_refcount"]["poll_us"] == 4.0


def test_a_parameter_changes_what_the_swap_does(tmp_path):
    frames = []
    for walk_frames in (1, 0):
        s = run(tmp_path, "events[0].strategy=stack_trace", f"hotswap.strategies.stack_trace.walk_frames={walk_frames}")
        swap = s["swaps"][0]
        assert swap["completed"]
        frames.append(swap["details"]["frames_walked"])
    assert frames[0] > 0 == frames[1], frames


def error(*sets):
    args = ["validate", BASE]
    for s in sets:
        args += ["--set", s]
    p = quiesce(*args)
    assert p.returncode == 2, p.stderr
    return p.stderr


def test_unknown_strategy_key_and_range_are_reported_at_their_place():
    assert "hotswap.strategies.qsbr: unknown strategy 'qsbr'" in error("hotswap.strategies.qsbr.poll_us=1")
    assert "hotswap.strategies.k42_generation.pol_us: unknown key; did you mean 'poll_us'" not in \
        error("hotswap.strategies.k42_generation.pol_us=1")  # k42_generation has no poll_us
    assert "hotswap.strategies.global_refcount.pol_us: unknown key; did you mean 'poll_us'?" in \
        error("hotswap.strategies.global_refcount.pol_us=1")
    assert "hotswap.strategies.k42_generation.hash_slots" in error("hotswap.strategies.k42_generation.hash_slots=3")
    assert "hotswap.pol_us: unknown key; did you mean 'poll_us'?" in error("hotswap.pol_us=1")
    assert "hotswap.max_retries" in error("hotswap.max_retries=-1")
