"""Spread over replicate seeds: quiesce.aggregate, and the Student's t quantile its confidence
intervals use (computed here, so that scipy is not needed).

    df = quiesce.sweep(base, {"events[0].strategy": [...], "machine.cpus": [1, 2, 4]}, seeds=5)
    a = quiesce.aggregate(df, by=["events[0].strategy", "machine.cpus"],
                          metrics=["swap_us_to_safe_point", "fast_path_cycles_per_call"])
    a[["events[0].strategy", "machine.cpus", "swap_us_to_safe_point_mean",
       "swap_us_to_safe_point_ci_low", "swap_us_to_safe_point_ci_high"]]

The confidence interval of the mean (method="t", the default) is Student's t interval:

    mean ± t(1 - (1 - confidence)/2, n - 1) · s / √n

with s the sample standard deviation (ddof=1) of the n finite values. It assumes the values are
independent (distinct seeds are) and roughly normal; with 5 seeds it is a statement about the
simulator's variation over seeds, not about anything outside the model. t_quantile inverts the t
distribution's CDF (the regularized incomplete beta function, by a continued fraction) by
bisection, to double precision: t_quantile(0.975, 4) = 2.7764451.

method="bootstrap" gives the percentile bootstrap interval instead: the (1 - confidence)/2 and
(1 + confidence)/2 quantiles of the means of `n_boot` resamples (with replacement, a fixed
random seed, so that the numbers are reproducible). It assumes no distribution, but with a
handful of values it is too narrow (it can never be wider than the values' range); prefer "t"
for a few seeds.
"""
import math
import re

__all__ = ["aggregate", "mean_ci", "t_quantile", "t_cdf", "STATS", "SEED_COLUMNS"]

# The statistics aggregate gives per metric, in its column order.
STATS = ("n", "mean", "median", "std", "ci_low", "ci_high")
# Columns that hold a replicate's seed: averaged over, never grouped by.
SEED_COLUMNS = ("seed", "run.seed")
# A sweep's bookkeeping columns: neither parameters nor metrics.
_BOOKKEEPING = ("out", "key", "cached", "error")


# --- Student's t distribution ------------------------------------------------------------------------

def _betacf(a, b, x):
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t, df):
    """P(T <= t) for Student's t distribution with `df` degrees of freedom (df > 0, may be
    fractional; math.inf: the standard normal)."""
    if not df > 0:
        raise ValueError(f"df: expected > 0, got {df!r}")
    if math.isnan(t):
        return math.nan
    if math.isinf(df):
        return 0.5 * math.erfc(-t / math.sqrt(2.0))
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))  # P(T > |t|)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p, df):
    """The p-quantile of Student's t distribution with `df` degrees of freedom: the t with
    t_cdf(t, df) = p (0 < p < 1). Exact formulas for df = 1 and 2 and the normal for df = inf;
    otherwise bisection on the t distribution's CDF, to the last bit. t_quantile(0.975, 4) = 2.7764451."""
    p, df = float(p), float(df)
    if not 0.0 < p < 1.0:
        raise ValueError(f"p: expected 0 < p < 1, got {p!r}")
    if not df > 0:
        raise ValueError(f"df: expected > 0, got {df!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if math.isinf(df):
        from statistics import NormalDist
        return NormalDist().inv_cdf(p)
    if df == 1.0:
        return math.tan(math.pi * (p - 0.5))
    if df == 2.0:
        return (2.0 * p - 1.0) / math.sqrt(2.0 * p * (1.0 - p))
    # Solve P(0 < T < t) = p - 1/2 near the centre, P(T > t) = 1 - p in the tail: each is computed
    # without cancellation (I_x of the t distribution's two forms), so the root keeps its digits.
    if p < 0.75:
        target, below = p - 0.5, lambda t: 0.5 * _betainc(0.5, df / 2.0, t * t / (df + t * t)) < target
    else:
        target, below = 1.0 - p, lambda t: 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t)) > target
    lo, hi = 0.0, 1.0
    while below(hi):
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            return math.inf
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if below(mid):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# --- one sample ----------------------------------------------------------------------------------------

def mean_ci(values, confidence=0.95, method="t", n_boot=10000, rng_seed=0):
    """{"n", "mean", "median", "std", "ci_low", "ci_high"} of the finite values among `values`
    (NaN and None are left out). std is the sample standard deviation (ddof=1); the interval is the
    `confidence` interval of the mean: Student's t (method="t") or the percentile bootstrap
    (method="bootstrap", n_boot resamples drawn with numpy's generator seeded with rng_seed).
    n = 0: all NaN but n; n = 1: std and the interval are NaN; all values equal: the interval is
    [mean, mean]."""
    import numpy as np
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected 0 < confidence < 1, got {confidence!r}")
    if method not in ("t", "bootstrap"):
        raise ValueError(f"method: expected 't' or 'bootstrap', got {method!r}")
    x = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            x.append(f)
    x = np.asarray(x, dtype=float)
    n = int(x.size)
    nan = math.nan
    if n == 0:
        return dict(n=0, mean=nan, median=nan, std=nan, ci_low=nan, ci_high=nan)
    mean, median = float(x.mean()), float(np.median(x))
    if n == 1:
        return dict(n=1, mean=mean, median=median, std=nan, ci_low=nan, ci_high=nan)
    std = float(x.std(ddof=1))
    if method == "t":
        half = t_quantile(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n)
        lo, hi = mean - half, mean + half
    else:
        rng = np.random.default_rng(rng_seed)
        means = x[rng.integers(0, n, size=(int(n_boot), n))].mean(axis=1)
        lo, hi = (float(q) for q in np.quantile(means, [0.5 - confidence / 2.0, 0.5 + confidence / 2.0]))
    return dict(n=n, mean=mean, median=median, std=std, ci_low=float(lo), ci_high=float(hi))


# --- aggregate -----------------------------------------------------------------------------------------

def _hashable(v):
    """A group key for a cell: NaN and None as one value, lists and dicts by their repr."""
    if v is None:
        return ("<none>",)
    if isinstance(v, float) and math.isnan(v):
        return ("<nan>",)
    try:
        hash(v)
    except TypeError:
        return ("<repr>", repr(v))
    return v


def _numeric(series):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
    return is_numeric_dtype(series) and not is_bool_dtype(series)


def _default_by(df, metrics):
    from .results import HEADLINE_COLUMNS
    params = df.attrs.get("quiesce_params")
    if params is not None:
        return [c for c in params if c in df.columns and c not in SEED_COLUMNS and c not in (metrics or ())]
    skip = set(HEADLINE_COLUMNS) | set(_BOOKKEEPING) | set(SEED_COLUMNS) | set(metrics or ())
    return [c for c in df.columns if c not in skip and not re.match(r"event\d+_", str(c))]  # per-event metrics


def aggregate(df, by=None, metrics=None, confidence=0.95, method="t", layout="wide", n_boot=10000,
              rng_seed=0):
    """Per point (each distinct combination of the `by` columns, in the order the points first
    appear), over its rows (the replicate seeds): n, mean, median, standard deviation and the
    `confidence` (default 95%) confidence interval of the mean of every metric.

    df        a DataFrame, typically quiesce.sweep's with seeds=
    by        the columns that identify a point. Default: the sweep's parameter columns (grid, zip
              and points keys; the seed column left out), or, for a DataFrame that does not come
              from quiesce.sweep, every column that is neither a headline metric, nor a seed
              ("seed", "run.seed"), nor out/key/cached/error, nor one of `metrics`.
    metrics   the columns to summarise. Default: every numeric, non-boolean column that is not in
              `by`, not a seed and not out/key/cached/error.
    confidence  of the interval, 0 < confidence < 1
    method    "t" (default): Student's t interval of the mean, mean ± t(1 - (1 - confidence)/2,
              n - 1) · s/√n, with s the sample standard deviation (ddof=1) and the t quantile from
              quiesce.stats.t_quantile (no scipy needed). "bootstrap": the percentile bootstrap of
              the mean, n_boot resamples, numpy's generator seeded with rng_seed (reproducible);
              too narrow with a few seeds.
    layout    "wide" (default): one row per point; columns: the `by` columns, "n" (rows of the
              point), "n_incomplete" (rows whose first swap did not complete, when the DataFrame
              has swap_completed), "n_violating" (rows whose run had safety violations, when it has
              violations), then for each metric METRIC_n (its finite values), METRIC_mean,
              METRIC_median, METRIC_std, METRIC_ci_low, METRIC_ci_high.
              "long": one row per point and metric; columns: the `by` columns, "metric", "n",
              "mean", "median", "std", "ci_low", "ci_high".

    NaN values are left out of a metric's statistics, so METRIC_n can be smaller than n: an
    incomplete swap has no swap_us, and swap_us_mean is then the mean of the completed swaps only
    (n_incomplete says how many were left out). With one value, std and the interval are NaN.
    The result's attrs hold "confidence", "method" and "by".
    """
    import pandas as pd
    if layout not in ("wide", "long"):
        raise ValueError(f"layout: expected 'wide' or 'long', got {layout!r}")
    if isinstance(by, str):
        by = [by]
    if isinstance(metrics, str):
        metrics = [metrics]
    if by is None:
        by = _default_by(df, metrics)
    by = list(by)
    for c in by:
        if c not in df.columns:
            raise KeyError(f"by: no column {c!r} in the DataFrame")
    if metrics is None:
        skip = set(by) | set(SEED_COLUMNS) | set(_BOOKKEEPING)
        metrics = [c for c in df.columns if c not in skip and _numeric(df[c])]
    metrics = list(metrics)
    for c in metrics:
        if c not in df.columns:
            raise KeyError(f"metrics: no column {c!r} in the DataFrame")
        if c in by:
            raise ValueError(f"{c!r} is both in by and in metrics")

    groups = {}  # key -> [first row's by-values, row positions]
    by_values = [list(df[c]) for c in by]
    for i in range(len(df)):
        vals = [col[i] for col in by_values]
        k = tuple(_hashable(v) for v in vals)
        if k not in groups:
            groups[k] = [vals, []]
        groups[k][1].append(i)

    completed = list(df["swap_completed"]) if "swap_completed" in df.columns else None
    violations = list(df["violations"]) if "violations" in df.columns else None
    columns = {c: list(df[c]) for c in metrics}
    rows = []
    for vals, idx in groups.values():
        head = dict(zip(by, vals))
        if layout == "wide":
            row = dict(head, n=len(idx))
            if completed is not None:
                row["n_incomplete"] = sum(1 for i in idx if _false(completed[i]))
            if violations is not None:
                row["n_violating"] = sum(1 for i in idx if _positive(violations[i]))
            for m in metrics:
                s = mean_ci((columns[m][i] for i in idx), confidence, method, n_boot, rng_seed)
                row.update({f"{m}_{k}": s[k] for k in STATS})
            rows.append(row)
        else:
            for m in metrics:
                s = mean_ci((columns[m][i] for i in idx), confidence, method, n_boot, rng_seed)
                rows.append(dict(head, metric=m, **s))
    if layout == "wide":
        cols = by + ["n"] + (["n_incomplete"] if completed is not None else []) + \
            (["n_violating"] if violations is not None else []) + [f"{m}_{k}" for m in metrics for k in STATS]
    else:
        cols = by + ["metric"] + list(STATS)
    out = pd.DataFrame(rows, columns=cols)
    out.attrs.update(confidence=confidence, method=method, by=by)
    return out


def _false(v):
    """False, 0 or "false" (a swap that did not complete); None and NaN (no swap) are not."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return False
    if isinstance(v, str):
        return v.strip().lower() in ("false", "0")
    return not bool(v)


def _positive(v):
    try:
        return float(v) > 0
    except (TypeError, ValueError):
        return False
