"""bench/compare --quick: every strategy runs, and the trends the comparison
exists to show hold (golden figures with generous tolerances: they guard the
model's shape, not its exact numbers)."""
import csv
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIESCE = os.path.abspath(os.environ.get("QUIESCE", os.path.join(ROOT, "build", "quiesce")))


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "compare.csv"
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "compare"), "--quick", "--bin", QUIESCE,
                        "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1200)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = {}
    with open(out, newline="") as f:
        for r in csv.DictReader(f):
            rows[(r["strategy"], r["metric"], r["param"])] = None if r["value"] in ("", "NA") else float(r["value"])
    return rows


def test_every_strategy_is_in_the_table(table):
    for s in ["k42_generation", "global_refcount", "percpu_refcount", "stack_trace", "rwlock", "counter_threshold",
              "direct"]:
        assert table[(s, "fast_path_cycles_per_call", "cpus=1")] > 0, s


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
    assert per_thread_high == pytest.approx(per_thread_low, rel=0.35)  # linear, not worse


def test_a_long_lived_thread_stalls_k42_but_not_the_refcounts(table):
    p = "cpus=4,long_lived=1"
    assert table[("k42_generation", "completed", p)] == 0
    for s in ["global_refcount", "percpu_refcount", "rwlock", "stack_trace", "direct"]:
        assert table[(s, "completed", p)] == 1, s


def test_direct_swap_cost_grows_with_references(table):
    c = lambda n: table[("direct", "post_safe_point_cycles", f"call_sites={n}")]
    assert c(256) > 4 * c(1)


def test_only_counter_threshold_has_violations(table):
    for (s, m, _), v in table.items():
        if m == "violations" and s != "counter_threshold":
            assert not v, s
