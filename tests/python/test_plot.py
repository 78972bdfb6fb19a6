"""quiesce.plot: each figure has the axes, labels and series it promises (axis names of sweep keys,
one y scale per figure, confidence intervals, markers for incomplete swaps and violations), and
`python3 -m quiesce.plot DIR` writes the PNGs."""
import json
import math
import os
import subprocess
import sys

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest

import quiesce
from quiesce import plot
from conftest import K42_SMALL, K42_SWAP, as_older_results, small_scenario

STRATEGIES = ["k42_generation", "global_refcount", "percpu_refcount"]


@pytest.fixture(scope="module")
def k42(tmp_path_factory):
    return quiesce.run(K42_SWAP, set=K42_SMALL, out=tmp_path_factory.mktemp("k42") / "out")


@pytest.fixture(scope="module")
def unfinished(tmp_path_factory):
    """A swap that never completes: a long-lived thread that never declares quiescence holds
    k42_generation in Forward."""
    return quiesce.run(os.path.join(os.path.dirname(K42_SWAP), "compare", "long_lived.yaml"),
                       set={"run.duration_us": 200}, out=tmp_path_factory.mktemp("ll") / "out")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    return quiesce.sweep(small_scenario(cpus=1), {"events[0].strategy": STRATEGIES, "machine.cpus": [1, 2, 4]},
                         cache_dir=tmp_path_factory.mktemp("cache"), progress=False)


def legend_texts(ax):
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_swap_timeline(k42):
    fig = plot.swap_timeline(k42)
    assert len(fig.axes) == 2
    ax, axb = fig.axes
    assert ax.get_xlabel() == "time (µs)" and ax.get_ylabel() == "CPU"
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"cpu {c} (worker)" for c in range(4)]
    phases = k42.phases[k42.phases["swap"] == 0]
    bars = [c for c in ax.collections if c.get_gid() == "phase"]
    assert len(bars) == len(phases)  # one bar per CPU and phase
    # Under them, where the time went: per activity, bars as long as activity.csv's stretches.
    act = k42.activity[k42.activity["swap"] == 0]
    for what, g in act.groupby("activity"):
        strips = [c for c in ax.collections if c.get_gid() == f"activity:{what}"]
        widths = sum(float(np.ptp(path.vertices[:, 0])) for c in strips for path in c.get_paths())
        assert widths == pytest.approx(g["cycles"].sum() / 2000, rel=1e-6), what
    labels = legend_texts(ax)
    for p in ["interpose", "forward", "block", "transfer", "complete", "swap start", "safe point", "swap end",
              "the mechanism working", "waiting for the CPU", "waiting for other CPUs"]:
        assert p in labels, p
    # The x range covers the swap, in µs.
    sw = k42.summary["swaps"][0]
    lo, hi = ax.get_xlim()
    assert lo <= sw["start_cycle"] / 2000 and hi >= sw["end_cycle"] / 2000
    # Blocked calls per CPU, as in summary swaps[0].cpus.
    heights = [p.get_width() for p in axb.patches]
    assert heights == [c["blocked"] for c in sw["cpus"]]
    assert axb.get_xlabel() == "calls held"
    assert "k42_generation" in fig._suptitle.get_text()


def test_swap_timeline_in_cycles_and_unfinished(unfinished):
    fig = plot.swap_timeline(unfinished, unit="cycles")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time (cycles)"
    assert "unfinished (to run end)" in legend_texts(ax)
    assert "NOT completed" in fig._suptitle.get_text()
    assert any(t.get_text().endswith("held at end)") for t in fig.axes[1].texts)


def test_swap_timeline_needs_a_swap(tmp_path):
    s = small_scenario()
    del s["events"]
    r = quiesce.run(s, out=tmp_path / "o")
    with pytest.raises(ValueError, match="no swaps"):
        plot.swap_timeline(r)


def swap_span_us(r):
    sw = r.summary["swaps"][0]
    return sw["start_cycle"] / 2000, sw["end_cycle"] / 2000


def test_around_swap(k42):
    start, end = swap_span_us(k42)
    with pytest.warns(UserWarning, match="coarser than the swap"):  # 25 us windows, no timeline: calls.csv's
        fig = plot.around_swap(k42)
    assert len(fig.axes) == 3
    lanes, ax1, ax2 = fig.axes
    assert ax1.get_ylabel() == "throughput (calls/ms)"
    assert ax2.get_ylabel() == "call latency (cycles)" and ax2.get_xlabel() == "time (µs)"
    assert [l.get_label() for l in ax1.get_lines()][:1] == ["calls/ms"]
    assert [l.get_label() for l in ax2.get_lines()][:4] == ["p50", "p90", "p99", "mean"]
    n = len(k42.calls)
    assert all(len(l.get_xdata()) == n for l in ax2.get_lines()[:4])
    assert list(ax1.get_lines()[0].get_ydata()) == list(k42.calls["calls_per_ms"])
    for p in ["warmup", "swap 0", "swap start"]:
        assert p in legend_texts(ax1), p
    # A lane per CPU, labelled, each with the phases that CPU went through, in the phases' colours.
    assert [t.get_text() for t in lanes.get_yticklabels()] == [f"cpu {c}" for c in range(4)]
    for p in ["interpose", "forward", "block", "transfer", "complete"]:
        assert p in legend_texts(lanes), p
    ph = k42.phases[k42.phases["swap"] == 0]
    got = sorted(c.get_gid() for c in lanes.collections)
    assert got == sorted(f"lane:{row.cpu}:{row.phase}" for row in ph.itertuples())
    for c in lanes.collections:
        assert matplotlib.colors.to_hex(c.get_facecolor()[0]) == plot.PHASE_COLORS[c.get_gid().split(":")[2]]
    # The view is around the swap, not the whole run.
    lo, hi = ax1.get_xlim()
    assert lo <= start and hi >= end and hi - lo < 0.8 * k42.summary["simulated"]["us"]
    with pytest.warns(UserWarning):
        assert plot.around_swap(k42, whole_run=True).axes[1].get_xlim()[0] < 0  # the whole run, margins


def test_around_swap_windows_no_coarser_than_the_swap(tmp_path):
    # k42-swap.yaml's 25 us windows are coarser than its swap (about 6 us): from the timeline, finer ones.
    r = quiesce.run(K42_SWAP, out=tmp_path / "t", trace_out=tmp_path / "t.json")
    start, end = swap_span_us(r)
    assert r.calls["end_us"].iloc[0] - r.calls["start_us"].iloc[0] > end - start
    fig = plot.around_swap(r)
    xs = fig.axes[1].get_lines()[0].get_xdata()
    window = xs[1] - xs[0]
    assert window <= (end - start) / 4
    assert "(the timeline)" in fig.axes[0].get_title(loc="left")
    # Its windows count the calls calls.csv counts (those ending in them), over the run.
    whole = plot.around_swap(r, window_us=25, whole_run=True)
    counts = np.array(whole.axes[1].get_lines()[0].get_ydata()) * 25 / 1e3
    assert abs(counts.sum() - r.calls["calls"].sum()) <= r.summary["swaps"][0]["workers"] * 8
    # Without a timeline: calls.csv's windows, a warning and a note in the title.
    with pytest.warns(UserWarning, match="coarser than the swap"):
        fig = plot.around_swap(quiesce.load(r.out))
    assert "windows coarser than the swap" in fig.axes[0].get_title(loc="left")


def test_swap_timeline_marks_stand_out(k42):
    ax = plot.swap_timeline(k42).axes[0]
    safe = [l for l in ax.get_lines() if l.get_gid() == "safe point"]
    assert len(safe) == 1
    color = matplotlib.colors.to_hex(safe[0].get_color())
    assert color not in {matplotlib.colors.to_hex(c) for c in plot.PHASE_COLORS.values()}
    assert color not in {matplotlib.colors.to_hex(c) for c, _ in plot.ACTIVITY_STYLE.values()}
    assert safe[0].get_linestyle() == "-" and safe[0].get_path_effects()  # solid, with a halo
    others = {l.get_gid(): l.get_linestyle() for l in ax.get_lines() if l.get_gid() in ("swap start", "swap end")}
    assert others == {"swap start": "--", "swap end": "-."}


def test_waiting_for_the_cpu_is_drawn_on_the_cpu_that_waited(tmp_path):
    # The timeline says independently when each swap thread ran on which CPU: every stretch of
    # "waiting for the CPU" drawn on CPU c ends when a swap thread begins running on CPU c.
    import json
    r = quiesce.run(K42_SWAP, set=K42_SMALL, out=tmp_path / "w", trace_out=tmp_path / "w.json")
    runs = [(e["pid"], e["ts"]) for e in json.loads((tmp_path / "w.json").read_text())["traceEvents"]
            if e.get("cat") == "thread" and e["args"]["what"].startswith("swap ")]
    ax = plot.swap_timeline(r).axes[0]
    strips = [c for c in ax.collections if c.get_gid() == "activity:cpu"]
    checked = 0
    for c in strips:
        for path in c.get_paths():
            x0, x1 = path.vertices[:, 0].min(), path.vertices[:, 0].max()
            cpu = round(path.vertices[:, 1].min() - 0.16)
            if x1 >= r.summary["swaps"][0]["end_cycle"] / 2000:
                continue
            assert any(p == cpu and x1 - 0.2 <= ts <= x1 for p, ts in runs), (cpu, x0, x1)
            checked += 1
    assert checked >= 4  # each CPU's worker waited for its CPU


def test_contention_labels_read_on_any_cell(k42):
    fig = plot.contention(k42)
    for ax in fig.axes[:3]:
        im = ax.get_images()[0]
        assert isinstance(im.norm, matplotlib.colors.LogNorm)  # no region dominates the scale
        data = im.get_array()
        for t in ax.texts:
            j, i = (round(v) for v in t.get_position())
            cell = (1, 1, 1, 1) if np.ma.is_masked(data[i, j]) else im.cmap(im.norm(data[i, j]))
            lum = plot._luminance(cell)
            # where contrast with black, (L + 0.05) / 0.05, equals that with white, 1.05 / (L + 0.05): L = 0.179
            want = "black" if lum >= (0.05 * 1.05) ** 0.5 - 0.05 else "white"
            assert t.get_color() == want, (t.get_text(), cell)
        colors = {t.get_color() for t in ax.texts}
        if ax is fig.axes[0]:
            assert colors == {"black", "white"}  # misses: both bright and dark cells are labelled


def test_contention_without_per_cpu_regions(k42, tmp_path):
    import shutil
    d = tmp_path / "r"
    shutil.copytree(k42.out, d)
    if (d / "region_cpus.csv").exists():  # a simulator that writes the per-CPU table
        (d / "region_cpus.csv").unlink()
        as_older_results(d)
    fig = plot.contention(quiesce.load(d))
    assert len(fig.axes) == 2  # the heat map and its colour bar
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert "misses" in cols and "invalidations_received" in cols and "queue_cycles" in cols
    assert "LTT (×4)" in rows and "GTT" in rows and "cache.rep" in rows
    assert not any(".cpu" in r for r in rows)  # per-CPU regions are grouped
    # the file cache's state and the generation token take most of the misses (on 4 CPUs, 200 us, within 5%
    # of each other: either may lead)
    assert set(rows[:2]) == {"cache.rep", "generation.token"}


def test_region_groups():
    g = plot.region_group
    assert g("LTT.cpu3") == "LTT" and g("mediator.cache.rep.cpu12") == "mediator.cache.rep"
    assert g("generation.cpu0") == "generation" and g("generation.token") == "generation.token"
    assert g("global_refcount.counts") == "global_refcount.counts" and g("obj.rep") == "obj.rep"
    assert g("ObjV1.vtable") == "vtables" and g("files[3].rep") == "files[*].rep"


def test_contention_with_per_cpu_regions(k42, tmp_path):
    # region_cpus.csv (region, cpu, the regions.csv counters): the simulator's, or one made from
    # regions.csv where the simulator does not write it.
    import shutil
    d = tmp_path / "r"
    shutil.copytree(k42.out, d)
    if not (d / "region_cpus.csv").exists():
        regions = k42.regions
        counters = [c for c in regions.columns if c not in ("region", "start", "bytes", "parts")]
        lines = ["region,cpu," + ",".join(counters)]
        for row in regions.itertuples(index=False):
            for cpu in range(4):
                vals = [int(getattr(row, c)) // 4 + (cpu if c == "misses" else 0) for c in counters]
                lines.append(f"{row.region},{cpu}," + ",".join(map(str, vals)))
        (d / "region_cpus.csv").write_text("\n".join(lines) + "\n")
        as_older_results(d)
    r = quiesce.load(d)
    assert r.region_cpus is not None
    fig = plot.contention(r)
    assert len(fig.axes) == 6  # three heat maps and their colour bars
    heat = fig.axes[:3]
    titles = [ax.get_title(loc="left") for ax in heat]
    for metric, t in zip(["misses", "invalidations_received", "queue_cycles"], titles):
        assert metric in t
    for ax in heat:
        assert [t.get_text() for t in ax.get_xticklabels()] == [f"cpu {c}" for c in range(4)]
        assert "LTT (×4)" in [t.get_text() for t in ax.get_yticklabels()]


def test_contention_keeps_a_cpu_without_rows(k42, tmp_path):
    # region_cpus.csv lists only the (region, CPU) pairs with a count: a CPU with none is still a
    # column of the heat maps (zeros), and the loader reads the sparse table as it is.
    import shutil
    d = tmp_path / "r"
    shutil.copytree(k42.out, d)
    rows = (d / "region_cpus.csv").read_text().splitlines()
    kept = [rows[0]] + [l for l in rows[1:] if l.split(",")[1] != "2"]
    assert len(kept) < len(rows)
    (d / "region_cpus.csv").write_text("\n".join(kept) + "\n")
    manifest = json.loads((d / "manifest.json").read_text())  # the edit, as the simulator would list it
    for f in manifest["files"]:
        if f["name"] == "region_cpus.csv":
            f["bytes"] = (d / "region_cpus.csv").stat().st_size
    (d / "manifest.json").write_text(json.dumps(manifest))
    r = quiesce.load(d)
    assert 2 not in set(r.region_cpus["cpu"]) and len(r.region_cpus) == len(kept) - 1
    fig = plot.contention(r)
    for ax in fig.axes[:3]:
        assert [t.get_text() for t in ax.get_xticklabels()] == [f"cpu {c}" for c in range(4)]
        data = ax.get_images()[0].get_array()
        assert data.shape[1] == 4 and not data[:, 2].any() and data[:, 1].any()


def lines(ax):
    """The labelled lines of an axes (one per strategy): not error bars, markers or seeds."""
    return [l for l in ax.get_lines() if not l.get_label().startswith("_") and l.get_gid() is None]


FAST_PATH_NO_IO = "cycles per call\n(mean entry-to-return latency before\nthe swap; no I/O waits in these runs)"


def test_strategy_comparison(comparison):
    fig = plot.strategy_comparison(comparison)
    assert len(fig.axes) == 4
    ylabels = [ax.get_ylabel() for ax in fig.axes]
    assert ylabels == ["time to safe point (µs)", "whole swap (µs)", FAST_PATH_NO_IO, "calls/ms"]
    assert fig.axes[2].get_title(loc="left") == "Fast path: a call before the swap"
    registry = [s["name"] for s in quiesce.strategies()]
    shown = [s for s in registry if s in STRATEGIES]  # in registry order
    assert sorted(shown) == sorted(STRATEGIES)
    for ax in fig.axes:
        assert [l.get_label() for l in lines(ax)] == shown
        for line in lines(ax):
            assert list(line.get_xdata()) == [1, 2, 4]
            # The colour of the strategy's registry position, whichever strategies the plot shows.
            i = registry.index(line.get_label())
            assert line.get_color() == plot.STRATEGY_PALETTE[i % len(plot.STRATEGY_PALETTE)]
    assert [ax.get_xlabel() for ax in fig.axes[2:]] == ["CPUs", "CPUs"]
    assert legend_texts(fig.axes[0]) == shown  # no incomplete swap, no violation: no marker entries
    assert len({ax.get_yscale() for ax in fig.axes}) == 1
    # The series are the DataFrame's values (one run per point: the means are the values).
    fp = lines(fig.axes[2])[shown.index("global_refcount")].get_ydata()
    want = comparison[comparison["events[0].strategy"] == "global_refcount"].sort_values("machine.cpus")
    assert list(fp) == pytest.approx(list(want["fast_path_cycles_per_call"]))
    assert "one run per point" in fig._suptitle.get_text()
    with pytest.raises(KeyError):
        plot.strategy_comparison(comparison.drop(columns=["machine.cpus"]))
    with pytest.raises(ValueError, match="spread"):
        plot.strategy_comparison(comparison, spread="violin")


def test_a_strategy_keeps_its_colour_in_a_smaller_plot(comparison):
    last = STRATEGIES[-1]
    fig = plot.strategy_comparison(comparison[comparison["events[0].strategy"] == last])
    (line,) = lines(fig.axes[0])
    assert line.get_label() == last
    assert line.get_color() == plot.strategy_style(last)["color"]
    registry = plot.strategy_order()
    assert line.get_color() == plot.STRATEGY_PALETTE[registry.index(last) % len(plot.STRATEGY_PALETTE)]
    # A name the registry does not list comes after it.
    assert plot.strategy_order(["no_such_strategy", last]) == registry + ["no_such_strategy"]


# --- seeds, intervals, markers, labels ----------------------------------------------------------------

def synthetic(io_blocks=0):
    """A hand-made sweep over threads (not CPUs): two strategies x 1, 2, 4 threads x 3 seeds.
    k42_generation: at 2 threads one seed's swap did not complete; at 4 none did. counter_threshold:
    from 2 threads one seed's run had violations. Fast path and throughput span < 30x, the swap
    times more than 30x."""
    rows = []
    for s, base in [("k42_generation", 40.0), ("counter_threshold", 1.0)]:
        for c in (1, 2, 4):
            for seed in (1, 2, 3):
                done = not (s == "k42_generation" and (c == 4 or (c == 2 and seed == 1)))
                viol = 2 if s == "counter_threshold" and c >= 2 and seed == 1 else 0
                v = base * c * (1 + 0.1 * seed)
                rows.append({"events[0].strategy": s, "workloads.clients.threads": c, "seed": seed,
                             "swap_us_to_safe_point": v if done else np.nan, "swap_us": v * 1.1 if done else np.nan,
                             "fast_path_cycles_per_call": 80.0 + seed, "throughput_calls_per_ms": 1000.0 * c + seed,
                             "swap_completed": done, "violations": viol, "swap_violations": viol,
                             "io_blocks": io_blocks, "swap_blocked_cycles_max": 100.0 * seed * c})
    df = pd.DataFrame(rows)
    df.attrs.update(quiesce_params=["events[0].strategy", "workloads.clients.threads"], quiesce_seed="seed")
    return df


def gid_artists(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_axis_labels_of_sweep_keys():
    assert plot.axis_label("machine.cpus") == "CPUs"
    assert plot.axis_label("workloads.clients.threads") == "threads of clients (per CPU)"
    assert plot.axis_label("workloads.w.think_us") == "think time of w (µs)"
    assert plot.axis_label("events[0].at_us") == "time of events[0] (µs)"
    assert plot.axis_label("run.duration_us") == "run duration (µs)"
    assert plot.axis_label("hotswap.poll_us") == "hotswap.poll_us (µs)"  # the registry's unit
    assert plot.axis_label("hotswap.strategies.counter_threshold.threshold_calls") == "threshold_calls of " \
        "counter_threshold (calls)"
    assert plot.axis_label("implementations.V1.methods.get.instructions") == "instructions of V1.get"
    assert plot.axis_label("objects.files.count") == "instances of files"
    assert plot.axis_label("some.new_key") == "some.new_key"  # unknown: the key itself
    assert plot.axis_label("some.delay_us") == "some.delay_us (µs)"
    for key in ["workloads.clients.threads", "workloads.cpus", "objects.x.count", "some.new_key"]:
        assert "CPUs" not in plot.axis_label(key)


def test_intervals_markers_labels_and_one_scale():
    df = synthetic()
    fig = plot.strategy_comparison(df, x="workloads.clients.threads")
    axes = fig.axes
    assert [ax.get_xlabel() for ax in axes[2:]] == ["threads of clients (per CPU)"] * 2
    assert [ax.get_yscale() for ax in axes] == ["log"] * 4  # the swap times span > 30x: every panel
    assert [ax.get_yscale() for ax in plot.strategy_comparison(df, x="workloads.clients.threads",
                                                               log=False).axes] == ["linear"] * 4
    assert "95% confidence interval of the mean (Student's t); 3 seeds per point" in fig._suptitle.get_text()
    # The error bars are aggregate's t intervals of the mean.
    a = quiesce.aggregate(df, by=["events[0].strategy", "workloads.clients.threads"])
    ax = axes[3]  # throughput: every point has three values
    want = a[a["events[0].strategy"] == "counter_threshold"]
    segments = [seg for cont in ax.containers for seg in cont.lines[2][0].get_segments()]  # ErrorbarContainer
    assert len(segments) == 6
    lows = sorted(round(seg[0][1], 6) for seg in segments)
    assert all(round(v, 6) in lows for v in want["throughput_calls_per_ms_ci_low"])
    # Incomplete swaps: hollow markers in the swap panels (at the top edge where none completed),
    # labelled k/n; violations: red crosses; both in the legend.
    for ax in axes[:2]:
        hollow = [a for a in gid_artists(ax, "incomplete") if hasattr(a, "get_markerfacecolor")]
        assert len(hollow) == 2 and all(h.get_markerfacecolor() == "none" for h in hollow)
        top = [h for h in hollow if not h.get_clip_on()]
        assert len(top) == 1 and list(top[0].get_ydata()) == [1.0] and list(top[0].get_xdata()) == [4.0]
        texts = sorted(t.get_text() for t in gid_artists(ax, "incomplete") if hasattr(t, "get_text"))
        assert texts == ["1/3", "3/3"]
        crosses = [a for a in gid_artists(ax, "violation") if hasattr(a, "get_marker")]
        assert len(crosses) == 2 and all(c.get_marker() == "X" and c.get_color() == "red" for c in crosses)
    for ax in axes[2:]:
        assert not gid_artists(ax, "incomplete") and not gid_artists(ax, "violation")
    labels = legend_texts(axes[0])
    assert labels[:2] == ["k42_generation", "counter_threshold"]
    assert any(t.startswith("swap not completed") for t in labels)
    assert any(t.startswith("safety violation") for t in labels)
    # The means of the swap panels leave the incomplete seeds out.
    k42 = lines(axes[0])[0]
    assert k42.get_ydata()[1] == pytest.approx(40 * 2 * 1.25)  # seeds 2 and 3: (1.2 + 1.3) / 2
    assert math.isnan(k42.get_ydata()[2])
    # Another parameter varying within a point must be chosen, not averaged over.
    with pytest.raises(ValueError, match="varies"):
        plot.strategy_comparison(df.assign(**{"machine.cpus": 1}), x="machine.cpus")


def test_spreads_and_fast_path_label():
    df = synthetic()
    seeds = plot.strategy_comparison(df, x="workloads.clients.threads", spread="seeds")
    pts = [l for l in seeds.axes[3].get_lines() if l.get_gid() == "seeds"]
    assert sum(len(l.get_xdata()) for l in pts) == len(df)  # every seed as a point
    assert "small points: each seed" in seeds._suptitle.get_text()
    band = plot.strategy_comparison(df, x="workloads.clients.threads", spread="band")
    assert len([c for c in band.axes[3].collections if c.get_gid() == "ci"]) == 2
    assert not band.axes[3].containers
    # The fast-path panel says what the column is: with I/O waits it is not the fast path.
    io = plot.strategy_comparison(synthetic(io_blocks=5), x="workloads.clients.threads")
    assert "I/O waits included" in io.axes[2].get_ylabel() and "not the fast path" in io.axes[2].get_title(loc="left")
    assert plot.strategy_comparison(df, x="workloads.clients.threads").axes[2].get_ylabel() == FAST_PATH_NO_IO


def test_held_time_cdf():
    df = synthetic()
    fig = plot.held_time_cdf(df)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "longest held call of each swap: swap_blocked_cycles_max (cycles)"
    assert ax.get_ylabel() == "fraction of swaps (all points and seeds)"
    steps = lines(ax)
    assert [l.get_label() for l in steps] == ["k42_generation (9 swaps, 0 held no call)",
                                              "counter_threshold (9 swaps, 0 held no call)"]
    for line in steps:
        assert line.get_ydata()[0] == 0.0 and line.get_ydata()[-1] == 1.0
        assert list(line.get_xdata()[1:]) == sorted(line.get_xdata()[1:])
    assert len([a for a in gid_artists(ax, "incomplete")]) == 4  # k42: 1 at 2 threads, 3 at 4
    assert len([a for a in gid_artists(ax, "violation")]) == 2
    assert "swap not completed (its maximum is a lower bound)" in legend_texts(ax)


def test_seeded_comparison_from_a_sweep(tmp_path):
    df = quiesce.sweep(small_scenario(cpus=1), {"events[0].strategy": STRATEGIES[:2]},
                       zip={"workloads.clients.threads": [1, 3]}, seeds=2, cache_dir=tmp_path / "c", progress=False)
    fig = plot.strategy_comparison(df, x="workloads.clients.threads")
    assert [ax.get_xlabel() for ax in fig.axes[2:]] == ["threads of clients (per CPU)"] * 2
    assert fig.axes[2].get_ylabel() == FAST_PATH_NO_IO  # io_blocks is 0 in these runs
    assert "2 seeds per point" in fig._suptitle.get_text()
    assert len({ax.get_yscale() for ax in fig.axes}) == 1
    assert plot.held_time_cdf(df).axes[0].get_xlabel().startswith("longest held call of each swap")


def test_python_m_quiesce_plot_writes_pngs(k42, tmp_path):
    import shutil
    d = tmp_path / "res"
    shutil.copytree(k42.out, d)
    p = subprocess.run([sys.executable, "-m", "quiesce.plot", str(d)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    names = ["swap_timeline.png", "around_swap.png", "contention.png"]
    assert p.stdout.splitlines() == [str(d / n) for n in names]
    for n in names:
        assert (d / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_python_m_quiesce_plot_without_swaps(tmp_path):
    s = small_scenario()
    del s["events"]
    r = quiesce.run(s, out=tmp_path / "o")
    p = subprocess.run([sys.executable, "-m", "quiesce.plot", str(r.out), "-o", str(tmp_path / "png")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [str(tmp_path / "png" / n) for n in ["around_swap.png", "contention.png"]]
    bad = subprocess.run([sys.executable, "-m", "quiesce.plot", str(tmp_path)], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "no summary.json" in bad.stderr


def test_autonomic_marks_every_decision(tmp_path):
    """scenarios/autonomic.yaml: Result.decisions and .policy_windows, the headline's decision columns, and
    plot.autonomic: throughput, one dashed line per decision on every axis, one axis per policy with its
    monitored value against its threshold; `python3 -m quiesce.plot` adds autonomic.png."""
    r = quiesce.run(os.path.join(os.path.dirname(K42_SWAP), "autonomic.yaml"), out=tmp_path / "auto")
    d, w = r.decisions, r.policy_windows
    assert list(d["policy"]) == ["scale_out", "scale_in"] and list(d["to"]) == ["FileCachePerCpu", "FileCache"]
    assert set(w["policy"]) == {"scale_out", "scale_in"} and (w["state"] == "fired").sum() == 2
    m = r.metrics
    assert m["decisions"] == 2 and m["decision0_policy"] == "scale_out" and m["decision1_to"] == "FileCache"
    assert m["decision0_us"] == pytest.approx(d["us"][0]) and m["decision1_completed"]
    fig = plot.autonomic(r)
    axes = fig.axes
    assert len(axes) == 3 and axes[0].get_ylabel() == "throughput (calls/ms)"
    assert [a.get_ylabel() for a in axes[1:]] == ["scale_out", "scale_in"]
    for a in axes:
        lines = [l for l in a.get_lines() if l.get_linestyle() == "--"]
        assert sorted(l.get_xdata()[0] for l in lines) == pytest.approx(sorted(d["us"]))
    assert "policies' decisions (2)" in axes[0].get_title(loc="left")
    assert any(t.get_text().startswith("scale_out -> FileCachePerCpu") for t in axes[0].texts)
    p = subprocess.run([sys.executable, "-m", "quiesce.plot", str(r.out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == str(r.out / "autonomic.png")
    plain = quiesce.run(K42_SWAP, set=K42_SMALL, out=tmp_path / "k42")
    assert plain.decisions is None and "decisions" not in plain.metrics
    with pytest.raises(ValueError, match="no policies"):
        plot.autonomic(plain)


UPDATE_POLICY = """
machine: {cpus: 4}
implementations:
  Cache: {state_bytes: 256, methods: {put: {instructions: 40, state_atomics: 1}}}
  CacheV2: {class: Cache, version: 2, state_bytes: 256, methods: {put: {instructions: 30, state_atomics: 1}}}
objects:
  cache: {implementation: Cache, count: 3}
workloads:
  base: {kind: closed, cpus: [0], think_us: 10, mix: [{object: cache, method: put}]}
  burst: {kind: closed, cpus: all, threads: 2, think_us: 1, start_us: 100, stop_us: 300, mix: [{object: cache, method: put}]}
policies:
  up:
    monitor: {object: cache, metric: calls_per_ms, window_us: 20}
    when: {above: 4000, windows: 2}
    action: {update: Cache, to_version: 2}
run: {duration_us: 500, seed: 7}
"""


def test_update_decisions_load(tmp_path):
    """A policy's update action: Result.decisions has its action, class, version and mode (a swap's row has
    none), the headline counts it, plot.autonomic marks it."""
    path = tmp_path / "upd.yaml"
    path.write_text(UPDATE_POLICY)
    r = quiesce.run(str(path), out=tmp_path / "upd")
    d = r.decisions
    assert list(d["action"]) == ["update"] and list(d["class"]) == ["Cache"] and list(d["to_version"]) == [2]
    assert list(d["mode"]) == ["eager"] and list(d["to"]) == ["CacheV2"] and d["swaps"][0] == "0;1;2"
    assert r.metrics["decisions"] == 1 and r.metrics["decision0_to"] == "CacheV2"
    fig = plot.autonomic(r)
    assert any(t.get_text().startswith("up -> CacheV2") for t in fig.axes[0].texts)
