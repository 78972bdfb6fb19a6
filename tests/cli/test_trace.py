"""`quiesce run --trace-out FILE.json`: a Chrome trace-event file that Perfetto
and chrome://tracing open. Checked against the format: required fields, begin
/end balance, time order and proper nesting on every track, flows paired; and
against the run: one process per CPU, threads, calls with object and method,
the swap's phases, generation swaps, held calls with arrows to their release;
a track per thread identity, nested calls inside their calls, counter tracks
(run queues, each swap's calls in flight and held), the size per call, and a
run whose results tracing leaves unchanged."""
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
    number = (int, float)
    for e in events:
        assert e["ph"] in {"X", "B", "E", "i", "s", "f", "M", "C"}, e
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
        if e["ph"] != "M":
            assert isinstance(e["name"], str) and e["name"], e
            assert isinstance(e["ts"], number) and e["ts"] >= 0, e
        if e["ph"] == "M":
            assert e["name"] in {"process_name", "thread_name"} and isinstance(e["args"]["name"], str), e
        if e["ph"] == "X":
            assert isinstance(e["dur"], number) and e["dur"] >= 0 and isinstance(e["cat"], str), e
        if e["ph"] == "C":  # a counter: numeric values only, never negative here
            assert e["args"] and all(isinstance(v, number) and v >= 0 for v in e["args"].values()), e
        if e["ph"] in {"s", "f"}:
            assert isinstance(e["id"], int), e
    # Every track that has events is named.
    named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {(e["pid"], e["tid"]) for e in events if e["ph"] in {"X", "i"}} <= named
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
    assert procs == {**{c: f"CPU {c}" for c in range(cpus)}, cpus: "swaps"}
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


def test_a_track_per_thread_identity(k42):
    # k42-swap's short-lived threads reuse descriptor slots: one track per thread, not per slot.
    _, doc, summary = k42
    events = doc["traceEvents"]
    runs = [e for e in events if e.get("cat") == "thread"]
    identities = {e["args"]["thread"] for e in runs}
    slots = {(e["pid"], e["args"]["descriptor"]) for e in runs}
    assert len(identities) > 2 * len(slots)
    call_tracks = {(e["pid"], e["tid"]) for e in events if e.get("cat") == "call"}
    per_identity = collections.defaultdict(set)
    for e in events:
        if e.get("cat") == "call":
            per_identity[e["args"]["thread"]].add((e["pid"], e["tid"]))
    assert all(len(t) == 1 for t in per_identity.values())  # a thread's calls on its one track
    assert len(call_tracks) == len(per_identity)
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert all(" #" in names[t] and "(descriptor " in names[t] for t in call_tracks)


def test_counter_tracks(k42):
    _, doc, summary = k42
    events = doc["traceEvents"]
    cpus = summary["scenario"]["machine"]["cpus"]
    procs = {e["args"]["name"]: e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    runq = collections.defaultdict(list)
    for e in events:
        if e["ph"] == "C" and e["name"] == "run queue":
            runq[e["pid"]].append(e["args"]["value"])
    assert set(runq) == set(range(cpus)) and all(max(v) >= 1 for v in runq.values())
    swaps = collections.defaultdict(list)
    for e in events:
        if e["ph"] == "C" and e["pid"] == procs["swaps"]:
            swaps[e["name"]].append((e["ts"], e["args"]["value"]))
    assert set(swaps) == {"swap 0 cache: calls in flight", "swap 0 cache: calls held"}
    held = [v for _, v in swaps["swap 0 cache: calls held"]]
    assert held[0] == 0 and held[-1] == 0 and max(held) >= 1  # the completed swap released every call it held
    assert max(v for _, v in swaps["swap 0 cache: calls in flight"]) >= 1
    start = min(e["ts"] for e in events if e.get("cat") == "swap")
    assert min(t for t, _ in swaps["swap 0 cache: calls held"]) <= start  # from the swap's start (before its first phase)


def test_size_per_call(tmp_path, k42):
    # scenarios/README.md: about 280 bytes per call on k42-swap.yaml (every event of the run, counted per call).
    path, _, summary = k42
    per_call = path.stat().st_size / summary["simulated"]["calls"]
    assert 200 < per_call < 330, per_call


def test_nested_calls_are_nested_slices(tmp_path):
    # quickstart.yaml: Counter.inc makes a nested call; each nested execution lies inside its call, on its track.
    out, trace = tmp_path / "q", tmp_path / "q.json"
    p = subprocess.run([QUIESCE, "run", os.path.join(ROOT, "scenarios", "quickstart.yaml"), "-q", "-o", str(out),
                        "--trace-out", str(trace)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    calls = collections.defaultdict(list)
    for e in events:
        if e.get("cat") == "call":
            calls[(e["pid"], e["tid"])].append(e)
    nested = [e for e in events if e.get("cat") == "nested"]
    assert nested and all(e["args"]["depth"] >= 1 for e in nested)
    eps = 1e-6
    for n in nested:
        assert any(c["ts"] - eps <= n["ts"] and n["ts"] + n["dur"] <= c["ts"] + c["dur"] + eps
                   for c in calls[(n["pid"], n["tid"])]), n


def test_tracing_changes_no_result(tmp_path, k42):
    path, _, _ = k42
    out = tmp_path / "plain"
    p = subprocess.run([QUIESCE, "run", K42_SWAP, "-q", "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    for f in ("summary.json", "calls.csv", "cpus.csv", "regions.csv", "swaps.csv", "phases.csv", "events.csv"):
        assert (out / f).read_bytes() == (path.parent / "t" / f).read_bytes(), f


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
