"""Property tests for the service-hours functions (hypothesis): random weekly schedules in zones
with clock changes (including half-hour and "negative" summer time) and random moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kefu.sla.hours import (
    CLOSED_WEEK,
    SEARCH_DAYS,
    CalendarSpec,
    describe,
    is_open,
    next_open,
    parse_weekly_hours,
    weekly_hours_json,
)

ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Europe/London",
    "Europe/Dublin",  # summer time is the standard offset and winter a negative DST
    "America/New_York",
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Lord_Howe",  # clocks move by 30 minutes
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",
)

MINUTE = timedelta(minutes=1)


@st.composite
def day_ranges(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """Sorted, non-overlapping (possibly touching) ranges within one day."""
    points = sorted(draw(st.lists(st.integers(0, 1440), unique=True, max_size=8)))
    pairs = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    if draw(st.booleans()) and len(pairs) >= 2 and pairs[0][1] < pairs[1][0]:
        pairs[1] = (pairs[0][1], pairs[1][1])  # make two ranges touch
    return tuple(pairs)


@st.composite
def calendars(draw: st.DrawFn, *, with_hours: bool = True) -> CalendarSpec:
    week = tuple(draw(day_ranges()) for _ in range(7))
    if with_hours and not any(week):
        day = draw(st.integers(0, 6))
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        week = tuple(((start, end),) if i == day else () for i in range(7))
    return CalendarSpec(timezone=draw(st.sampled_from(ZONES)), weekly=week)


moments = st.datetimes(
    min_value=datetime(1995, 1, 1),
    max_value=datetime(2080, 12, 31),
    timezones=st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)]),
    allow_imaginary=False,
)


@settings(max_examples=80, deadline=None)
@given(calendar=calendars(), at=moments)
def test_next_open_is_open_not_before_at_and_nothing_opens_earlier(calendar, at):
    found = next_open(calendar, at)
    assert found is not None
    assert found.tzinfo is UTC
    assert found >= at
    assert found - at <= timedelta(days=SEARCH_DAYS)
    assert is_open(calendar, found)
    start = at.astimezone(UTC)
    if found > start:
        # Closed the second before, and at every minute from ``at`` on (ranges are whole
        # minutes and clocks change on whole minutes, so an opening cannot hide between them).
        assert not is_open(calendar, found - timedelta(seconds=1))
        probe = start
        while probe < found:
            assert not is_open(calendar, probe), probe
            probe += MINUTE


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), at=moments)
@example(  # 01:00 in London's repeated autumn hour, inside an open range in UTC
    calendar=CalendarSpec(timezone="UTC", weekly=((), (), (), (), (), (), ((0, 1),))),
    at=datetime(1999, 10, 31, 1, 0, tzinfo=ZoneInfo("Europe/London")),
)
def test_next_open_is_at_exactly_when_open(calendar, at):
    # Compare instants: PEP 495 makes `==` between zones False for a time in a repeated hour.
    found = next_open(calendar, at)
    same_instant = found is not None and found.timestamp() == at.timestamp()
    assert same_instant is is_open(calendar, at)


@given(at=moments, zone=st.sampled_from(ZONES))
def test_no_next_open_for_24_7_or_for_no_hours(at, zone):
    assert next_open(CalendarSpec.twenty_four_seven(zone), at) is None
    assert is_open(CalendarSpec.twenty_four_seven(zone), at)
    closed = CalendarSpec(timezone=zone, weekly=CLOSED_WEEK)
    assert next_open(closed, at) is None
    assert not is_open(closed, at)


@given(calendar=calendars(with_hours=False))
def test_stored_shape_round_trips(calendar):
    assert parse_weekly_hours(weekly_hours_json(calendar.weekly)) == calendar.weekly


@given(calendar=calendars(with_hours=False))
def test_describe_always_answers_in_both_languages(calendar):
    english, chinese = describe(calendar, "en"), describe(calendar, "zh-hans")
    assert english
    assert chinese
    if calendar.has_hours and not all(r == ((0, 1440),) for r in calendar.weekly):
        assert english.endswith(f"({calendar.timezone})")
        assert chinese.endswith(f"（{calendar.timezone}）")
