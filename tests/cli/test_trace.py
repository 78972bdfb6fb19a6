"""`quiesce run --trace-out FILE.json`: a Chrome trace-event file that Perfetto
and chrome://tracing open. Checked against the format: required fields, begin
/end balance, time order and proper nesting on every track, flows paired; and
against the run: one process per CPU, threads, calls with object and method,
the swap's phases, generation swaps, held calls with arrows to their release."""
import collections
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))
K42_SWAP = os.path.join(ROOT, "scenarios", "k42-swap.yaml")


def traced(tmp_path, *sets, name="t"):
    out, trace = tmp_path / name, tmp_path / f"{name}.json"
    args = [QUIESCE, "run", K42_SWAP, "-q", "-o", str(out), "--trace-out", str(trace)]
    for s in sets:
        args += ["--set", s]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    with open(out / "summary.json") as f:
        summary = json.load(f)
    return trace, json.loads(trace.read_text()), summary


@pytest.fixture(scope="module")
def k42(tmp_path_factory):
    return traced(tmp_path_factory.mktemp("trace"))


def test_trace_event_format(k42):
    _, doc, _ = k42
    events = doc["traceEvents"]
    assert events
    for e in events:
        assert e["ph"] in {"X", "B", "E", "i", "s", "f", "M"}, e
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
        if e["ph"] != "M":
            assert isinstance(e["name"], str) and e["name"], e
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if e["ph"] == "X":
            assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
    # B/E balanced per track (none are written, but none may dangle).
    depth = collections.Counter()
    for e in events:
        if e["ph"] == "B":
            depth[(e["pid"], e["tid"])] += 1
        elif e["ph"] == "E":
            depth[(e["pid"], e["tid"])] -= 1
            assert depth[(e["pid"], e["tid"])] >= 0
    assert all(v == 0 for v in depth.values())


def test_every_track_is_in_time_order_and_slices_nest(k42):
    _, doc, _ = k42
    tracks = collections.defaultdict(list)
    for e in doc["traceEvents"]:
        if e["ph"] != "M":
            tracks[(e["pid"], e["tid"])].append(e)
    eps = 1e-6
    for key, evs in tracks.items():
        ts = [e["ts"] for e in evs]
        assert ts == sorted(ts), key
        stack = []  # ends of the open slices
        for e in (e for e in evs if e["ph"] == "X"):
            while stack and e["ts"] >= stack[-1] - eps:
                stack.pop()
            end = e["ts"] + e["dur"]
            assert not stack or end <= stack[-1] + eps, (key, e)  # inside the enclosing slice, or after it
            stack.append(end)


def test_flows_pair_up(k42):
    _, doc, _ = k42
    starts = {e["id"] for e in doc["traceEvents"] if e["ph"] == "s"}
    ends = {e["id"] for e in doc["traceEvents"] if e["ph"] == "f"}
    assert starts and starts == ends


def test_the_run_is_on_the_timeline(k42):
    _, doc, summary = k42
    events = doc["traceEvents"]
    cpus = summary["scenario"]["machine"]["cpus"]
    procs = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert procs == {c: f"CPU {c}" for c in range(cpus)}
    calls = [e for e in events if e.get("cat") == "call"]
    assert {e["args"]["method"] for e in calls} == {"lookup", "insert", "evict"}
    assert all(e["args"]["object"] == "cache" and e["name"] == f"cache.{e['args']['method']}" for e in calls)
    # Calls completed in the run are on it (the trace also has the ones cut by its end).
    assert len(calls) >= summary["simulated"]["calls"]
    phases = {e["name"] for e in events if e.get("cat") == "swap"}
    assert {"interpose", "forward", "block", "transfer", "complete"} <= phases
    assert any(e["ph"] == "i" and e["name"] == "generation swap" for e in events)
    workers = [e for e in events if e.get("cat") == "thread" and "worker" in e["name"]]
    assert len({e["pid"] for e in workers}) == summary["swaps"][0]["workers"]
    held = [e for e in events if e.get("cat") == "held" and e["ph"] == "X" and e["name"].startswith("held")]
    assert len(held) == summary["swaps"][0]["released"]


def test_the_trace_is_deterministic(tmp_path, k42):
    path, _, _ = k42
    again, _, _ = traced(tmp_path, name="again")
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("strategy", ["global_refcount", "stack_trace"])
def test_other_strategies_have_their_phases(tmp_path, strategy):
    _, doc, _ = traced(tmp_path, f"events[0].strategy={strategy}")
    phases = {e["name"] for e in doc["traceEvents"] if e.get("cat") == "swap"}
    assert phases == ({"block", "transfer", "complete"} if strategy == "global_refcount" else
                      {"stop", "walk", "transfer", "complete"})
