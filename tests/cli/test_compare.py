"""bench/compare --quick: every strategy the binary lists runs, and the trends
the comparison exists to show hold (golden figures with generous tolerances:
they guard the model's shape, not its exact numbers)."""
import csv
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))


@pytest.fixture(scope="module")
def listed():
    """The shipped strategies the binary lists (`quiesce strategies --json`), in registry order."""
    p = subprocess.run([QUIESCE, "strategies", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return [s for s in json.loads(p.stdout)["strategies"] if not s["test_only"]]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "compare.csv"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare"), "--quick", "--quiesce", QUIESCE,
                        "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1200)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = {}
    with open(out, newline="") as f:
        for r in csv.DictReader(f):
            rows[(r["strategy"], r["metric"], r["param"])] = None if r["value"] in ("", "NA") else float(r["value"])
    return rows


def test_every_strategy_is_in_the_table(table, listed):
    assert listed
    for s in listed:
        assert table[(s["name"], "fast_path_cycles_per_call", "cpus=1")] > 0, s["name"]
    # In registry order.
    order = list(dict.fromkeys(s for s, _, _ in table))
    assert order == [s["name"] for s in listed]


def test_global_refcount_cost_grows_with_cpus_and_the_others_stay_flat(table):
    fp = lambda s, c: table[(s, "fast_path_cycles_per_call", f"cpus={c}")]
    assert fp("global_refcount", 2) > 1.8 * fp("global_refcount", 1)
    assert fp("global_refcount", 8) > 8 * fp("global_refcount", 1)
    for s in ["k42_generation", "percpu_refcount", "direct"]:
        assert fp(s, 8) == pytest.approx(fp(s, 1), rel=0.05), s
    assert min(fp(s, 1) for s in ["k42_generation", "global_refcount", "percpu_refcount", "rwlock"]) > fp("direct", 1)


def test_stack_trace_time_to_safe_point_grows_linearly_with_threads(table):
    t = lambda n: table[("stack_trace", "cycles_to_safe_point", f"threads={n}")]
    assert t(1024) > 20 * t(16)
    per_thread_low, per_thread_high = (t(256) - t(16)) / 240, (t(1024) - t(256)) / 768
    # Linear but for the caches: the walk is guest code, and beyond a few hundred threads their
    # descriptors and stack lines no longer fit in the walker's L2 (about 1.5x per thread at 1024).
    assert per_thread_low <= per_thread_high < 2 * per_thread_low


def test_a_long_lived_thread_stalls_k42_but_not_the_refcounts(table):
    p = "cpus=4,long_lived=1"
    assert table[("k42_generation", "completed", p)] == 0
    for s in ["global_refcount", "percpu_refcount", "rwlock", "stack_trace", "direct"]:
        assert table[(s, "completed", p)] == 1, s


def test_direct_swap_cost_grows_with_references(table):
    c = lambda n: table[("direct", "post_safe_point_cycles", f"call_sites={n}")]
    assert c(256) > 4 * c(1)


def test_only_unsafe_strategies_have_violations(table, listed):
    safe = {s["name"] for s in listed if s["safe"]}
    for (s, m, _), v in table.items():
        if m == "violations" and s in safe:
            assert not v, s


def test_the_spread_over_seeds_is_that_of_the_runs(tmp_path):
    """With 3 seeds each point carries its spread: value is the mean of the runs' own figures, sd
    their sample deviation, ci95 Student's t (2 degrees of freedom: 4.303) times sd / sqrt(3)."""
    out, keep = tmp_path / "c.csv", tmp_path / "runs"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare"), "--quick", "--seeds", "3",
                        "--strategies", "global_refcount", "--quiesce", QUIESCE, "--out", str(out),
                        "--keep", str(keep), "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "± the half-width of their 95% confidence interval" in p.stdout
    with open(out, newline="") as f:
        rows = {(r["metric"], r["param"]): r for r in csv.DictReader(f)}
    # Straight from the runs: the time to the safe point on 4 CPUs, one summary.json per seed.
    own = []
    for seed in (1, 2, 3):
        with open(keep / f"cpus-global_refcount-cpus4-s{seed}" / "summary.json") as f:
            own.append(json.load(f)["swaps"][0]["cycles_to_safe_point"])
    r = rows[("cycles_to_safe_point", "cpus=4")]
    mean = sum(own) / 3
    sd = (sum((x - mean) ** 2 for x in own) / 2) ** 0.5
    assert int(r["n"]) == 3
    assert float(r["value"]) == pytest.approx(mean, rel=1e-5)
    assert float(r["sd"]) == pytest.approx(sd, rel=1e-5, abs=1e-9)
    assert float(r["ci95"]) == pytest.approx(4.303 * sd / 3 ** 0.5, rel=1e-4, abs=1e-9)
    assert float(r["min"]) == min(own) and float(r["max"]) == max(own)
    assert sd > 0, own  # the seeds draw different workloads, so the point has a spread to show
    # Violations are a sum over the runs, with no spread.
    v = rows[("violations", "cpus=4")]
    assert v["n"] == "3" and v["sd"] == v["ci95"] == "NA"
