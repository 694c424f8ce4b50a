"""Fixed log-spaced histograms: mergeable (and subtractable) quantile sketches for durations.

A duration of ``x`` whole seconds falls in bin 0 when ``x < 1`` and otherwise in bin
``k = 1 + floor(log(x) / log(RATIO))``, which covers ``[RATIO**(k-1), RATIO**k)``. Counts per
bin add and subtract exactly, so a day's rollup row can be updated incrementally and any set
of rows merged by summing. A quantile is read off the bin that holds the nearest-rank element
and reported as the bin's geometric middle ``RATIO**(k - 0.5)``: for any x >= 1 that is within
``sqrt(RATIO) - 1`` (4.9 % for RATIO = 1.1) of the exact nearest-rank value, and exactly 0 for
bin 0. Pure functions only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RATIO = 1.1
RELATIVE_ERROR = math.sqrt(RATIO) - 1.0
_LOG_RATIO = math.log(RATIO)


def bin_of(seconds: int) -> int:
    """The bin of a duration in whole seconds (negative durations count as 0)."""
    if seconds < 1:
        return 0
    k = 1 + math.floor(math.log(seconds) / _LOG_RATIO)
    # Guard the float edge: the bin must really contain the value.
    while RATIO ** (k - 1) > seconds:
        k -= 1
    while RATIO**k <= seconds:
        k += 1
    return k


def representative(k: int) -> float:
    """The value reported for bin ``k``: 0 for bin 0, else the bin's geometric middle."""
    return 0.0 if k <= 0 else RATIO ** (k - 0.5)


def quantile(bins: Mapping[int, int], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of the histogram ``bins`` (bin -> count);
    None when it is empty."""
    total = sum(c for c in bins.values() if c > 0)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for k in sorted(bins):
        seen += max(0, bins[k])
        if seen >= rank:
            return representative(k)
    return representative(max(bins))  # pragma: no cover - unreachable with positive counts


def exact_quantile(values: Iterable[int], q: float) -> float | None:
    """The exact nearest-rank quantile of ``values`` (for tests and the from-scratch check)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return float(ordered[rank - 1])
