from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from kefu.analytics.histogram import (
    RATIO,
    RELATIVE_ERROR,
    bin_of,
    exact_quantile,
    quantile,
    representative,
)

durations = st.lists(st.integers(min_value=0, max_value=90 * 86400), min_size=1, max_size=200)


@given(st.integers(min_value=1, max_value=10**8))
def test_a_bin_contains_its_value(seconds):
    k = bin_of(seconds)
    assert RATIO ** (k - 1) <= seconds < RATIO**k


def test_sub_second_durations_are_bin_zero_and_reported_as_zero():
    assert bin_of(0) == 0
    assert bin_of(-5) == 0
    assert quantile({0: 3}, 0.5) == 0.0


@given(durations, st.sampled_from([0.5, 0.9, 0.99, 1.0]))
def test_histogram_quantile_is_within_the_documented_error_of_the_exact_one(values, q):
    bins = Counter(bin_of(v) for v in values)
    exact = exact_quantile(values, q)
    estimate = quantile(bins, q)
    assert exact is not None
    assert estimate is not None
    if exact == 0:
        assert estimate == 0
    else:
        assert abs(estimate - exact) <= RELATIVE_ERROR * exact + 1e-9


@given(durations, durations)
def test_merged_histograms_equal_the_histogram_of_the_union(left, right):
    merged = Counter(bin_of(v) for v in left) + Counter(bin_of(v) for v in right)
    assert merged == Counter(bin_of(v) for v in left + right)
    assert quantile(merged, 0.9) == representative(
        bin_of(int(exact_quantile(left + right, 0.9) or 0))
    )


def test_empty_histogram_has_no_quantile():
    assert quantile({}, 0.5) is None
    assert exact_quantile([], 0.5) is None
