"""quiesce.plot: each figure has the axes, labels and series it promises, and
`python3 -m quiesce.plot DIR` writes the PNGs."""
import os
import subprocess
import sys

import pytest

import quiesce
from quiesce import plot
from conftest import K42_SMALL, K42_SWAP, small_scenario

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
    bars = [c for c in ax.collections if c.get_label() != "swap thread waiting for its CPU"]
    assert len(bars) == len(phases)  # one bar per CPU and phase
    labels = legend_texts(ax)
    for p in ["interpose", "forward", "block", "transfer", "complete", "swap start", "safe point", "swap end"]:
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


def test_around_swap(k42):
    fig = plot.around_swap(k42)
    assert len(fig.axes) == 2
    ax1, ax2 = fig.axes
    assert ax1.get_ylabel() == "throughput (calls/ms)"
    assert ax2.get_ylabel() == "call latency (cycles)" and ax2.get_xlabel() == "time (µs)"
    assert [l.get_label() for l in ax1.get_lines()][:1] == ["calls/ms"]
    assert [l.get_label() for l in ax2.get_lines()][:4] == ["p50", "p90", "p99", "mean"]
    n = len(k42.calls)
    assert all(len(l.get_xdata()) == n for l in ax2.get_lines()[:4])
    assert list(ax1.get_lines()[0].get_ydata()) == list(k42.calls["calls_per_ms"])
    labels = legend_texts(ax1)
    for p in ["warmup", "forward", "block", "transfer", "complete", "swap start"]:
        assert p in labels, p


def test_contention_without_per_cpu_regions(k42, tmp_path):
    import shutil
    d = tmp_path / "r"
    shutil.copytree(k42.out, d)
    if (d / "region_cpus.csv").exists():  # a simulator that writes the per-CPU table
        (d / "region_cpus.csv").unlink()
    fig = plot.contention(quiesce.load(d))
    assert len(fig.axes) == 2  # the heat map and its colour bar
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert "misses" in cols and "invalidations_received" in cols and "queue_cycles" in cols
    assert "LTT (×4)" in rows and "GTT" in rows and "cache.rep" in rows
    assert not any(".cpu" in r for r in rows)  # per-CPU regions are grouped
    assert rows[0] == "cache.rep"  # the shared file cache's state takes most of the misses


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


def test_strategy_comparison(comparison):
    fig = plot.strategy_comparison(comparison)
    assert len(fig.axes) == 4
    ylabels = [ax.get_ylabel() for ax in fig.axes]
    assert ylabels == ["time to safe point (µs)", "whole swap (µs)", "cycles per call", "calls/ms"]
    registry = [s["name"] for s in quiesce.strategies()]
    shown = [s for s in registry if s in STRATEGIES]  # in registry order
    assert sorted(shown) == sorted(STRATEGIES)
    for ax in fig.axes:
        assert [l.get_label() for l in ax.get_lines()] == shown
        for line in ax.get_lines():
            assert list(line.get_xdata()) == [1, 2, 4]
            # The colour of the strategy's registry position, whichever strategies the plot shows.
            i = registry.index(line.get_label())
            assert line.get_color() == plot.STRATEGY_PALETTE[i % len(plot.STRATEGY_PALETTE)]
    assert [ax.get_xlabel() for ax in fig.axes[2:]] == ["CPUs", "CPUs"]
    assert legend_texts(fig.axes[0]) == shown
    # The series are the DataFrame's values.
    fp = fig.axes[2].get_lines()[shown.index("global_refcount")].get_ydata()
    want = comparison[comparison["events[0].strategy"] == "global_refcount"].sort_values("machine.cpus")
    assert list(fp) == pytest.approx(list(want["fast_path_cycles_per_call"]))
    with pytest.raises(KeyError):
        plot.strategy_comparison(comparison.drop(columns=["machine.cpus"]))


def test_a_strategy_keeps_its_colour_in_a_smaller_plot(comparison):
    last = STRATEGIES[-1]
    fig = plot.strategy_comparison(comparison[comparison["events[0].strategy"] == last])
    (line,) = fig.axes[0].get_lines()
    assert line.get_label() == last
    assert line.get_color() == plot.strategy_style(last)["color"]
    registry = plot.strategy_order()
    assert line.get_color() == plot.STRATEGY_PALETTE[registry.index(last) % len(plot.STRATEGY_PALETTE)]
    # A name the registry does not list comes after it.
    assert plot.strategy_order(["no_such_strategy", last]) == registry + ["no_such_strategy"]


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
