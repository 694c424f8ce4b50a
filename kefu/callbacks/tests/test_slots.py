"""Slot maths: alignment, notice, horizon and service hours (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from kefu.callbacks.slots import SlotRules, first_bookable, is_aligned, slot_starts, within_hours
from kefu.sla.hours import CalendarSpec

from .conftest import at

WEEKDAYS = CalendarSpec.from_weekly_hours(
    timezone="Asia/Shanghai",
    always_open=False,
    weekly_hours={d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue")},
)


def test_slots_start_on_multiples_of_their_length():
    rules = SlotRules(calendar=CalendarSpec.twenty_four_seven())
    assert is_aligned(rules, at(7, 10, 30))
    assert not is_aligned(rules, at(7, 10, 15))
    assert not is_aligned(rules, datetime(2026, 12, 7, 10, 0, 1, tzinfo=UTC))


def test_first_bookable_rounds_up_after_the_notice():
    rules = SlotRules(calendar=CalendarSpec.twenty_four_seven(), lead_minutes=30)
    assert first_bookable(rules, at(7, 8, 1)) == at(7, 9)
    assert first_bookable(rules, at(7, 8, 0)) == at(7, 8, 30)


def test_slots_follow_the_calendar_in_its_own_timezone():
    rules = SlotRules(calendar=WEEKDAYS, days_ahead=2, lead_minutes=0)
    # Monday 09:00 in Shanghai is 01:00 UTC; lunch 12:00-13:00 is 04:00-05:00 UTC.
    starts = slot_starts(rules, at(7, 0))
    assert starts[0] == at(7, 1)
    assert at(7, 3, 30) in starts
    assert at(7, 4) not in starts
    assert at(7, 4, 30) not in starts
    assert at(7, 5) in starts
    assert at(7, 9, 30) in starts
    assert at(7, 10) not in starts
    assert len(starts) == 2 * 16  # Monday and Tuesday, 8 hours each
    assert not within_hours(rules, at(7, 3, 45))  # would run into lunch


def test_no_slots_beyond_the_horizon():
    rules = SlotRules(calendar=CalendarSpec.twenty_four_seven(), days_ahead=1, lead_minutes=0)
    starts = slot_starts(rules, at(7, 0))
    assert (starts[0], starts[-1], len(starts)) == (at(7, 0), at(7, 23, 30), 48)
