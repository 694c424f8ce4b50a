"""The pure spike test (kefu.trends.detection) on synthetic series."""

from __future__ import annotations

import random

import pytest

from kefu.trends.detection import Thresholds, assess

DEFAULT = Thresholds(min_count=10, min_increase_percent=200, min_score=4.0)


def test_a_tripled_hour_well_above_normal_variation_is_a_spike():
    history = [8, 10, 9, 11, 10, 9, 12, 10, 8, 11]
    verdict = assess(40, history, DEFAULT)
    assert verdict.spike
    assert verdict.baseline == 10
    assert verdict.increase_percent == 300


def test_normal_variation_never_alerts():
    rng = random.Random(7)
    for _ in range(500):
        # Poisson-like noise around 20 per hour: history and current hour from the same process.
        history = [sum(rng.random() < 0.2 for _ in range(100)) for _ in range(11)]
        current = sum(rng.random() < 0.2 for _ in range(100))
        assert not assess(current, history, DEFAULT).spike, (current, history)


def test_small_numbers_never_alert_however_unusual():
    # Zero every week and 9 now: far "above" the usual level, but under the minimum count.
    verdict = assess(9, [0] * 10, DEFAULT)
    assert not verdict.spike
    assert verdict.score > DEFAULT.min_score  # only the minimum count held it back
    assert assess(10, [0] * 10, DEFAULT).spike


def test_a_flat_history_uses_the_poisson_floor_not_a_zero_spread():
    # MAD of a flat history is 0; without the floor, 11 against 4s would be infinitely unusual.
    verdict = assess(11, [4] * 10, Thresholds(min_count=1, min_increase_percent=0, min_score=4))
    assert verdict.spread == pytest.approx(2.0)
    assert not verdict.spike  # (11 - 4) / 2 = 3.5 < 4
    assert assess(13, [4] * 10, Thresholds(min_count=1, min_increase_percent=0, min_score=4)).spike


def test_one_odd_hour_in_the_history_does_not_raise_the_bar():
    history = [10, 9, 11, 10, 250, 10, 9, 11, 10, 10]  # last month's outage
    verdict = assess(45, history, DEFAULT)
    assert verdict.baseline == 10
    assert verdict.spike


def test_the_relative_threshold_holds_back_busy_keys():
    # 130 against a usual 100 (sd 10) is many deviations up but only +30 %.
    history = [100, 90, 110, 100, 95, 105, 100, 100]
    verdict = assess(160, history, DEFAULT)
    assert verdict.score > 4
    assert not verdict.spike
    assert assess(300, history, DEFAULT).spike


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        assess(-1, [1, 2, 3], DEFAULT)
