"""Spread over seeds for the bench/ scripts: mean, sample standard deviation, the half-width of a
95% confidence interval for the mean (Student's t), and the range."""
import statistics

# Student's t, two-sided 95%, by degrees of freedom 1..30; above 30 the value for 30 (a slightly
# wider interval than the exact one, never a narrower).
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def spread(values):
    """{mean, sd, ci95, n, min, max} over the values that are not None, or None if there are none.
    With one value sd and ci95 are None: one seed says nothing of the spread."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    n = len(values)
    sd = statistics.stdev(values) if n > 1 else None
    ci = T95[min(n - 2, len(T95) - 1)] * sd / n ** 0.5 if n > 1 else None
    return {"mean": statistics.mean(values), "sd": sd, "ci95": ci, "n": n, "min": min(values), "max": max(values)}
