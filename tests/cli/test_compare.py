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
