"""Plots of quiesce results. Every function returns a matplotlib Figure (not managed by pyplot:
display it in Jupyter by leaving it as a cell's value, save it with fig.savefig).

  swap_timeline(result, swap=0, unit="us")  per-CPU lanes of a swap's phases, blocked calls
  around_swap(result)                       throughput and call latency over time, phases shaded
  contention(result)                        which regions took the misses, invalidations, queueing
  strategy_comparison(df)                   a sweep over strategies x CPUs: swap time, fast path,
                                            throughput

`result` is a quiesce.Result or a results directory. From the shell,

  python3 -m quiesce.plot RESULTS_DIR [-o DIR]

writes swap_timeline.png (one per swap: swap_timeline.png, swap_timeline_1.png, ...; none without
swaps), around_swap.png and contention.png into RESULTS_DIR (or DIR) and prints their paths.
"""
import math
import os
import re
import sys

import matplotlib

if ("matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND")
        and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
        and "ipykernel" not in sys.modules):
    matplotlib.use("Agg")  # no display: render off-screen

import numpy as np
from matplotlib.figure import Figure as _MplFigure
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

__all__ = ["swap_timeline", "around_swap", "contention", "strategy_comparison", "region_group",
           "strategy_order", "strategy_style", "PHASE_COLORS", "STRATEGY_PALETTE", "main"]

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
    a phase that never ended runs to the end of the run, hatched), the swap's start, safe point
    and end as vertical lines, and beside it the calls held on each CPU (summary
    swaps[].cpus[].blocked) labelled with the longest hold (blocked_cycles_max).

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
        ax.broken_barh([(start * f, width)], (row.cpu - 0.35, 0.7), facecolors=color, label=label,
                       edgecolor="k" if open_ else color, linewidth=0.4, hatch="//" if open_ else None)
        x_lo, x_hi = min(x_lo, start * f), max(x_hi, end * f)
    # From the swap's start to its first phase: the swap's system thread waits for its CPU (FIFO,
    # non-preemptive scheduling); drawn as a thin bar on the CPU where the first phase began.
    if len(ph) and sw.get("start_cycle") is not None:
        first = ph.loc[ph["start_cycle"].idxmin()]
        if int(first["start_cycle"]) > int(sw["start_cycle"]):
            s0 = int(sw["start_cycle"])
            ax.broken_barh([(s0 * f, (int(first["start_cycle"]) - s0) * f)], (int(first["cpu"]) - 0.08, 0.16),
                           facecolors="0.55", label="swap thread waiting for its CPU")
    marks = [("swap start", sw.get("start_cycle"), "k", "--"),
             ("safe point", sw.get("safe_cycle"), "#d62728", ":"),
             ("swap end", sw.get("end_cycle"), "k", "-.")]
    for name, cyc, color, style in marks:
        if cyc:
            ax.axvline(cyc * f, color=color, linestyle=style, linewidth=1, label=name)
            x_lo, x_hi = min(x_lo, cyc * f), max(x_hi, cyc * f)
    if math.isfinite(x_lo):
        pad = max((x_hi - x_lo) * 0.04, 1e-6)
        ax.set_xlim(x_lo - pad, x_hi + pad)
    handles, labels = ax.get_legend_handles_labels()
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

def _phase_spans(r):
    """[(swap id, phase, start_us, end_us)]: each phase from its first start to its last end over
    the CPUs (unfinished: the end of the run)."""
    ph = r.phases
    end_run = r.summary["simulated"]["cycles"]
    spans = []
    if ph is None or ph.empty:
        return spans
    for (sid, phase), g in ph.groupby(["swap", "phase"], sort=False):
        ends = g["end_cycle"].where(g["end_cycle"] != 0, end_run)
        spans.append((sid, phase, r.cycles_to_us(g["start_cycle"].min()), r.cycles_to_us(ends.max())))
    return spans


def around_swap(result, percentiles=("p50", "p90", "p99")):
    """Throughput (calls per ms) and call latency percentiles (cycles) per calls.csv window over
    the run, with each swap's phases shaded (from the first CPU's start to the last CPU's end), the
    swaps' starts as dashed lines and the warmup greyed. Two axes sharing the time axis (µs)."""
    r = _result(result)
    c = r.calls
    mid = (c["start_us"] + c["end_us"]) / 2
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(mid, c["calls_per_ms"], drawstyle="steps-mid", color="k", label="calls/ms")
    for p in percentiles:
        col = f"latency_{p}_cycles"
        ax2.plot(mid, c[col], drawstyle="steps-mid", label=p)
    ax2.plot(mid, c["latency_mean_cycles"], drawstyle="steps-mid", linestyle="--", color="grey", label="mean")
    lat = c[[f"latency_{p}_cycles" for p in percentiles]].to_numpy(dtype=float)
    pos = lat[lat > 0]
    if pos.size and pos.max() / pos.min() > 50:
        ax2.set_yscale("log")
    warm = float(r.scenario.get("run", {}).get("warmup_us", 0) or 0)
    shaded = set()
    for ax in (ax1, ax2):
        if warm > 0:
            ax.axvspan(0, warm, color="0.85", alpha=0.5, label="warmup" if ax is ax1 else None)
        for sid, phase, t0, t1 in _phase_spans(r):
            label = phase if (ax is ax1 and phase not in shaded) else None
            if ax is ax1:
                shaded.add(phase)
            ax.axvspan(t0, max(t1, t0 + 1e-3), color=_phase_color(phase), alpha=0.3, label=label)
        for i, sw in enumerate(r.summary.get("swaps", [])):
            ax.axvline(r.cycles_to_us(sw["start_cycle"]), color="k", linestyle="--", linewidth=0.8,
                       label=("swap start" if i == 0 else None) if ax is ax1 else None)
        ax.grid(alpha=0.3)
    ax1.set_ylabel("throughput (calls/ms)")
    ax2.set_ylabel("call latency (cycles)")
    ax2.set_xlabel("time (µs)")
    ax1.set_title(f"{r.scenario.get('name', '')}: throughput and call latency per "
                  f"{_fmt(c['end_us'].iloc[0] - c['start_us'].iloc[0]) if len(c) else '?'} µs window",
                  loc="left", fontsize="medium")
    ax1.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    ax1.set_ylim(bottom=0)
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


def _heat(fig, ax, data, rows, cols, title, cmap, annotate=None, cbar_label=None, vmax=None):
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize="small")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=40, ha="right", fontsize="small")
    ax.set_title(title, loc="left", fontsize="medium")
    if annotate is not None:
        hi = np.nanmax(data) if np.size(data) else 0
        for i in range(len(rows)):
            for j in range(len(cols)):
                v = annotate[i][j]
                if v:
                    ax.text(j, i, _fmt(v), ha="center", va="center", fontsize="x-small",
                            color="white" if hi and data[i][j] > 0.6 * hi else "black")
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    if cbar_label:
        cb.set_label(cbar_label)
    return im


def contention(result, top=16):
    """Which regions took the coherence misses, invalidations and queueing. Regions are grouped
    with region_group (LTT.cpu* -> LTT, ...), and the `top` groups shown, by their share of the
    metrics.

    With a per-CPU region table (region_cpus.csv: region, cpu, the regions.csv counters): three
    heat maps, group x CPU, of misses, invalidations_received and queue_cycles (6 axes with their
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
        cpus = sorted(int(c) for c in rc["cpu"].unique())
        fig = Figure(figsize=(min(6 + 0.5 * len(cpus), 22), 1.5 + 0.38 * len(order) * 3), layout="constrained")
        axes = fig.subplots(len(PER_CPU_METRICS), 1)
        for ax, metric in zip(axes, PER_CPU_METRICS):
            table = g[metric].unstack("cpu").reindex(index=order, columns=cpus).fillna(0)
            labels = [f"{k} (×{n[k]})" if n.get(k, 1) > 1 else k for k in order]
            _heat(fig, ax, table.to_numpy(dtype=float), labels, [f"cpu {c}" for c in cpus],
                  f"{name}: {metric} by region and CPU", "viridis",
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
          f"metric's total, label: value)", "Reds", annotate=vals.to_numpy(), cbar_label="share of total",
          vmax=1.0)
    ax.set_xlabel("coherence counter (regions.csv)")
    ax.set_ylabel("region group")
    return fig


# --- strategy_comparison -----------------------------------------------------------------------------

def _pick(df, given, candidates, what):
    if given is not None:
        if given not in df.columns:
            raise KeyError(f"{what} column {given!r} not in the DataFrame")
        return given
    for c in candidates:
        if c in df.columns:
            return c
    raise KeyError(f"no {what} column (tried {', '.join(candidates)}); pass {what}_col=")


def strategy_comparison(df, strategy_col=None, cpus_col=None, log=None):
    """A sweep over quiescence strategies and CPU counts (quiesce.sweep's DataFrame): four axes,
    each with one line per strategy against the number of CPUs, in the simulator's registry order
    (quiesce.strategies()), each strategy in the colour of its registry position (strategy_style):
    time to the safe point (µs), the whole swap (µs), fast-path cycles per call (before the swap)
    and throughput (calls per ms, before the swap). Points with the same strategy and CPU count
    (several seeds) are averaged; a swap that did not complete leaves a gap.

    The strategy column is `strategy_col` or the first of "events[0].strategy", "strategy",
    "swap_strategy"; the CPU column `cpus_col` or "machine.cpus", "cpus". `log`: logarithmic y
    axes (True/False); None (default) makes an axis logarithmic when its values span more than 30x."""
    s_col = _pick(df, strategy_col, ["events[0].strategy", "strategy", "swap_strategy"], "strategy")
    c_col = _pick(df, cpus_col, ["machine.cpus", "cpus"], "cpus")
    panels = [("swap_us_to_safe_point", "time to safe point (µs)", "Time to the safe point"),
              ("swap_us", "whole swap (µs)", "Whole swap (start to end)"),
              ("fast_path_cycles_per_call", "cycles per call", "Fast path: a call before the swap"),
              ("throughput_calls_per_ms", "calls/ms", "Throughput before the swap")]
    for m, _, _ in panels:
        if m not in df.columns:
            raise KeyError(f"column {m!r} missing: pass the DataFrame quiesce.sweep returns")
    d = df.copy()
    d[c_col] = d[c_col].astype(float)
    agg = d.groupby([s_col, c_col])[[m for m, _, _ in panels]].mean(numeric_only=True)
    present = list(dict.fromkeys(d[s_col]))
    order = strategy_order(present)  # registry order: colours and styles by registry position
    strategies = [s for s in order if s in present]
    cpus = sorted(d[c_col].unique())
    fig = Figure(figsize=(12, 8.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (metric, ylabel, title) in zip(axes.flat, panels):
        values = []
        for s in strategies:
            sub = agg.loc[s] if s in agg.index.get_level_values(0) else None
            if sub is None:
                continue
            y = sub[metric].to_numpy(dtype=float)
            values.extend(v for v in y if np.isfinite(v) and v > 0)
            ax.plot(sub.index.to_numpy(), y, label=str(s), **strategy_style(s, order))
        ax.set_title(title, loc="left", fontsize="medium")
        ax.set_ylabel(ylabel)
        ax.set_xscale("log", base=2)
        ax.set_xticks(cpus)
        ax.set_xticklabels([f"{c:g}" for c in cpus])
        ax.grid(alpha=0.3, which="both")
        use_log = log if log is not None else (bool(values) and max(values) / min(values) > 30)
        if use_log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
    for ax in axes[1]:
        ax.set_xlabel("CPUs")
    axes[0, 0].legend(fontsize="small", title="strategy")
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
    figs.append(("around_swap.png", around_swap(r)))
    figs.append(("contention.png", contention(r)))
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
                                             "(swap_timeline.png per swap, around_swap.png, contention.png) "
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
