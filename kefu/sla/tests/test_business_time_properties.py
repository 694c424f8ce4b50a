"""Property tests (hypothesis) for business-time arithmetic: add_business_time and
business_time_between over random weekly schedules with dated exceptions (holidays and make-up
working days) in zones with clock changes, plus hand-picked DST and Chinese-holiday cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kefu.sla.hours import (
    CalendarSpec,
    add_business_time,
    business_time_between,
    is_open,
    open_intervals,
)
from kefu.sla.tests.test_hours_properties import day_ranges

ZONES = ("UTC", "Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe")
TICK = timedelta(microseconds=1)

moments = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)]),
    allow_imaginary=False,
)
NINE_TO_FIVE = (((540, 1020),),) * 5 + ((), ())
durations = st.integers(1, 200 * 3600).map(lambda s: timedelta(seconds=s))


@st.composite
def cases(draw: st.DrawFn) -> tuple[CalendarSpec, datetime]:
    """A calendar and a start moment, with dated exceptions (closed holidays, make-up days,
    whole days open) in the month around the start so they are crossed."""
    start = draw(moments)
    week = tuple(draw(day_ranges()) for _ in range(7))
    if not any(week):
        week = NINE_TO_FIVE
    zone = draw(st.sampled_from(ZONES))
    base = start.date() - timedelta(days=3)
    offsets = draw(st.lists(st.integers(0, 30), unique=True, max_size=8))
    exceptions = tuple(
        (base + timedelta(days=o), draw(st.sampled_from([(), ((600, 960),), ((0, 1440),)])))
        for o in sorted(offsets)
    )
    return CalendarSpec(timezone=zone, weekly=week, exceptions=exceptions), start


@settings(max_examples=150, deadline=None)
@given(case=cases(), duration=durations)
def test_deadline_is_open_or_the_end_of_an_open_range(case, duration):
    calendar, start = case
    due = add_business_time(calendar, start, duration)
    assert due is not None
    assert due.tzinfo is UTC
    assert due > start
    # The instant just before the deadline is open: the last of the duration was spent there.
    assert is_open(calendar, due - TICK)


@settings(max_examples=150, deadline=None)
@given(case=cases(), duration=durations)
def test_time_between_start_and_deadline_is_the_duration(case, duration):
    calendar, start = case
    due = add_business_time(calendar, start, duration)
    assert due is not None
    assert business_time_between(calendar, start, due) == duration


@settings(max_examples=100, deadline=None)
@given(case=cases(), first=durations, second=durations)
def test_adding_is_monotonic_and_additive(case, first, second):
    calendar, start = case
    shorter, longer = sorted((first, second))
    due_short = add_business_time(calendar, start, shorter)
    due_long = add_business_time(calendar, start, longer)
    assert due_short is not None
    assert due_long is not None
    assert due_short <= due_long
    # Adding in two steps lands where adding at once does (from the end of the first step).
    assert add_business_time(calendar, due_short, longer - shorter) == due_long


@settings(max_examples=100, deadline=None)
@given(case=cases(), b=moments, c=moments)
def test_time_between_is_monotonic_and_additive(case, b, c):
    calendar, a = case
    a, b, c = sorted((a, b, c), key=lambda m: m.timestamp())
    ab = business_time_between(calendar, a, b)
    bc = business_time_between(calendar, b, c)
    assert ab >= timedelta(0)
    assert business_time_between(calendar, a, c) == ab + bc
    assert business_time_between(calendar, a, c) <= c - a


@settings(max_examples=100, deadline=None)
@given(
    case=cases(),
    duration=durations,
    pause_after=st.integers(0, 300 * 3600),
    pause_for=st.integers(0, 300 * 3600),
)
def test_pausing_never_shortens_a_deadline(case, duration, pause_after, pause_for):
    """A timer paused at ``paused`` keeps the business time left; resumed later its deadline
    is recomputed from the resume moment and is never earlier than the original one."""
    calendar, start = case
    due = add_business_time(calendar, start, duration)
    paused = start + timedelta(seconds=pause_after)
    resumed = paused + timedelta(seconds=pause_for)
    remaining = business_time_between(calendar, paused, due)
    new_due = add_business_time(calendar, resumed, remaining)
    assert new_due is not None
    assert due is not None
    assert new_due >= due
    if pause_for == 0 and remaining > timedelta(0):
        assert new_due == due


@settings(max_examples=60, deadline=None)
@given(case=cases())
def test_open_intervals_are_open_ordered_and_disjoint(case):
    calendar, start = case
    intervals = []
    for interval in open_intervals(calendar, start):
        intervals.append(interval)
        if len(intervals) == 12:
            break
    previous_high = start
    for low, high in intervals:
        assert low < high
        assert low >= previous_high
        assert low > previous_high or previous_high == start  # touching ranges are merged
        assert is_open(calendar, low)
        assert is_open(calendar, high - TICK)
        assert not is_open(calendar, high)
        previous_high = high


@settings(max_examples=50, deadline=None)
@given(start=moments, duration=durations, zone=st.sampled_from(ZONES))
@example(  # across London's autumn clock change
    start=datetime(2028, 10, 29, 0, 59, tzinfo=ZoneInfo("Europe/London")),
    duration=timedelta(seconds=3660),
    zone="UTC",
)
def test_24_7_is_plain_arithmetic(start, duration, zone):
    always = CalendarSpec.twenty_four_seven(zone)
    assert add_business_time(always, start, duration) == start.astimezone(UTC) + duration
    # Real time, not wall-clock arithmetic in ``start``'s zone (which a clock change bends).
    assert business_time_between(always, start, start.astimezone(UTC) + duration) == duration


# --- hand-picked cases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "expected_hours"),
    [
        # Spring forward: 01:00-05:00 wall clock on the night clocks jump is 3 real hours.
        ("America/New_York", date(2026, 3, 8), 3),
        ("Europe/London", date(2026, 3, 29), 3),
        # Fall back: the same wall-clock range holds 5 real hours.
        ("America/New_York", date(2026, 11, 1), 5),
        ("Europe/London", date(2026, 10, 25), 5),
    ],
)
def test_clock_changes_shorten_and_lengthen_the_night(zone, day, expected_hours):
    calendar = CalendarSpec(timezone=zone, weekly=(((60, 300),),) * 7)
    tz = ZoneInfo(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start.astimezone(UTC) + timedelta(hours=30)
    local_next_midnight = datetime(day.year, day.month, day.day, 23, 59, tzinfo=tz)
    assert business_time_between(calendar, start, local_next_midnight) == timedelta(
        hours=expected_hours
    )
    assert business_time_between(calendar, start, end) >= timedelta(hours=expected_hours)


def test_shanghai_national_day_holiday_and_make_up_saturday():
    """2026 National Day: 1-7 October closed; Saturday 10 October is a make-up working day."""
    holidays = tuple((date(2026, 10, d), ()) for d in range(1, 8))
    make_up = ((date(2026, 10, 10), ((540, 1080),)),)
    calendar = CalendarSpec(
        timezone="Asia/Shanghai", weekly=NINE_TO_FIVE, exceptions=holidays + make_up
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    # Wednesday 30 September, 16:00: one business hour left that day, the rest after the holiday.
    start = datetime(2026, 9, 30, 16, 0, tzinfo=shanghai)
    due = add_business_time(calendar, start, timedelta(hours=3))
    assert due == datetime(2026, 10, 8, 11, 0, tzinfo=shanghai)
    # Friday 9 October 15:00 + 4h: 2h on Friday, then the make-up Saturday from 09:00.
    due = add_business_time(
        calendar, datetime(2026, 10, 9, 15, tzinfo=shanghai), timedelta(hours=4)
    )
    assert due == datetime(2026, 10, 10, 11, 0, tzinfo=shanghai)
    assert not is_open(calendar, datetime(2026, 10, 5, 10, tzinfo=shanghai))  # a Monday
    assert is_open(calendar, datetime(2026, 10, 10, 10, tzinfo=shanghai))  # a Saturday


def test_a_deadline_at_the_end_of_a_range_is_that_end():
    calendar = CalendarSpec(timezone="UTC", weekly=NINE_TO_FIVE)
    start = datetime(2026, 12, 7, 9, tzinfo=UTC)  # Monday
    assert add_business_time(calendar, start, timedelta(hours=8)) == datetime(
        2026, 12, 7, 17, tzinfo=UTC
    )
    assert add_business_time(calendar, start, timedelta(hours=8, seconds=1)) == datetime(
        2026, 12, 8, 9, 0, 1, tzinfo=UTC
    )


def test_no_hours_means_no_deadline():
    only_past = CalendarSpec(timezone="UTC", exceptions=((date(2020, 1, 4), ((0, 60),)),))
    assert (
        add_business_time(only_past, datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1)) is None
    )
    assert add_business_time(CalendarSpec(), datetime(2026, 1, 1, tzinfo=UTC), timedelta(1)) is None
