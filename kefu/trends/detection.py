"""Is this hour's count a spike? A pure function of the count and its history (no database).

The usual level is the **median** of the baseline hours (the same hour of the week over the
last weeks and of the day over the last days, missing hours counting zero), and the spread is
the **MAD** scaled to a standard deviation (x 1.4826). Both ignore a few odd hours in the
history — last month's outage does not raise the bar for ever. Counts are small integers, so
the spread has a Poisson floor, sqrt(max(usual, 1)): a history of all 2s has MAD 0, and 5
would otherwise be "infinitely" unusual. A spike must pass three tests, so tiny numbers never
alert:

1. ``count >= min_count`` (absolute size),
2. ``count >= usual * (1 + min_increase_percent / 100)`` (relative size),
3. ``(count - usual) / spread >= min_score`` (beyond normal variation).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_count: int = 10
    min_increase_percent: int = 200
    min_score: float = 4.0


@dataclass(frozen=True, slots=True)
class Verdict:
    spike: bool
    count: int
    baseline: float  # the usual level (median of the history)
    spread: float  # robust standard deviation, with the Poisson floor
    score: float  # (count - baseline) / spread

    @property
    def increase_percent(self) -> int | None:
        if self.baseline <= 0:
            return None
        return round((self.count - self.baseline) / self.baseline * 100)


def assess(count: int, history: Sequence[int], thresholds: Thresholds) -> Verdict:
    """Compare ``count`` (this hour) with ``history`` (the baseline hours' counts)."""
    if count < 0 or any(h < 0 for h in history):
        raise ValueError("counts cannot be negative")
    baseline = float(statistics.median(history)) if history else 0.0
    mad = float(statistics.median(abs(h - baseline) for h in history)) if history else 0.0
    spread = max(MAD_TO_SD * mad, math.sqrt(max(baseline, 1.0)))
    score = (count - baseline) / spread
    spike = (
        count >= max(1, thresholds.min_count)
        and count >= baseline * (1 + thresholds.min_increase_percent / 100)
        and score >= thresholds.min_score
    )
    return Verdict(spike=spike, count=count, baseline=baseline, spread=spread, score=score)
