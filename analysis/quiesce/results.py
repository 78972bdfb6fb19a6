"""A results directory written by `quiesce run` (or quiesce.run), as Python objects.

Latency percentiles (p50, p90, p99 in summary.json and calls.csv, and the headline
latency_p99_cycles) come from the simulator's log-linear histograms
(sim/os_model/latency_histogram.h), not from the sorted calls. A histogram with parameter k keeps
every value below 2^(k+1) cycles exactly, and above splits each power of two [2^e, 2^(e+1)) into
2^k buckets of width 2^(e-k), so a bucket is at most 1/2^k of its lower edge wide. pQ is the
midpoint of the bucket holding the floor(Q/100·(count-1))+1-th smallest value (clamped to the
histogram's min and max): within 1/2^(k+1) of that value. Where each comes from:

  summary.json objects[].methods[].latency_cycles   k = 5: exact below 64 cycles, then 32
      (and the headline latency_p99_cycles)          buckets per power of two: within 1/64 (1.6%)
  calls.csv latency_p50/p90/p99_cycles (a window)    k = 3: exact below 16 cycles, then 8 buckets
                                                     per power of two: within 1/16 (6.25%)
  summary.json generations round_cycles and          k = 4: exact below 32 cycles, then 16 buckets
      swap_interval_cycles                           per power of two: within 1/32 (3.1%)

Means, counts and max are exact (summed, not bucketed).
"""
import json
import math
import os
from functools import cached_property
from pathlib import Path

from ._errors import IncompleteResults

__all__ = ["Result", "load", "headline", "HEADLINE_COLUMNS", "EVENT_METRICS", "event_columns", "ACTIVITIES",
           "OUTSIDE_PHASES"]

# The CSV tables of a results directory (scenarios/README.md, "What quiesce run writes").
TABLES = ("calls", "cpus", "regions", "swaps", "phases", "activity", "events")
# Where a CPU's time in a swap goes (phases.csv's *_cycles columns, activity.csv's activity).
ACTIVITIES = ("mechanism", "cpu", "quiescence", "other_cpus")
# activity.csv's phases that are not phases: a CPU's time before its first phase, and in earlier attempts.
OUTSIDE_PHASES = ("before_first_phase", "retried")


class Result:
    """One run's results directory.

    .out      the directory (pathlib.Path)
    .summary  summary.json as a dict
    .host     host.json as a dict (host seconds, simulated MIPS), None if absent
    .calls .cpus .regions .swaps .phases
              the CSV tables as pandas DataFrames, read on first use. calls.csv's
              latency_p50/p90/p99_cycles are midpoints of log-linear histogram buckets, 8 per power
              of two (exact below 16 cycles): within 6.25% (see this module's docstring);
              latency_mean_cycles and latency_max_cycles are exact
    .activity activity.csv: every stretch of one activity (ACTIVITIES) within one phase on one CPU
              of a swap (its phase a phase or one of OUTSIDE_PHASES); None for results written
              before the simulator wrote it. phases.csv sums it per phase (mechanism_cycles,
              cpu_wait_cycles, quiescence_cycles, other_cpus_cycles)
    .region_cpus
              region_cpus.csv (per region and CPU: the CPU whose requests caused the counts) when
              the simulator writes it, else None. Only the (region, CPU) pairs with a non-zero
              counter are rows (a pair not listed is all zeros; before 0.5 every pair was a row):
              e.g. rc.pivot_table(index="region", columns="cpu", values="misses", fill_value=0)
    .events   events.csv: one row per event (summary.json's events: the swap events, then the
              updates, as scenario.events lists them), its swaps summed up; None for results
              written before the simulator wrote it
    .patches  summary.json's patches, one row per member swap: patch, outcome (committed, given_up,
              pending), start_cycle, joint_cycle (0: not reached), swap, object, strategy,
              ready_cycle (its last arrival at its safe point; 0: none), held_at_safe_point_cycles,
              blocked, completed; empty for a run without patches
    .decisions
              decisions.csv: one row per decision of the scenario's autonomic policies (policy, window,
              cycle, us, metric, value, the values that met the condition, from, to, swaps, ...,
              action: swap or update, and for an update its class, to_version and mode);
              None for a scenario without policies
    .policy_windows
              policy_windows.csv: per policy and window, what its monitor read (calls, value), its
              streak, its state (idle, streak, fired, busy, disarmed, rearmed, interval, at_target,
              no_data) and the monitor's cycles; None without policies
    .scenario the resolved scenario (summary["scenario"]), .clock_ghz its clock
    .metrics  the headline metrics (see quiesce.results.headline)
    .trace    the timeline written by quiesce.run(..., trace_out=PATH) (a Path), else None
    .completed
              whether the run reached its end (summary.json "completed"); False for a run stopped
              early (a deadlock, a swap past hotswap.timeout_us, --timeout), whose rates are over
              the simulated time it reached
    .stopped  why not, None when completed: summary.json's "stopped" ({"reason": "timeout",
              "deadlock" or "watchdog", "detail", "at_cycle", "at_us", "duration_us"})

    The directory must be complete (check_complete): IncompleteResults otherwise.
    """

    trace = None

    def __init__(self, out):
        self.out = Path(out)
        if not (self.out / "summary.json").is_file():
            raise FileNotFoundError(f"{self.out}: no summary.json (not a quiesce results directory)")
        problem = check_complete(self.out)
        if problem:
            raise IncompleteResults(f"{self.out}: {problem}", out=str(self.out))

    @property
    def completed(self):
        return bool(self.summary.get("completed", True))

    @property
    def stopped(self):
        return self.summary.get("stopped")

    def __repr__(self):
        s = self.summary
        sim = s.get("simulated", {})
        swaps = len(s.get("swaps", []))
        return (f"<quiesce.Result {self.out}: {s.get('scenario', {}).get('name', '?')}, "
                f"{self.cpus_count} cpus, {sim.get('us', '?')} us, {sim.get('calls', '?')} calls, "
                f"{swaps} swap{'s' if swaps != 1 else ''}>")

    @cached_property
    def summary(self):
        with open(self.out / "summary.json") as f:
            return json.load(f)

    @cached_property
    def host(self):
        p = self.out / "host.json"
        if not p.is_file():
            return None
        with open(p) as f:
            return json.load(f)

    def _csv(self, name):
        import pandas as pd
        converters = {"start": lambda x: int(x, 0)} if name == "regions" else None
        return pd.read_csv(self.out / f"{name}.csv", converters=converters)

    @cached_property
    def calls(self):
        return self._csv("calls")

    @cached_property
    def cpus(self):
        return self._csv("cpus")

    @cached_property
    def regions(self):
        return self._csv("regions")

    @cached_property
    def swaps(self):
        return self._csv("swaps")

    @cached_property
    def phases(self):
        return self._csv("phases")

    @cached_property
    def activity(self):
        if not (self.out / "activity.csv").is_file():
            return None
        return self._csv("activity")

    @cached_property
    def events(self):
        if not (self.out / "events.csv").is_file():
            return None
        return self._csv("events")

    @cached_property
    def patches(self):
        import pandas as pd
        cols = ["patch", "outcome", "start_cycle", "joint_cycle", "swap", "object", "strategy", "ready_cycle",
                "held_at_safe_point_cycles", "blocked", "completed"]
        rows = [[p["patch"], p["outcome"], p["start_cycle"], p["joint_cycle"], m["swap"], m["object"], m["strategy"],
                 m["ready_cycle"], m["held_at_safe_point_cycles"], m["blocked"], m["completed"]]
                for p in self.summary.get("patches", []) for m in p["members"]]
        return pd.DataFrame(rows, columns=cols)

    @cached_property
    def decisions(self):
        if not (self.out / "decisions.csv").is_file():
            return None
        import pandas as pd
        return pd.read_csv(self.out / "decisions.csv", dtype={"values": str, "swaps": str, "from": str, "object": str,
                                                              "class": str, "mode": str})

    @cached_property
    def policy_windows(self):
        if not (self.out / "policy_windows.csv").is_file():
            return None
        return self._csv("policy_windows")

    @cached_property
    def region_cpus(self):
        if not (self.out / "region_cpus.csv").is_file():
            return None
        return self._csv("region_cpus")

    @property
    def scenario(self):
        return self.summary["scenario"]

    @property
    def clock_ghz(self):
        return float(self.scenario["machine"]["clock_ghz"])

    @property
    def cpus_count(self):
        return int(self.scenario["machine"]["cpus"])

    def cycles_to_us(self, cycles):
        """Core cycles to microseconds at the scenario's clock (works on arrays and Series too)."""
        return cycles / (self.clock_ghz * 1e3)

    @cached_property
    def metrics(self):
        return headline(self.out)


def load(results_dir):
    """The Result of a results directory written by `quiesce run` or quiesce.run (IncompleteResults
    if it is not complete: see check_complete)."""
    return Result(results_dir)


MANIFEST = "manifest.json"


def _written_before_manifests(out):
    """summary.json says a simulator older than 0.5 (which wrote no manifest) wrote it."""
    try:
        with open(Path(out) / "summary.json") as f:
            version = json.load(f).get("quiesce_version", "")
        return tuple(int(x) for x in version.split(".")[:2]) < (0, 5)
    except (OSError, ValueError, AttributeError):
        return False


def check_complete(out):
    """None if the results directory `out` is complete, else what is wrong: the simulator writes
    manifest.json last, listing every file with its size; a directory without it, or whose files
    are missing or of other sizes, was not written to the end (or was changed since)."""
    out = Path(out)
    try:
        with open(out / MANIFEST) as f:
            manifest = json.load(f)
        files = manifest["files"]
        if manifest.get("complete") is not True or not isinstance(files, list):
            return f"{MANIFEST} does not say the results are complete"
    except FileNotFoundError:
        if _written_before_manifests(out):
            return None  # a simulator before 0.5 wrote no manifest (nor staged its results)
        return f"no {MANIFEST}: the results were not written to the end"
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"{MANIFEST} cannot be read: {e}"
    for entry in files:
        try:
            name = entry["name"]
            size = int(entry["bytes"]) if "bytes" in entry else None  # host.json: its size varies
            actual = (out / name).stat().st_size
        except FileNotFoundError:
            return f"{entry.get('name')} is missing (listed in {MANIFEST})"
        except (OSError, ValueError, KeyError, TypeError) as e:
            return f"{MANIFEST} entry {entry!r}: {e}"
        if size is not None and actual != size:
            return f"{name} has {actual} bytes, {MANIFEST} says {size}"
    return None


# --- headline metrics --------------------------------------------------------------------------------

HEADLINE_COLUMNS = [
    "calls", "calls_per_ms", "latency_mean_cycles", "latency_p99_cycles",
    "fast_path_cycles_per_call", "throughput_calls_per_ms",
    "swap_strategy", "swap_completed", "swap_cycles", "swap_us", "swap_cycles_to_safe_point",
    "swap_us_to_safe_point", "swap_violations", "swap_blocked", "swap_blocked_cycles_max",
    "swap_mechanism_cycles", "swap_cpu_wait_cycles", "swap_quiescence_cycles", "swap_other_cpus_cycles",
    "swaps", "event_count", "violations", "io_blocks", "preemptions", "host_seconds",
    "completed", "stop_reason", "simulated_us",
]

# Per event i (summary.json's events[i]), the headline's columns event{i}_METRIC, after
# HEADLINE_COLUMNS, in this order (see headline).
EVENT_METRICS = ("completed", "cycles", "us", "slowest_us", "violations", "held", "blocked_cycles_max")


def event_columns(n):
    """The headline's per-event columns of a run with n events: event0_completed, event0_cycles, ...,
    event{n-1}_blocked_cycles_max."""
    return [f"event{i}_{metric}" for i in range(int(n)) for metric in EVENT_METRICS]

NAN = float("nan")
# The headline's swap_*_cycles names for the split's activities (ACTIVITIES).
SPLIT_COLUMNS = (("mechanism", "mechanism"), ("cpu_wait", "cpu"), ("quiescence", "quiescence"),
                 ("other_cpus", "other_cpus"))


def _window_rate(rows, t0, t1):
    """Calls per ms and the calls-weighted mean latency (cycles) over the calls.csv windows that lie
    inside [t0, t1] µs (as bench/compare computes them); (nan, nan) when there are none."""
    inside = [r for r in rows if float(r["start_us"]) >= t0 - 1e-9 and float(r["end_us"]) <= t1 + 1e-9]
    n = sum(int(r["calls"]) for r in inside)
    span = sum(float(r["end_us"]) - float(r["start_us"]) for r in inside)
    if not inside or span <= 0:
        return NAN, NAN
    lat = sum(int(r["calls"]) * float(r["latency_mean_cycles"]) for r in inside) / n if n else NAN
    return n / (span / 1000.0), lat


def headline(out):
    """The headline metrics of a results directory, a flat dict (the columns of a sweep's DataFrame):

    calls, calls_per_ms            summary simulated.calls and .calls_per_ms (the whole run)
    latency_mean_cycles            mean top-level call latency after run.warmup_us, over every
                                   object and method (calls-weighted, exact)
    latency_p99_cycles             the largest per-method p99 after warmup: an upper bound of the
                                   p99 over all calls, equal to it when one method is called. Each
                                   per-method p99 is the midpoint of the histogram bucket holding
                                   the 99th percentile (buckets 32 per power of two, exact below 64
                                   cycles), so within 1/64 (1.6%) of the exact order statistic
    fast_path_cycles_per_call      calls-weighted mean latency of the calls.csv windows that lie
                                   between run.warmup_us and the first swap's start (the whole run
                                   after warmup if there is no swap): a call's cost before any swap,
                                   gate included (as bench/compare measures it). A call's latency
                                   runs from its entry to its return in core cycles, so it includes
                                   any I/O wait inside the call (and the wait for the CPU after it):
                                   it is the fast path only in runs without I/O waits (io_blocks 0)
    throughput_calls_per_ms        calls per ms in those same windows
    swap_*                         the first swap, if any (else NaN/None): strategy, completed,
                                   cycles and swap_us (start to end; NaN if not completed),
                                   cycles_to_safe_point and swap_us_to_safe_point (NaN if it never
                                   got there), violations, blocked (calls held), blocked_cycles_max;
                                   and where its time went (summary.json's swap `split`, CPU-cycles
                                   summed over its CPUs): swap_mechanism_cycles, swap_cpu_wait_cycles,
                                   swap_quiescence_cycles, swap_other_cpus_cycles (NaN in results
                                   written before the simulator split it)
    swaps                          the number of swaps
    event_count                    the number of events (summary.json's events: the swap events,
                                   then the updates, in the order scenario.events lists them)
    violations                     the safety oracle's violations in the whole run
    io_blocks                      summary simulated.io_blocks: the times a call blocked at an I/O
                                   wait point in the whole run (0: the latencies hold no I/O wait)
    preemptions                    summary simulated.preemptions (os.scheduler preemptive; 0 else,
                                   NaN in results written before the simulator counted them)
    host_seconds                   from host.json (wall time of the simulation)
    completed                      the run reached its end (summary.json "completed"); False: it
                                   was stopped (stop_reason), and its rates are over simulated_us
    stop_reason                    None, or "timeout", "deadlock", "watchdog"
    simulated_us                   the simulated time the run reached (summary simulated.us)
    event{i}_*                     then, for each event i (events.csv's row i), its swaps summed up:
      event{i}_completed           it fired and all its swaps completed (an update: and the update)
      event{i}_cycles, _us         its first swap's start to its last swap's end; NaN if not completed
      event{i}_slowest_us          its slowest completed swap; NaN if none completed
      event{i}_violations          the oracle's violations over its swaps
      event{i}_held                the calls its swaps held (blocked)
      event{i}_blocked_cycles_max  the longest a call was held by one of its swaps
    decisions, decision{i}_*       with autonomic policies (summary.json's policies), after the events:
                                   how many decisions they took, and for each decision i (in the
                                   order taken) its policy, its time (_us), the implementation it
                                   swapped to (_to) and whether its swaps completed (_completed)
    """
    import csv
    out = str(out)
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    with open(os.path.join(out, "calls.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    scen = s["scenario"]
    clock_ghz = float(scen["machine"]["clock_ghz"])
    us = lambda cycles: cycles / (clock_ghz * 1e3)
    sim = s["simulated"]
    m = dict(calls=sim["calls"], calls_per_ms=sim["calls_per_ms"])
    n = tot = 0
    p99 = NAN
    for obj in s.get("objects", []):
        for meth in obj.get("methods", []):
            lat = meth.get("latency_cycles", {})
            c = lat.get("count", 0)
            if c:
                n += c
                tot += c * lat["mean"]
                p99 = lat["p99"] if math.isnan(p99) else max(p99, lat["p99"])
    m["latency_mean_cycles"] = tot / n if n else NAN
    m["latency_p99_cycles"] = p99
    warmup = float(scen.get("run", {}).get("warmup_us", 0.0))
    swaps = s.get("swaps", [])
    t1 = us(swaps[0]["start_cycle"]) if swaps else us(sim["cycles"])
    m["throughput_calls_per_ms"], m["fast_path_cycles_per_call"] = _window_rate(rows, warmup, t1)
    if swaps:
        sw = swaps[0]
        done = bool(sw["completed"])
        safe = sw.get("safe_cycle", 1) != 0
        m.update(swap_strategy=sw.get("strategy"), swap_completed=done,
                 swap_cycles=sw["cycles"] if done else NAN,
                 swap_us=us(sw["cycles"]) if done else NAN,
                 swap_cycles_to_safe_point=sw["cycles_to_safe_point"] if safe else NAN,
                 swap_us_to_safe_point=us(sw["cycles_to_safe_point"]) if safe else NAN,
                 swap_violations=sw.get("violations", 0), swap_blocked=sw.get("blocked", 0),
                 swap_blocked_cycles_max=sw.get("blocked_cycles_max", 0))
        split = sw.get("split", {})
        m.update({f"swap_{k}_cycles": split.get(a, NAN) for k, a in SPLIT_COLUMNS})
    else:
        m.update(swap_strategy=None, swap_completed=None, swap_cycles=NAN, swap_us=NAN,
                 swap_cycles_to_safe_point=NAN, swap_us_to_safe_point=NAN, swap_violations=NAN,
                 swap_blocked=NAN, swap_blocked_cycles_max=NAN)
        m.update({f"swap_{k}_cycles": NAN for k, _ in SPLIT_COLUMNS})
    m["swaps"] = len(swaps)
    events = s.get("events", [])
    m["event_count"] = len(events)
    m["violations"] = s.get("safety", {}).get("violations", 0)
    m["io_blocks"] = sim.get("io_blocks", NAN)
    m["preemptions"] = sim.get("preemptions", NAN)
    host = os.path.join(out, "host.json")
    m["host_seconds"] = NAN
    if os.path.isfile(host):
        with open(host) as f:
            m["host_seconds"] = json.load(f).get("host_seconds", NAN)
    m["completed"] = bool(s.get("completed", True))
    m["stop_reason"] = (s.get("stopped") or {}).get("reason")
    m["simulated_us"] = sim.get("us", NAN)
    out_m = {k: m[k] for k in HEADLINE_COLUMNS}
    for i, ev in enumerate(events):
        done = bool(ev["completed"])
        out_m.update({f"event{i}_completed": done,
                      f"event{i}_cycles": ev["cycles"] if done else NAN,
                      f"event{i}_us": us(ev["cycles"]) if done else NAN,
                      f"event{i}_slowest_us": us(ev["slowest_cycles"]) if ev["slowest_swap"] >= 0 else NAN,
                      f"event{i}_violations": ev["violations"],
                      f"event{i}_held": ev["blocked"],
                      f"event{i}_blocked_cycles_max": ev["blocked_cycles_max"]})
    if "policies" in s:
        taken = sorted((d for p in s["policies"] for d in p["decisions"]), key=lambda d: d["decision"])
        by_id = {d["decision"]: p["policy"] for p in s["policies"] for d in p["decisions"]}
        out_m["decisions"] = len(taken)
        for i, d in enumerate(taken):
            out_m.update({f"decision{i}_policy": by_id[d["decision"]], f"decision{i}_us": d["us"],
                          f"decision{i}_to": d["to"], f"decision{i}_completed": bool(d["completed"])})
    return out_m
