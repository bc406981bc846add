"""How the benchmarks sum up their per-round figures: the interquartile mean, a 95 % interval, min and max.

On a shared machine a neighbour's burst throws single rounds far off, on either side of a ratio. The median of a
few rounds ignores those but uses little of the others (under normal noise it needs about 1.5x the rounds of the
mean for the same precision); the mean is dragged by them. The interquartile mean (the mean of the middle half)
keeps most of the mean's precision and drops the bursts. Ratios are averaged as logarithms, so that 0.8x and
1.25x cancel. The interval comes from resampling the rounds (a percentile bootstrap with a fixed seed): it says
how far the figure would move in another run on the same machine, which the spread of single rounds overstates.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence

RESAMPLES = 2000


def iqm(values: Sequence[float]) -> float:
    """The mean of the middle half of ``values`` (a quarter dropped at each end)."""
    ordered = sorted(values)
    cut = len(ordered) // 4
    return statistics.fmean(ordered[cut : len(ordered) - cut])


def summary(values: Sequence[float], *, ratio: bool) -> tuple[float, float, float]:
    """The interquartile mean of ``values`` and its bootstrap 95 % interval (ratios: of their logarithms)."""
    points = [math.log(value) for value in values] if ratio else list(values)
    draw = random.Random(0)
    means = sorted(iqm(draw.choices(points, k=len(points))) for _ in range(RESAMPLES))
    found = (iqm(points), means[int(RESAMPLES * 0.025)], means[int(RESAMPLES * 0.975) - 1])
    return (math.exp(found[0]), math.exp(found[1]), math.exp(found[2])) if ratio else found


def line(name: str, values: Sequence[float], *, ratio: bool = True, width: int = 24) -> str:
    """One line of a summary table: the interquartile mean, its 95 % interval, min and max."""
    middle, low, high = summary(values, ratio=ratio)
    unit, digits = ("x", 3) if ratio else ("", 0)
    cells = [f"{value:{digits + 5}.{digits}f}{unit}" for value in (middle, low, high, min(values), max(values))]
    return f"{name:{width}} {cells[0]}   95% {cells[1]} to {cells[2]}   min {cells[3]}   max {cells[4]}"
