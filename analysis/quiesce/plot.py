"""Plots of quiesce results. Every function returns a matplotlib Figure (not managed by pyplot:
display it in Jupyter by leaving it as a cell's value, save it with fig.savefig).

  swap_timeline(result, swap=0, unit="us")  per-CPU lanes of a swap's phases, blocked calls
  around_swap(result)                       throughput and call latency around the swaps, a phase
                                            lane per CPU
  contention(result)                        which regions took the misses, invalidations, queueing
  autonomic(result)                         throughput with the autonomic policies' decisions marked,
                                            each policy's monitored value against its thresholds
  strategy_comparison(df)                   a sweep over strategies x CPUs (or another key), with
                                            seeds: swap time, fast path, throughput, their
                                            confidence intervals, incomplete swaps, violations
  held_time_cdf(df)                         per strategy, the CDF of each swap's longest held call
  axis_label(key)                           an axis's name for a sweep key ("machine.cpus" -> "CPUs")

`result` is a quiesce.Result or a results directory. From the shell,

  python3 -m quiesce.plot RESULTS_DIR [-o DIR]

writes swap_timeline.png (one per swap: swap_timeline.png, swap_timeline_1.png, ...; none without
swaps), around_swap.png, contention.png and, for a scenario with policies, autonomic.png into
RESULTS_DIR (or DIR) and prints their paths.
"""
import math
import os
import re
import sys
import warnings

import matplotlib
import matplotlib.colors
import matplotlib.ticker
from matplotlib import patheffects

if ("matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND")
        and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
        and "ipykernel" not in sys.modules):
    matplotlib.use("Agg")  # no display: render off-screen

import numpy as np
from matplotlib.figure import Figure as _MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .results import Result


class Figure(_MplFigure):
    """A matplotlib Figure that shows itself in Jupyter as a PNG even when pyplot's inline backend
    is not active (these figures are not managed by pyplot, so they are shown once: as a cell's
    value, or with display(fig))."""

    def _repr_png_(self):
        import io
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=90)
        return buf.getvalue()

__all__ = ["swap_timeline", "around_swap", "contention", "strategy_comparison", "held_time_cdf", "axis_label",
           "region_group", "strategy_order", "strategy_style", "PHASE_COLORS", "STRATEGY_PALETTE", "KEY_LABELS",
           "KEY_PATTERNS", "main"]

# One colour per phase name, the same in every plot.
PHASE_COLORS = {
    "interpose": "#9467bd", "forward": "#1f77b4", "block": "#d62728", "transfer": "#2ca02c",
    "complete": "#ff7f0e", "stop": "#8c564b", "walk": "#e377c2", "count": "#17becf",
}
_EXTRA = ["#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a"]
# A strategy's colour, marker and line style come from its position in the simulator's registry
# (quiesce.strategies()), so it looks the same in every plot whichever strategies a plot shows.
STRATEGY_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                    "#7f7f7f", "#bcbd22", "#17becf"]
_MARKERS = "osD^v<>ph*"
_STYLES = ["-", "--", "-.", ":"]  # strategies with equal values (k42_generation and stack_trace
#                                   before a swap) stay visible


def strategy_order(names=()):
    """The registry's strategy names (quiesce.strategies(), in its order), then any of `names` it
    does not list, in their order. Without a simulator to ask, `names` in their order (a warning)."""
    from . import _backend
    from ._errors import QuiesceError
    try:
        order = [s["name"] for s in _backend.strategies()]
    except QuiesceError as e:
        import warnings
        warnings.warn(f"quiesce.plot: no strategy registry ({e}); strategies in the order they appear",
                      stacklevel=2)
        order = []
    return order + [n for n in dict.fromkeys(names) if n not in order]


def strategy_style(name, order=None):
    """{"color", "marker", "linestyle"} of strategy `name`: by its position in `order` (default
    strategy_order([name]))."""
    order = order if order is not None else strategy_order([name])
    i = order.index(name)
    return dict(color=STRATEGY_PALETTE[i % len(STRATEGY_PALETTE)], marker=_MARKERS[i % len(_MARKERS)],
                linestyle=_STYLES[i % len(_STYLES)])


# Where the time goes (activity.csv): one colour per activity, drawn as a strip under each CPU's phases.
ACTIVITY_STYLE = {
    "mechanism": ("#222222", "the mechanism working"),
    "cpu": ("#ffb000", "waiting for the CPU"),
    "quiescence": ("#00a6a6", "waiting for quiescence"),
    "other_cpus": ("#c05cff", "waiting for other CPUs"),
}


def _phase_color(name, _seen={}):
    if name in PHASE_COLORS:
        return PHASE_COLORS[name]
    if name not in _seen:
        _seen[name] = _EXTRA[len(_seen) % len(_EXTRA)]
    return _seen[name]


def _result(r):
    return r if isinstance(r, Result) else Result(r)


def _unit(result, unit):
    """(factor from cycles, axis label)."""
    if unit in ("us", "µs"):
        return 1.0 / (result.clock_ghz * 1e3), "time (µs)"
    if unit in ("cycles", "cycle"):
        return 1.0, "time (cycles)"
    raise ValueError(f"unit: expected 'us' or 'cycles', got {unit!r}")


def _fmt(v):
    v = float(v)
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.1f}G"
    if a >= 1e6:
        return f"{v / 1e6:.1f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}" if v == int(v) else f"{v:.2g}"


# --- swap_timeline -----------------------------------------------------------------------------------

def swap_timeline(result, swap=0, unit="us"):
    """One swap: a lane per CPU with each phase its worker went through as a bar (phases.csv;
    a phase that never ended runs to the end of the run, hatched), under it a strip of where
    that CPU's time went (activity.csv: the mechanism working, waiting for the CPU, for
    quiescence, for other CPUs), the swap's start, safe point and end as vertical lines, and
    beside it the calls held on each CPU (summary swaps[].cpus[].blocked) labelled with the
    longest hold (blocked_cycles_max).

    Two axes: the timeline (x: time in `unit`, "us" or "cycles"; y: CPUs, "cpu N (worker)" where a
    worker ran) and the blocked calls per CPU."""
    r = _result(result)
    swaps = r.summary.get("swaps", [])
    if not swaps:
        raise ValueError(f"{r.out}: the run has no swaps")
    if not -len(swaps) <= swap < len(swaps):
        raise IndexError(f"swap {swap}: the run has {len(swaps)} swap(s)")
    sw = swaps[swap]
    sid = sw.get("id", swap % len(swaps))
    f, xlabel = _unit(r, unit)
    ncpu = r.cpus_count
    end_run = r.summary["simulated"]["cycles"]
    ph = r.phases
    ph = ph[ph["swap"] == sid]
    act = r.activity
    act = act[act["swap"] == sid] if act is not None else None
    per_cpu = {c["cpu"]: c for c in sw.get("cpus", [])}
    workers = set(int(c) for c in ph.loc[ph["worker"].astype(str).str.lower() == "true", "cpu"])
    workers |= {c for c, d in per_cpu.items() if d.get("worker")}

    fig = Figure(figsize=(11, 1.6 + 0.42 * min(ncpu, 48)), layout="constrained")
    ax, axb = fig.subplots(1, 2, sharey=True, gridspec_kw=dict(width_ratios=[4, 1]))
    labelled = set()
    x_lo, x_hi = math.inf, -math.inf
    unfinished = False
    for row in ph.itertuples(index=False):
        start, end = int(row.start_cycle), int(row.end_cycle)
        open_ = end == 0
        if open_:
            end, unfinished = end_run, True
        color = _phase_color(row.phase)
        width = max((end - start) * f, 1e-9)
        label = row.phase if row.phase not in labelled else None
        labelled.add(row.phase)
        ax.broken_barh([(start * f, width)], (row.cpu - 0.38, 0.5), facecolors=color, label=label,
                       edgecolor="k" if open_ else color, linewidth=0.4, hatch="//" if open_ else None, gid="phase")
        x_lo, x_hi = min(x_lo, start * f), max(x_hi, end * f)
    # Under the phases, where each CPU's time went, from its worker's making (before its first phase:
    # waiting in the run queue) to its last phase.
    if act is not None and len(act):
        for what, g in act.groupby("activity", sort=False):
            color, text = ACTIVITY_STYLE.get(what, ("0.5", what))
            for c, gc in g.groupby("cpu"):
                bars = [(int(s) * f, max((int(e) - int(s)) * f, 1e-9)) for s, e in zip(gc["start_cycle"], gc["end_cycle"])]
                ax.broken_barh(bars, (int(c) + 0.16, 0.2), facecolors=color, gid=f"activity:{what}")
        x_lo, x_hi = min(x_lo, act["start_cycle"].min() * f), max(x_hi, act["end_cycle"].max() * f)
    # The safe point is solid black with a white halo: it crosses bars of every phase colour (red
    # Block among them), so no phase or activity colour may be its own.
    halo = [patheffects.withStroke(linewidth=3.5, foreground="white")]
    marks = [("swap start", sw.get("start_cycle"), dict(color="k", linestyle="--", linewidth=1)),
             ("safe point", sw.get("safe_cycle"), dict(color="k", linestyle="-", linewidth=1.8, path_effects=halo)),
             ("swap end", sw.get("end_cycle"), dict(color="k", linestyle="-.", linewidth=1))]
    for name, cyc, style in marks:
        if cyc:
            ax.axvline(cyc * f, label=name, gid=name, zorder=5, **style)
            x_lo, x_hi = min(x_lo, cyc * f), max(x_hi, cyc * f)
    if math.isfinite(x_lo):
        pad = max((x_hi - x_lo) * 0.04, 1e-6)
        ax.set_xlim(x_lo - pad, x_hi + pad)
    handles, labels = ax.get_legend_handles_labels()
    if act is not None:
        for what, (color, text) in ACTIVITY_STYLE.items():
            if (act["activity"] == what).any():
                handles.append(Patch(facecolor=color))
                labels.append(text)
    if unfinished:
        handles.append(Patch(facecolor="white", edgecolor="k", hatch="//"))
        labels.append("unfinished (to run end)")
    ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.01), ncol=min(len(labels), 5),
              fontsize="small", frameon=False)
    ax.set_yticks(range(ncpu))
    ax.set_yticklabels([f"cpu {c}" + (" (worker)" if c in workers else "") for c in range(ncpu)])
    ax.set_ylim(ncpu - 0.5, -0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("CPU")
    status = "completed" if sw.get("completed") else "NOT completed"
    fig.suptitle(f"swap {sid}: {sw.get('object')} {sw.get('from')} -> {sw.get('to')}, "
                 f"{sw.get('strategy')}, {status}", x=0.01, ha="left", fontsize="medium")
    ax.grid(axis="x", alpha=0.3)

    blocked = [per_cpu.get(c, {}).get("blocked", 0) for c in range(ncpu)]
    bmax = [per_cpu.get(c, {}).get("blocked_cycles_max", 0) for c in range(ncpu)]
    axb.barh(range(ncpu), blocked, height=0.6, color="#d62728", alpha=0.7, label="calls held")
    top = max(blocked) if blocked else 0
    held = [per_cpu.get(c, {}).get("blocked", 0) - per_cpu.get(c, {}).get("released", 0) for c in range(ncpu)]
    for c, (n, m, h) in enumerate(zip(blocked, bmax, held)):
        if n:
            text = f" max {_fmt(m * f)}{' µs' if f != 1.0 else ' cyc'}" if m else ""
            text += f" ({h} held at end)" if h > 0 else ""
            axb.text(n, c, text, va="center", fontsize="x-small")
    axb.set_xlim(0, max(top, 1) * 1.9)
    axb.set_xlabel("calls held")
    axb.set_title(f"blocked calls: {sw.get('blocked', 0)}", loc="left", fontsize="medium")
    axb.grid(axis="x", alpha=0.3)
    return fig


# --- around_swap -------------------------------------------------------------------------------------

def _nice(x):
    """The largest of 1, 2, 5 x 10^k at most x (a window length that reads well)."""
    k = 10 ** math.floor(math.log10(x))
    return max(m * k for m in (1, 2, 5) if m * k <= x)


def _trace_calls(r, window_us, lo, hi, percentiles):
    """calls.csv's columns, from the timeline's top-level call slices (counted in the window where
    they end, as calls.csv counts them), in windows of window_us over [lo, hi)."""
    import json
    import pandas as pd
    ev = json.loads(open(r.trace).read())["traceEvents"]
    ts = np.array([e["ts"] for e in ev if e.get("cat") == "call"], dtype=float)
    dur = np.array([e["dur"] for e in ev if e.get("cat") == "call"], dtype=float)
    ends, lat = ts + dur, dur * r.clock_ghz * 1e3
    rows = []
    for a in np.arange(lo, hi, window_us):
        b = a + window_us
        l = lat[(ends >= a) & (ends < b)]
        row = {"start_us": a, "end_us": b, "calls": l.size, "calls_per_ms": l.size / window_us * 1e3,
               "latency_mean_cycles": l.mean() if l.size else np.nan}  # no calls: no latency (a gap)
        for p in percentiles:
            row[f"latency_{p}_cycles"] = float(np.percentile(l, float(p[1:]))) if l.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def around_swap(result, percentiles=("p50", "p90", "p99"), window_us=None, whole_run=False):
    """Throughput (calls per ms) and call latency percentiles (cycles) per window around the swaps:
    on top a lane per CPU with the phases it went through (phases.csv, labelled), under it the two
    series with each swap's span shaded, its start dashed and the warmup greyed. Three axes sharing
    the time axis (µs); two without swaps.

    The view is the swaps and a few times their length on each side (whole_run=True: the whole
    run). The windows are calls.csv's unless they are coarser than the shortest swap: then, when
    the result has a timeline (quiesce.run(..., trace_out=...)), windows of `window_us` (default: a
    round length at most a quarter of the swap) counted from its calls; without one, calls.csv's,
    with a warning and a note in the title."""
    r = _result(result)
    c = r.calls
    end_run = r.cycles_to_us(r.summary["simulated"]["cycles"])
    swaps = [(r.cycles_to_us(sw["start_cycle"]), r.cycles_to_us(sw["end_cycle"]) if sw.get("end_cycle") else end_run)
             for sw in r.summary.get("swaps", [])]
    w = float(c["end_us"].iloc[0] - c["start_us"].iloc[0]) if len(c) else 0.0
    shortest = min((b - a for a, b in swaps), default=0.0)
    note, source = "", "calls.csv"
    if swaps and shortest > 0 and (w > shortest or window_us):
        if r.trace is not None and os.path.exists(r.trace):
            w = window_us or _nice(shortest / 4)
            c, source = _trace_calls(r, w, 0.0, end_run, percentiles), "the timeline"
        elif window_us:
            raise ValueError("around_swap: window_us needs the run's timeline (quiesce.run(..., trace_out=...))")
        else:
            note = (f"; windows coarser than the swap ({_fmt(shortest)} µs): write a timeline (trace_out=) or "
                    f"set outputs.window_us")
            warnings.warn(f"around_swap: calls.csv's {_fmt(w)} µs windows are coarser than the swap "
                          f"({_fmt(shortest)} µs){note[note.index(':'):]}", stacklevel=2)
    mid = (c["start_us"] + c["end_us"]) / 2
    fig = Figure(figsize=(11, 7.5 if swaps else 6.5), layout="constrained")
    if swaps:
        ncpu = r.cpus_count
        lanes, ax1, ax2 = fig.subplots(3, 1, sharex=True,
                                       gridspec_kw=dict(height_ratios=[max(1.0, 0.18 * ncpu), 2.5, 2.5]))
    else:
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(mid, c["calls_per_ms"], drawstyle="steps-mid", color="k", label="calls/ms")
    for p in percentiles:
        ax2.plot(mid, c[f"latency_{p}_cycles"], drawstyle="steps-mid", label=p)
    ax2.plot(mid, c["latency_mean_cycles"], drawstyle="steps-mid", linestyle="--", color="grey", label="mean")
    lat = c[[f"latency_{p}_cycles" for p in percentiles]].to_numpy(dtype=float)
    pos = lat[np.nan_to_num(lat) > 0]
    if pos.size and pos.max() / pos.min() > 50:
        ax2.set_yscale("log")
    warm = float(r.scenario.get("run", {}).get("warmup_us", 0) or 0)
    for ax in (ax1, ax2):
        if warm > 0:
            ax.axvspan(0, warm, color="0.85", alpha=0.5, label="warmup" if ax is ax1 else None)
        for i, (t0, t1) in enumerate(swaps):
            ax.axvspan(t0, max(t1, t0 + 1e-3), color="#ffd27f", alpha=0.45, label=f"swap {i}" if ax is ax1 else None)
            ax.axvline(t0, color="k", linestyle="--", linewidth=0.8, label=("swap start" if i == 0 else None) if ax is ax1 else None)
        ax.grid(alpha=0.3)
    if swaps:  # each CPU's phases in its own lane: overlapping translucent bands would blend into one colour
        ph = r.phases
        seen = {}
        for row in ph.itertuples(index=False):
            t0 = r.cycles_to_us(int(row.start_cycle))
            t1 = r.cycles_to_us(int(row.end_cycle)) if int(row.end_cycle) else end_run
            seen.setdefault(row.phase, _phase_color(row.phase))
            lanes.broken_barh([(t0, max(t1 - t0, 1e-6))], (row.cpu - 0.4, 0.8), facecolors=_phase_color(row.phase),
                              gid=f"lane:{row.cpu}:{row.phase}")
        lanes.set_yticks(range(ncpu))
        lanes.set_yticklabels([f"cpu {i}" for i in range(ncpu)], fontsize="x-small" if ncpu > 8 else "small")
        lanes.set_ylim(ncpu - 0.5, -0.5)
        lanes.set_ylabel("phases")
        lanes.legend([Patch(facecolor=col) for col in seen.values()], list(seen), loc="upper left",
                     bbox_to_anchor=(1.0, 1.0), fontsize="small")
        lanes.grid(axis="x", alpha=0.3)
        if not whole_run:
            lo, hi = min(a for a, _ in swaps), max(b for _, b in swaps)
            pad = max(3 * (hi - lo), 4 * w)
            ax1.set_xlim(max(0.0, lo - pad), min(end_run, hi + pad))
    ax1.set_ylabel("throughput (calls/ms)")
    ax2.set_ylabel("call latency (cycles)")
    ax2.set_xlabel("time (µs)")
    (lanes if swaps else ax1).set_title(
        f"{r.scenario.get('name', '')}: throughput and call latency per {_fmt(w) if w else '?'} µs window "
        f"({source}){note}", loc="left", fontsize="medium")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    ax1.set_ylim(bottom=0)
    return fig


# --- autonomic policies ------------------------------------------------------------------------------

def autonomic(result):
    """Throughput over the run (calls.csv, calls per ms) with every decision of the autonomic policies
    marked (a line at its time, labelled with the policy and the implementation it swapped to) and
    its swaps shaded; under it, one axis per policy: the value its monitor read each window
    (policy_windows.csv) against its threshold and rearm level, the windows where it fired as dots."""
    r = _result(result)
    if r.decisions is None:
        raise ValueError(f"{r.out}: the scenario has no policies")
    c, win, dec = r.calls, r.policy_windows, r.decisions
    policies = r.scenario.get("policies", {})
    fig = Figure(figsize=(11, 3.2 + 2.0 * len(policies)), layout="constrained")
    axes = fig.subplots(1 + len(policies), 1, sharex=True,
                        gridspec_kw=dict(height_ratios=[2.5] + [1.6] * len(policies)))
    ax = axes[0]
    mid = (c["start_us"] + c["end_us"]) / 2
    ax.plot(mid, c["calls_per_ms"], drawstyle="steps-mid", color="k", label="calls/ms")
    end_run = r.cycles_to_us(r.summary["simulated"]["cycles"])
    swaps = {s["id"]: s for s in r.summary.get("swaps", [])}
    colors = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"]
    names = list(policies)
    for d in dec.itertuples(index=False):
        col = colors[names.index(d.policy) % len(colors)] if d.policy in names else "grey"
        for a in axes:
            a.axvline(d.us, color=col, linestyle="--", linewidth=1.0)
        ax.annotate(f"{d.policy} -> {d.to}\n{d.us:.0f} µs", (d.us, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -3), textcoords="offset points", va="top", fontsize="small", color=col)
        for sid in str(d.swaps).split(";"):
            if sid.strip().isdigit() and int(sid) in swaps:
                sw = swaps[int(sid)]
                t1 = r.cycles_to_us(sw["end_cycle"]) if sw.get("end_cycle") else end_run
                ax.axvspan(r.cycles_to_us(sw["start_cycle"]), max(t1, d.us + 1e-3), color=col, alpha=0.15)
    ax.set_ylabel("throughput (calls/ms)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_title(f"{r.scenario.get('name', '')}: throughput and the policies' decisions ({len(dec)})",
                 loc="left", fontsize="medium")
    for i, name in enumerate(names):
        a, spec = axes[1 + i], policies[name]
        w = win[win["policy"] == name]
        t = r.cycles_to_us(w["end_cycle"])
        a.plot(t, w["value"], drawstyle="steps-pre", color=colors[i % len(colors)],
               label=f"{spec['monitor']['metric']} of {spec['monitor']['object']}")
        when = spec["when"]
        key = "above" if "above" in when else "below"
        a.axhline(when[key], color="k", linewidth=0.8, label=f"{key} {_fmt(when[key])} ({when['windows']} windows)")
        if when.get("rearm") != when[key]:
            a.axhline(when["rearm"], color="k", linestyle=":", linewidth=0.8, label=f"rearm {_fmt(when['rearm'])}")
        f = w[w["state"] == "fired"]
        a.plot(r.cycles_to_us(f["end_cycle"]), f["value"], "o", color=colors[i % len(colors)], label="fired")
        a.set_ylabel(name)
        a.grid(alpha=0.3)
        a.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    axes[-1].set_xlabel("time (µs)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return fig


# --- contention --------------------------------------------------------------------------------------

CONTENTION_METRICS = ["misses", "upgrades", "c2c_transfers", "invalidations_sent", "invalidations_received",
                      "downgrades_received", "stcx_failures", "queue_cycles", "miss_cycles"]
PER_CPU_METRICS = ["misses", "invalidations_received", "queue_cycles"]


def region_group(name):
    """The group a region belongs to in the contention plots: per-CPU copies together
    ("LTT.cpu3" -> "LTT", "mediator.cache.rep.cpu1" -> "mediator.cache.rep", "generation.cpu2"
    -> "generation"), group instances together ("obj[3].rep" -> "obj[*].rep"), every vtable in
    "vtables"; anything else (GTT, generation.token, X.counts, X.rep, X.shared, os.code) as is."""
    g = re.sub(r"\.cpu\d+(?=\.|$)", "", name)
    g = re.sub(r"\[\d+\]", "[*]", g)
    if g.endswith(".vtable"):
        return "vtables"
    return g or name


def _grouped(df, by_cpu=False):
    cols = [c for c in CONTENTION_METRICS if c in df.columns]
    d = df.assign(group=df["region"].map(region_group))
    keys = ["group", "cpu"] if by_cpu else ["group"]
    out = d.groupby(keys, sort=False)[cols].sum()
    n = d.groupby("group", sort=False)["region"].nunique()
    return out, n


def _luminance(rgba):
    """Relative luminance (WCAG) of an RGB(A) colour, 0 (black) to 1 (white)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_color_on(rgba):
    """Black or white, whichever contrasts more with `rgba` (a cell's colour under its label)."""
    lum = _luminance(rgba)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def _heat(fig, ax, data, rows, cols, title, cmap, annotate=None, cbar_label=None, vmax=None):
    # A log colour scale: contention spans orders of magnitude, and on a linear one the hottest region
    # leaves every other cell the same pale colour. Zero cells (no colour on a log scale) are white.
    data = np.asarray(data, dtype=float)
    pos = data[data > 0]
    hi = vmax if vmax is not None else (pos.max() if pos.size else 1.0)
    lo = min(pos.min(), hi / 10) if pos.size else hi / 10
    cm = matplotlib.colormaps[cmap].copy()
    cm.set_bad("white")
    im = ax.imshow(np.ma.masked_less_equal(data, 0), aspect="auto", cmap=cm, interpolation="nearest",
                   norm=matplotlib.colors.LogNorm(vmin=lo, vmax=hi))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize="small")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=40, ha="right", fontsize="small")
    ax.set_title(title, loc="left", fontsize="medium")
    if annotate is not None:
        for i in range(len(rows)):
            for j in range(len(cols)):
                v = annotate[i][j]
                if v:
                    under = cm(im.norm(data[i][j])) if data[i][j] > 0 else (1, 1, 1, 1)
                    ax.text(j, i, _fmt(v), ha="center", va="center", fontsize="x-small", color=text_color_on(under))
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    if cbar_label:
        cb.set_label(cbar_label)
    return im


def contention(result, top=16):
    """Which regions took the coherence misses, invalidations and queueing. Regions are grouped
    with region_group (LTT.cpu* -> LTT, ...), and the `top` groups shown, by their share of the
    metrics.

    With a per-CPU region table (region_cpus.csv: region, cpu, the regions.csv counters, only the
    pairs with a count; a missing pair is zero): three heat maps, group x CPU (every CPU of the
    machine), of misses, invalidations_received and queue_cycles (6 axes with their
    colour bars). Without it (regions.csv only has totals): one heat map, group x metric, coloured
    by the group's share of each metric's total over all regions and labelled with the value (2
    axes with the colour bar)."""
    r = _result(result)
    rc = r.region_cpus
    name = r.scenario.get("name", "")
    if rc is not None and not rc.empty:
        g, n = _grouped(rc, by_cpu=True)
        totals = g.groupby(level="group", sort=False).sum()
        share = (totals[PER_CPU_METRICS] / totals[PER_CPU_METRICS].sum().replace(0, np.nan)).fillna(0)
        order = share.mean(axis=1).sort_values(ascending=False).index[:top]
        # Every CPU of the machine: region_cpus.csv lists only the (region, CPU) pairs with a count.
        ncpu = r.scenario.get("machine", {}).get("cpus")
        cpus = list(range(int(ncpu))) if ncpu else sorted(int(c) for c in rc["cpu"].unique())
        fig = Figure(figsize=(min(6 + 0.5 * len(cpus), 22), 1.5 + 0.38 * len(order) * 3), layout="constrained")
        axes = fig.subplots(len(PER_CPU_METRICS), 1)
        for ax, metric in zip(axes, PER_CPU_METRICS):
            table = g[metric].unstack("cpu").reindex(index=order, columns=cpus).fillna(0)
            labels = [f"{k} (×{n[k]})" if n.get(k, 1) > 1 else k for k in order]
            _heat(fig, ax, table.to_numpy(dtype=float), labels, [f"cpu {c}" for c in cpus],
                  f"{name}: {metric} by region and CPU (log colour scale)", "viridis",
                  annotate=table.to_numpy() if len(cpus) <= 16 else None, cbar_label=metric)
        return fig
    reg = r.regions
    g, n = _grouped(reg)
    cols = list(g.columns)
    share = (g / g.sum().replace(0, np.nan)).fillna(0)
    order = share.mean(axis=1).sort_values(ascending=False).index[:top]
    share, vals = share.loc[order], g.loc[order]
    labels = [f"{k} (×{n[k]})" if n.get(k, 1) > 1 else k for k in order]
    fig = Figure(figsize=(11, 1.8 + 0.4 * len(order)), layout="constrained")
    ax = fig.subplots()
    _heat(fig, ax, share.to_numpy(dtype=float), labels, cols,
          f"{name}: contention by region (top {len(order)} of {len(g)} groups; colour: share of the "
          f"metric's total, log scale; label: value)", "Reds", annotate=vals.to_numpy(), cbar_label="share of total",
          vmax=1.0)
    ax.set_xlabel("coherence counter (regions.csv)")
    ax.set_ylabel("region group")
    return fig


# --- axis labels of sweep keys -----------------------------------------------------------------------

# Key paths a sweep varies, and how an axis names them (with the unit). Anything else: the patterns
# below, then the key path itself (with a unit its suffix implies: _us, _cycles, ...).
KEY_LABELS = {
    "machine.cpus": "CPUs",
    "machine.clock_ghz": "core clock (GHz)",
    "machine.quantum_cycles": "quantum (cycles)",
    "machine.memory.size_mib": "guest memory (MiB)",
    "machine.caches.line_bytes": "cache line (bytes)",
    "run.duration_us": "run duration (µs)",
    "run.warmup_us": "warmup (µs)",
    "run.seed": "seed",
    "seed": "seed",
    "outputs.window_us": "calls.csv window (µs)",
    "os.generations.min_round_us": "minimum token round (µs)",
    "os.scheduler.policy": "scheduling policy",
    "os.scheduler.tick_us": "time slice (µs)",
    "os.scheduler.system_priority": "priority of swap threads",
    "hotswap.timeout_us": "swap watchdog timeout (µs)",
    "hotswap.update_step_cycles": "update step (cycles)",
}
_NAME = r"([^.\[\]]+)"
KEY_PATTERNS = [
    (rf"workloads\.{_NAME}\.threads", "threads of {0} (per CPU)"),
    (rf"workloads\.{_NAME}\.think_us", "think time of {0} (µs)"),
    (rf"workloads\.{_NAME}\.rate_per_ms", "arrivals of {0} (per CPU per ms)"),
    (rf"workloads\.{_NAME}\.calls_per_request", "calls per request of {0}"),
    (rf"workloads\.{_NAME}\.zipf_s", "Zipf exponent of {0}"),
    (rf"workloads\.{_NAME}\.start_us", "start of {0} (µs)"),
    (rf"workloads\.{_NAME}\.stop_us", "stop of {0} (µs)"),
    (rf"workloads\.{_NAME}\.priority", "priority of {0}"),
    (r"events\[0\]\.strategy", "strategy"),
    (r"events\[(\d+)\]\.strategy", "strategy of events[{0}]"),
    (r"events\[(\d+)\]\.at_us", "time of events[{0}] (µs)"),
    (r"events\[(\d+)\]\.after_calls", "events[{0}] after (calls)"),
    (r"events\[(\d+)\]\.cpu", "CPU starting events[{0}]"),
    (rf"objects\.{_NAME}\.count", "instances of {0}"),
    (rf"implementations\.{_NAME}\.state_bytes", "state of {0} (bytes per rep)"),
    (rf"implementations\.{_NAME}\.shared_state_bytes", "shared state of {0} (bytes)"),
    (rf"implementations\.{_NAME}\.methods\.{_NAME}\.instructions", "instructions of {0}.{1}"),
]
_SUFFIX_UNITS = [("_us", "µs"), ("_ms", "ms"), ("_cycles", "cycles"), ("_bytes", "bytes"), ("_kib", "KiB"),
                 ("_mib", "MiB"), ("_ghz", "GHz")]


def _strategy_param_unit(key):
    """The unit the strategy registry declares for parameter `key` (None: unknown or no simulator)."""
    from . import _backend
    from ._errors import QuiesceError
    try:
        for st in _backend.strategies():
            for p in st.get("params", []):
                if p.get("key") == key:
                    return p.get("unit") or ""
    except QuiesceError:
        pass
    return None


def axis_label(key):
    """How a plot's axis names the sweep key path `key`, with its unit: KEY_LABELS
    ("machine.cpus" -> "CPUs"), then KEY_PATTERNS ("workloads.clients.threads" -> "threads of
    clients (per CPU)"), then a strategy parameter with the registry's unit ("hotswap.poll_us" ->
    "hotswap.poll_us (µs)", "hotswap.strategies.stack_trace.retry_us" -> "retry_us of stack_trace
    (µs)"), else the key path itself, with the unit its suffix says ("foo_us" -> "foo_us (µs)")."""
    key = str(key)
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    for pattern, fmt in KEY_PATTERNS:
        m = re.fullmatch(pattern, key)
        if m:
            return fmt.format(*m.groups())
    m = re.fullmatch(r"hotswap\.strategies\.(\w+)\.(\w+)", key) or re.fullmatch(r"hotswap\.()(\w+)", key)
    if m:
        unit = _strategy_param_unit(m.group(2))
        if unit is not None:
            unit = "µs" if unit == "us" else unit
            name = f"{m.group(2)} of {m.group(1)}" if m.group(1) else key
            return f"{name} ({unit})" if unit and unit != "-" else name
    for suffix, unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return f"{key} ({unit})"
    return key


# --- strategy_comparison -----------------------------------------------------------------------------

def _pick(df, given, candidates, what):
    if given is not None:
        if given not in df.columns:
            raise KeyError(f"{what} column {given!r} not in the DataFrame")
        return given
    for c in candidates:
        if c in df.columns:
            return c
    arg = "x" if what == "x" else f"{what}_col"
    raise KeyError(f"no {what} column (tried {', '.join(candidates)}); pass {arg}=")


_SWAP_PANELS = ("swap_us_to_safe_point", "swap_us")
SPREADS = ("ci", "band", "seeds", "none")


def _fast_path_labels(df):
    """(title, y label) of the fast-path panel: what fast_path_cycles_per_call is in these runs."""
    io = df["io_blocks"] if "io_blocks" in df.columns else None
    io = None if io is None else np.asarray(io, dtype=float)
    if io is not None and io.size and np.all(io[np.isfinite(io)] == 0) and np.isfinite(io).any():
        return ("Fast path: a call before the swap",
                "cycles per call\n(mean entry-to-return latency before\nthe swap; no I/O waits in these runs)")
    if io is not None and np.nanmax(np.where(np.isfinite(io), io, 0)) > 0:
        return ("Mean call latency before the swap (I/O waits included: not the fast path)",
                "cycles per call\n(mean entry-to-return latency before\nthe swap, I/O waits included)")
    return ("Mean call latency before the swap",
            "cycles per call\n(mean entry-to-return latency before\nthe swap; I/O waits included, if any)")


def _x_values(series):
    """(numeric x positions, tick labels or None): numbers as they are, anything else by category."""
    import pandas as pd
    num = pd.to_numeric(series, errors="coerce")
    if num.notna().all():
        return num.astype(float), None
    cats = list(dict.fromkeys(series.astype(str)))
    return series.astype(str).map({c: float(i) for i, c in enumerate(cats)}), cats


def _check_one_point_per_x(df, s_col, x_col, seed_cols):
    """A sweep parameter that varies within one (strategy, x) must not be averaged over silently."""
    params = df.attrs.get("quiesce_params")
    if not params:
        return
    for c in params:
        if c in (s_col, x_col) or c in seed_cols or c not in df.columns:
            continue
        n = df.assign(_v=df[c].map(repr)).groupby([s_col, x_col], dropna=False)["_v"].nunique()
        if (n > 1).any():
            raise ValueError(f"column {c!r} varies within a ({s_col}, {x_col}) point: plot a subset "
                             f"(df[df[{c!r}] == value]) or pass x={c!r}")


def strategy_comparison(df, strategy_col=None, x=None, log=None, spread="ci", confidence=0.95, method="t",
                        cpus_col=None):
    """A sweep over quiescence strategies and one numeric parameter (CPUs by default), with or
    without replicate seeds (quiesce.sweep's DataFrame): four axes, each with one line per
    strategy, in the simulator's registry order (quiesce.strategies()) and colour
    (strategy_style): time to the safe point (µs), the whole swap (µs), the mean cycles per call
    before the swap (fast_path_cycles_per_call: entry to return, so the fast path when the runs had
    no I/O waits; the y label says which), and the throughput before the swap (calls per ms).

    Each line joins the means over the rows of a (strategy, x) point, its seeds; `spread` draws
    their variation: "ci" (default) error bars of the `confidence` interval of the mean (Student's
    t, or method="bootstrap": see quiesce.aggregate), "band" the same as a shaded band, "seeds"
    every seed as a small point, "none" nothing. A swap that did not complete has no swap times:
    its seeds are left out of the means of the two swap panels, and the point gets a hollow
    marker there (at the top edge when no seed completed), labelled "k/n" (k of its n seeds did
    not complete); a run with safety violations gets a red ×. Both have a legend entry.

    The strategy column is `strategy_col` or the first of "events[0].strategy", "strategy",
    "swap_strategy"; the x column `x` (or `cpus_col`, its old name), else the first of
    "machine.cpus", "cpus". Its axis is labelled with axis_label (a key's name and unit:
    "machine.cpus" -> "CPUs", "workloads.w.threads" -> "threads of w (per CPU)"), logarithmic
    (base 2) when its values are positive and span 4x or more. The y axes share one scale: `log`
    True or False, or None (default): all logarithmic when any panel's values span more than 30x.
    Another sweep parameter varying within a (strategy, x) point is an error (plot a subset)."""
    if spread not in SPREADS:
        raise ValueError(f"spread: expected one of {', '.join(SPREADS)}, got {spread!r}")
    from .stats import SEED_COLUMNS, aggregate
    s_col = _pick(df, strategy_col, ["events[0].strategy", "strategy", "swap_strategy"], "strategy")
    x_col = _pick(df, x if x is not None else cpus_col, ["machine.cpus", "cpus"], "x")
    fp_title, fp_label = _fast_path_labels(df)
    panels = [("swap_us_to_safe_point", "time to safe point (µs)", "Time to the safe point"),
              ("swap_us", "whole swap (µs)", "Whole swap (start to end)"),
              ("fast_path_cycles_per_call", fp_label, fp_title),
              ("throughput_calls_per_ms", "calls/ms", "Throughput before the swap")]
    metrics = [m for m, _, _ in panels]
    for m in metrics:
        if m not in df.columns:
            raise KeyError(f"column {m!r} missing: pass the DataFrame quiesce.sweep returns")
    seed_cols = [c for c in SEED_COLUMNS if c in df.columns]
    _check_one_point_per_x(df, s_col, x_col, seed_cols)
    d = df.copy()
    d["_x"], x_ticklabels = _x_values(d[x_col])
    agg = aggregate(d, by=[s_col, "_x"], metrics=metrics, confidence=confidence, method=method)
    present = list(dict.fromkeys(d[s_col]))
    order = strategy_order(present)  # registry order: colours and styles by registry position
    strategies = [s for s in order if s in present]
    xs_all = sorted(agg["_x"].unique())

    fig = Figure(figsize=(12, 8.8), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    spans = []
    marked = dict(incomplete=False, violation=False)
    for ax, (metric, ylabel, title) in zip(axes.flat, panels):
        values = []
        for s in strategies:
            sub = agg[agg[s_col] == s].sort_values("_x")
            if sub.empty:
                continue
            st = strategy_style(s, order)
            xs = sub["_x"].to_numpy(dtype=float)
            y = sub[f"{metric}_mean"].to_numpy(dtype=float)
            lo = sub[f"{metric}_ci_low"].to_numpy(dtype=float)
            hi = sub[f"{metric}_ci_high"].to_numpy(dtype=float)
            values.extend(v for v in y if np.isfinite(v) and v > 0)  # the means decide the scale
            ax.plot(xs, y, label=str(s), **st)
            if spread == "ci":
                ok = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)
                if ok.any():
                    ax.errorbar(xs[ok], y[ok], yerr=[y[ok] - lo[ok], hi[ok] - y[ok]], fmt="none", ecolor=st["color"],
                                elinewidth=1.2, capsize=4, capthick=1.2, alpha=0.85, gid="ci")
            elif spread == "band":
                ax.fill_between(xs, lo, hi, color=st["color"], alpha=0.18, linewidth=0, gid="ci")
            elif spread == "seeds":
                rows = d[d[s_col] == s]
                yv = rows[metric].to_numpy(dtype=float)
                ok = np.isfinite(yv)
                ax.plot(rows["_x"].to_numpy(dtype=float)[ok], yv[ok], linestyle="none", marker=st["marker"],
                        markersize=3.5, alpha=0.45, color=st["color"], gid="seeds")
            if metric in _SWAP_PANELS:
                marked["incomplete"] |= _mark(ax, xs, y, sub.get("n_incomplete"), sub["n"], "incomplete", st["color"])
                marked["violation"] |= _mark(ax, xs, y, sub.get("n_violating"), sub["n"], "violation", "red")
        ax.set_title(title, loc="left", fontsize="medium")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        spans.append(max(values) / min(values) if values else 1.0)
    use_log = log if log is not None else any(sp > 30 for sp in spans)
    xpos = np.asarray(xs_all, dtype=float)
    for ax in axes.flat:
        if use_log:
            ax.set_yscale("log")
            _plain_log_y(ax)
        else:
            ax.set_ylim(bottom=0)
        if x_ticklabels is None and len(xpos) and (xpos > 0).all() and xpos.max() / xpos.min() >= 4:
            ax.set_xscale("log", base=2)
        if len(xpos) <= 16:
            ax.set_xticks(xpos)
            ax.set_xticklabels(x_ticklabels if x_ticklabels is not None else [f"{v:g}" for v in xpos])
    for ax in axes[1]:
        ax.set_xlabel(axis_label(x_col))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if marked["incomplete"]:
        handles.append(Line2D([], [], marker="o", markersize=9, markerfacecolor="white",
                                               markeredgecolor="k", linestyle="none"))
        labels.append("swap not completed (k/n seeds; at the top: none did)")
    if marked["violation"]:
        handles.append(Line2D([], [], marker="X", markersize=9, color="red", linestyle="none"))
        labels.append("safety violation (k/n seeds)")
    axes[0, 0].legend(handles, labels, fontsize="small", title="strategy")
    fig.suptitle(_spread_text(spread, agg["n"], confidence, method), x=0.01, ha="left", fontsize="medium")
    return fig


class _PlainLogFormatter(matplotlib.ticker.LogFormatter):
    """Log-axis tick labels as plain numbers (80, 1.2k, 40k), minor ticks included where
    matplotlib labels them (narrow ranges), instead of 8×10^1."""

    def _num_to_string(self, x, vmin, vmax):
        return _fmt(x)


def _plain_log_y(ax):
    ax.yaxis.set_major_formatter(_PlainLogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def _spread_text(spread, n, confidence, method):
    n = [int(v) for v in n]
    lo, hi = (min(n), max(n)) if n else (0, 0)
    seeds = (f"{lo} seeds per point" if lo == hi else f"{lo}–{hi} seeds per point") if hi > 1 else "one run per point"
    if hi <= 1:
        return f"{seeds} (no spread to show)"
    what = {"ci": f"bars: {confidence:.0%} confidence interval of the mean",
            "band": f"band: {confidence:.0%} confidence interval of the mean",
            "seeds": "small points: each seed", "none": ""}[spread]
    if spread in ("ci", "band"):
        what += " (Student's t)" if method == "t" else " (percentile bootstrap)"
    return f"lines: mean over the seeds{'; ' + what if what else ''}; {seeds}"


def _mark(ax, xs, y, counts, n, gid, color):
    """Markers for the points where `counts` (per point) is not 0: hollow circles (gid
    "incomplete") or red crosses ("violation") at the point's mean, or at the top edge of the axes
    when it has none, labelled "k/n". True if any was drawn."""
    if counts is None:
        return False
    from matplotlib.transforms import blended_transform_factory
    top = blended_transform_factory(ax.transData, ax.transAxes)
    drawn = False
    for xv, yv, k, total in zip(xs, y, np.asarray(counts, dtype=float), np.asarray(n, dtype=float)):
        if not (np.isfinite(k) and k > 0):
            continue
        kw = (dict(marker="o", markersize=11, markerfacecolor="none", markeredgecolor=color, markeredgewidth=1.6)
              if gid == "incomplete" else dict(marker="X", markersize=9, color="red"))
        if np.isfinite(yv):
            ax.plot([xv], [yv], linestyle="none", gid=gid, zorder=5, **kw)
            ax.annotate(f"{int(k)}/{int(total)}", (xv, yv), xytext=(6, 6), textcoords="offset points",
                        fontsize="x-small", color=color, gid=gid)
        else:
            ax.plot([xv], [1.0], linestyle="none", gid=gid, zorder=5, transform=top, clip_on=False, **kw)
            ax.annotate(f"{int(k)}/{int(total)}", (xv, 1.0), xycoords=top, xytext=(6, -10),
                        textcoords="offset points", fontsize="x-small", color=color, gid=gid)
        drawn = True
    return drawn


# --- held_time_cdf -----------------------------------------------------------------------------------

def held_time_cdf(df, strategy_col=None, log=False):
    """The distribution, per strategy, of how long swaps held calls: an empirical CDF over every
    swap of the DataFrame (all points and seeds) of swap_blocked_cycles_max, the longest time one
    call was held by that swap (summary.json swaps[].blocked_cycles_max), in cycles.

    The results hold no per-call hold times (summary.json has per swap and per CPU only the
    number of held calls, their total and their maximum), so this is a CDF of per-swap maxima,
    not of held calls; the x label says so. A swap that held no call counts as 0 (the legend
    gives how many). A swap that did not complete may still hold calls at the run's end, so its
    maximum is a lower bound: hollow marker; a run with safety violations: red ×.

    `strategy_col` as in strategy_comparison; `log`: logarithmic x axis (the zeros then drop
    out of sight, not out of the fractions)."""
    from .stats import _false, _positive
    s_col = _pick(df, strategy_col, ["events[0].strategy", "strategy", "swap_strategy"], "strategy")
    col = "swap_blocked_cycles_max"
    if col not in df.columns:
        raise KeyError(f"column {col!r} missing: pass the DataFrame quiesce.sweep returns")
    present = list(dict.fromkeys(df[s_col]))
    order = strategy_order(present)
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    ax = fig.subplots()
    marked = dict(incomplete=False, violation=False)
    for s in [s for s in order if s in present]:
        rows = df[df[s_col] == s]
        v = rows[col].to_numpy(dtype=float)
        ok = np.isfinite(v)
        if not ok.any():
            continue
        v = v[ok]
        done = list(rows["swap_completed"][ok]) if "swap_completed" in rows.columns else [True] * len(v)
        viol = list(rows["violations"][ok]) if "violations" in rows.columns else [0] * len(v)
        order_idx = np.argsort(v, kind="stable")
        v = v[order_idx]
        n = len(v)
        frac = np.arange(1, n + 1) / n
        st = strategy_style(s, order)
        zeros = int((v == 0).sum())
        ax.step(np.concatenate([[v[0]], v]), np.concatenate([[0.0], frac]), where="post", color=st["color"],
                linestyle=st["linestyle"], linewidth=1.6, label=f"{s} ({n} swaps, {zeros} held no call)")
        for j, i in enumerate(order_idx):
            if _false(done[i]):
                ax.plot([v[j]], [frac[j]], linestyle="none", marker="o", markersize=9, markerfacecolor="none",
                        markeredgecolor=st["color"], markeredgewidth=1.5, gid="incomplete", zorder=5)
                marked["incomplete"] = True
            if _positive(viol[i]):
                ax.plot([v[j]], [frac[j]], linestyle="none", marker="X", markersize=8, color="red",
                        gid="violation", zorder=6)
                marked["violation"] = True
    handles, labels = ax.get_legend_handles_labels()
    if marked["incomplete"]:
        handles.append(Line2D([], [], marker="o", markersize=9, markerfacecolor="white",
                                               markeredgecolor="k", linestyle="none"))
        labels.append("swap not completed (its maximum is a lower bound)")
    if marked["violation"]:
        handles.append(Line2D([], [], marker="X", markersize=8, color="red", linestyle="none"))
        labels.append("safety violation")
    ax.legend(handles, labels, fontsize="small", title="strategy", loc="lower right")
    if log:
        ax.set_xscale("log")
    else:
        ax.set_xlim(left=-0.02 * max(ax.get_xlim()[1], 1.0))  # a step at 0 (no call held) stays visible
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("longest held call of each swap: swap_blocked_cycles_max (cycles)")
    ax.set_ylabel("fraction of swaps (all points and seeds)")
    ax.set_title("CDF of each swap's longest held call (the results have no per-call hold times)",
                 loc="left", fontsize="medium")
    ax.grid(alpha=0.3, which="both")
    return fig


# --- command line ------------------------------------------------------------------------------------

def write_pngs(results_dir, out_dir=None, dpi=110):
    """Write the plots of one results directory as PNGs; return their paths."""
    r = _result(results_dir)
    out = os.path.abspath(out_dir or r.out)
    os.makedirs(out, exist_ok=True)
    figs = []
    for i in range(len(r.summary.get("swaps", []))):
        figs.append(("swap_timeline.png" if i == 0 else f"swap_timeline_{i}.png", swap_timeline(r, swap=i)))
    with warnings.catch_warnings():  # coarse windows: the figure's title says so
        warnings.simplefilter("ignore", UserWarning)
        figs.append(("around_swap.png", around_swap(r)))
    figs.append(("contention.png", contention(r)))
    if r.decisions is not None:
        figs.append(("autonomic.png", autonomic(r)))
    paths = []
    for name, fig in figs:
        p = os.path.join(out, name)
        tmp = p + f".tmp{os.getpid()}.png"
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, p)
        paths.append(p)
    return paths


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m quiesce.plot",
                                 description="Write the plots of a quiesce results directory as PNGs "
                                             "(swap_timeline.png per swap, around_swap.png, contention.png, autonomic.png with policies) "
                                             "and print their paths.")
    ap.add_argument("results_dir")
    ap.add_argument("-o", "--out", help="where to write the PNGs (default: the results directory)")
    ap.add_argument("--dpi", type=int, default=110)
    a = ap.parse_args(argv)
    try:
        paths = write_pngs(a.results_dir, a.out, a.dpi)
    except FileNotFoundError as e:
        print(f"quiesce.plot: {e}", file=sys.stderr)
        return 2
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
