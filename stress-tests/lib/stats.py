"""Small statistics for load results: merged latency distributions and least-squares slope.

Contract: inputs are plain lists; empty input gives None, never a made-up 0.
"""


def merge_quantiles(stages):
    """stages: [(weight, [q0..qn-1])] where q are evenly spaced quantiles of one stage.
    Returns a function p -> value (p in 0..100) over the weighted mixture."""
    points = []
    for weight, qs in stages:
        if weight <= 0 or not qs:
            continue
        w = weight / len(qs)
        points.extend((v, w) for v in qs)
    if not points:
        return None
    points.sort()
    total = sum(w for _, w in points)

    def percentile(p):
        target = total * p / 100.0
        acc = 0.0
        for v, w in points:
            acc += w
            if acc >= target:
                return v
        return points[-1][0]

    return percentile


def slope(samples):
    """Least-squares slope of [(t, y)]; None for fewer than 2 distinct times."""
    n = len(samples)
    if n < 2:
        return None
    mt = sum(t for t, _ in samples) / n
    my = sum(y for _, y in samples) / n
    den = sum((t - mt) ** 2 for t, _ in samples)
    if den == 0:
        return None
    return sum((t - mt) * (y - my) for t, y in samples) / den


def percentile_of(values, p):
    """Nearest-rank percentile of a list of numbers."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]
