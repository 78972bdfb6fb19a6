"""quiesce.aggregate and the Student's t quantile of its confidence intervals, on hand-made numbers
(no simulation)."""
import math

import numpy as np
import pandas as pd
import pytest

import quiesce
from quiesce import stats

# Two-sided 95% (and other) critical values of Student's t, as printed in tables (3 decimals).
TABLE = [(0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 3, 3.182), (0.975, 4, 2.776), (0.975, 5, 2.571),
         (0.975, 9, 2.262), (0.975, 19, 2.093), (0.975, 29, 2.045), (0.975, 100, 1.984),
         (0.95, 4, 2.132), (0.95, 10, 1.812), (0.995, 4, 4.604), (0.995, 9, 3.250), (0.9, 4, 1.533),
         (0.9995, 4, 8.610)]


@pytest.mark.parametrize("p, df, value", TABLE)
def test_t_quantile_matches_the_table(p, df, value):
    assert round(stats.t_quantile(p, df), 3) == value
    assert stats.t_quantile(1 - p, df) == -stats.t_quantile(p, df)


def test_t_quantile_to_full_precision():
    assert stats.t_quantile(0.975, 4) == pytest.approx(2.7764451051977987, rel=1e-13)
    # df = 4 has a closed form: t = 2 sqrt(cos(acos(sqrt(a)) / 3) / sqrt(a) - 1), a = 4p(1 - p).
    for p in (0.6, 0.9, 0.95, 0.975, 0.999):
        a = 4 * p * (1 - p)
        exact = 2 * math.sqrt(math.cos(math.acos(math.sqrt(a)) / 3) / math.sqrt(a) - 1)
        assert stats.t_quantile(p, 4) == pytest.approx(exact, rel=1e-12)
    assert stats.t_quantile(0.975, 1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-14)
    assert stats.t_quantile(0.975, math.inf) == pytest.approx(1.959963984540054, rel=1e-12)
    assert stats.t_quantile(0.975, 1e7) == pytest.approx(1.959963984540054, rel=1e-6)
    assert stats.t_quantile(0.5, 3) == 0.0
    for df in (1, 2.5, 3, 7, 30, 250):
        for p in (0.55, 0.8, 0.975, 0.9999):
            assert stats.t_cdf(stats.t_quantile(p, df), df) == pytest.approx(p, rel=1e-10)
    for bad in [(0, 4), (1, 4), (1.5, 4), (0.975, 0), (0.975, -1)]:
        with pytest.raises(ValueError):
            stats.t_quantile(*bad)


def test_t_quantile_agrees_with_scipy_when_it_is_installed():
    sp = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 4, 6, 11, 40, 1000):
        for p in (0.6, 0.9, 0.975, 0.995):
            # scipy's own ppf is good to about 1e-9 (its cdf of its ppf is off by that much).
            assert stats.t_quantile(p, df) == pytest.approx(sp.t.ppf(p, df), rel=1e-8)
            assert stats.t_cdf(stats.t_quantile(p, df), df) == pytest.approx(sp.t.cdf(stats.t_quantile(p, df), df),
                                                                            rel=1e-12)


def hand_made():
    """Three points over seeds: a (1..5), b (10, 20 and a NaN: an incomplete swap), c (one seed)."""
    rows = [dict(strategy="a", cpus=2, seed=s, swap_us=float(s), calls=100 + s, swap_completed=True, violations=0)
            for s in (1, 2, 3, 4, 5)]
    rows += [dict(strategy="b", cpus=2, seed=1, swap_us=10.0, calls=7, swap_completed=True, violations=0),
             dict(strategy="b", cpus=2, seed=2, swap_us=20.0, calls=9, swap_completed=True, violations=3),
             dict(strategy="b", cpus=2, seed=3, swap_us=np.nan, calls=8, swap_completed=False, violations=0)]
    rows += [dict(strategy="c", cpus=4, seed=1, swap_us=7.5, calls=3, swap_completed=True, violations=0)]
    return pd.DataFrame(rows)


def test_aggregate_numbers():
    a = quiesce.aggregate(hand_made(), by=["strategy", "cpus"], metrics=["swap_us", "calls"])
    assert list(a.columns[:5]) == ["strategy", "cpus", "n", "n_incomplete", "n_violating"]
    assert list(a["strategy"]) == ["a", "b", "c"] and list(a["n"]) == [5, 3, 1]
    assert list(a["n_incomplete"]) == [0, 1, 0] and list(a["n_violating"]) == [0, 1, 0]
    a = a.set_index("strategy")
    # a: 1..5. mean 3, median 3, s = sqrt(2.5), half width t(0.975, 4) s / sqrt(5) = 2.776445 * 0.707107.
    assert a.loc["a", "swap_us_n"] == 5
    assert a.loc["a", "swap_us_mean"] == 3.0 and a.loc["a", "swap_us_median"] == 3.0
    assert a.loc["a", "swap_us_std"] == pytest.approx(math.sqrt(2.5))
    assert a.loc["a", "swap_us_ci_low"] == pytest.approx(3 - 1.9632432, abs=1e-6)
    assert a.loc["a", "swap_us_ci_high"] == pytest.approx(3 + 1.9632432, abs=1e-6)
    assert a.loc["a", "calls_mean"] == 103.0 and a.loc["a", "calls_ci_high"] == pytest.approx(104.9632432)
    # b: the NaN is left out: 10 and 20. s = sqrt(50), half width t(0.975, 1) s / sqrt(2) = 12.7062 * 5.
    assert a.loc["b", "swap_us_n"] == 2 and a.loc["b", "swap_us_mean"] == 15.0
    assert a.loc["b", "swap_us_median"] == 15.0 and a.loc["b", "swap_us_std"] == pytest.approx(math.sqrt(50))
    assert a.loc["b", "swap_us_ci_low"] == pytest.approx(15 - 63.531024, abs=1e-5)
    assert a.loc["b", "calls_n"] == 3 and a.loc["b", "calls_median"] == 8.0
    assert a.loc["b", "calls_ci_high"] == pytest.approx(8 + 4.302653 * 1 / math.sqrt(3), abs=1e-6)
    # c: one value: no spread.
    assert a.loc["c", "swap_us_mean"] == 7.5 and a.loc["c", "swap_us_median"] == 7.5
    assert math.isnan(a.loc["c", "swap_us_std"]) and math.isnan(a.loc["c", "swap_us_ci_low"])


def test_aggregate_confidence_long_layout_and_defaults():
    df = hand_made()
    ninety = quiesce.aggregate(df, by=["strategy"], metrics="swap_us", confidence=0.90)
    # 90%: t(0.95, 4) = 2.131847.
    assert ninety["swap_us_ci_high"].iloc[0] == pytest.approx(3 + 2.131847 * math.sqrt(2.5) / math.sqrt(5), abs=1e-6)
    assert ninety.attrs["confidence"] == 0.90 and ninety.attrs["method"] == "t"
    long = quiesce.aggregate(df, by=["strategy", "cpus"], metrics=["swap_us", "calls"], layout="long")
    assert list(long.columns) == ["strategy", "cpus", "metric", "n", "mean", "median", "std", "ci_low", "ci_high"]
    assert len(long) == 6 and list(long["metric"][:2]) == ["swap_us", "calls"]
    assert long.iloc[0]["mean"] == 3.0 and long.iloc[0]["n"] == 5
    # Defaults: by = the columns that are neither metrics nor seeds; metrics = the numeric ones.
    d = quiesce.aggregate(df)
    assert d.attrs["by"] == ["strategy", "cpus"]
    assert [c for c in d.columns if c.endswith("_mean")] == ["swap_us_mean", "calls_mean", "violations_mean"]
    # A sweep's DataFrame says which columns are its parameters.
    df.attrs["quiesce_params"] = ["strategy"]
    assert quiesce.aggregate(df).attrs["by"] == ["strategy"]
    with pytest.raises(KeyError):
        quiesce.aggregate(df, by=["nope"])
    with pytest.raises(ValueError):
        quiesce.aggregate(df, by=["strategy"], metrics=["swap_us"], method="jackknife")


def test_bootstrap_interval():
    df = hand_made()
    b1 = quiesce.aggregate(df, by=["strategy"], metrics=["swap_us"], method="bootstrap")
    b2 = quiesce.aggregate(df, by=["strategy"], metrics=["swap_us"], method="bootstrap")
    assert b1.equals(b2)  # a fixed generator seed: reproducible
    lo, hi = b1["swap_us_ci_low"].iloc[0], b1["swap_us_ci_high"].iloc[0]
    assert 1.0 <= lo < 3.0 < hi <= 5.0  # inside the values' range: narrower than t's with 5 values
    t = quiesce.aggregate(df, by=["strategy"], metrics=["swap_us"])
    assert t["swap_us_ci_low"].iloc[0] < lo and hi < t["swap_us_ci_high"].iloc[0]


def test_mean_ci_edges():
    assert stats.mean_ci([])["n"] == 0 and math.isnan(stats.mean_ci([None, float("nan")])["mean"])
    same = stats.mean_ci([4, 4, 4])
    assert same["ci_low"] == same["ci_high"] == 4.0 and same["std"] == 0.0
    with pytest.raises(ValueError):
        stats.mean_ci([1, 2], confidence=1.0)
