"""Service hours as pure functions of a calendar and an explicit moment (nothing reads the clock).

A calendar is a weekly schedule of wall-clock ranges in one IANA timezone. The calendar is open
at an instant when that instant's local wall-clock time, in the calendar's zone, falls inside
one of that weekday's ranges. So "09:00–21:00" means what a clock on the office wall shows: on
the day clocks go forward a range that spans the jump is an hour shorter in real time, and on
the day they go back an hour longer. Ranges are half-open: 09:00–21:00 is open at 20:59:59 and
closed at 21:00.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, pgettext, pgettext_lazy

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MAX_RANGES_PER_DAY = 12
# next_open looks this far ahead. A weekly schedule with any hours opens within 7 days plus a
# clock change, so 14 days only runs out for a calendar without hours.
SEARCH_DAYS = 14
# How often next_open samples the zone's UTC offset to find clock changes. Two changes that
# cancel out within one probe would be missed; no timezone has ever done that.
_PROBE = timedelta(hours=1)
_TIME = re.compile(r"^(\d{2}):(\d{2})$")

DAY_NAMES = (
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
)

# One opening range: minutes after local midnight, [start, end), 0 <= start < end <= 1440.
Range = tuple[int, int]
Week = tuple[tuple[Range, ...], ...]
CLOSED_WEEK: Week = ((),) * 7
# A dated exception: that local date's ranges instead of the weekday's. ``()`` closes the day
# (a public holiday); ranges open it (a make-up working day, 调休, on a weekend).
Exceptions = tuple[tuple[date, tuple[Range, ...]], ...]
# The business-time walk gives up after this long without any open time (a calendar whose only
# hours are exceptions in the past): the deadline is then "never".
GIVE_UP = timedelta(days=800)
_WINDOW = timedelta(days=7)
ZERO = timedelta(0)


class HoursError(ValueError):
    """Weekly hours or a timezone that cannot be used; ``day`` names the day at fault."""

    def __init__(self, message: str, *, day: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.day = day


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """A business calendar, detached from the database. ``weekly[0]`` is Monday."""

    timezone: str = "UTC"
    always_open: bool = False
    weekly: Week = CLOSED_WEEK
    exceptions: Exceptions = ()
    _by_date: dict[date, tuple[Range, ...]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        zone_of(self.timezone)
        if len(self.weekly) != 7:
            raise HoursError("weekly needs one entry per weekday")
        for day, ranges in zip(DAYS, self.weekly, strict=True):
            _check_ranges(ranges, day)
        by_date: dict[date, tuple[Range, ...]] = {}
        for when, ranges in self.exceptions:
            if when in by_date:
                raise HoursError(gettext("Each date can have only one exception."))
            _check_ranges(ranges, when.isoformat())
            by_date[when] = tuple(ranges)
        object.__setattr__(self, "_by_date", by_date)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The opening ranges of the local date ``day``: its exception's, else its weekday's."""
        found = self._by_date.get(day)
        return self.weekly[day.weekday()] if found is None else found

    @classmethod
    def twenty_four_seven(cls, timezone: str = "UTC") -> CalendarSpec:
        return cls(timezone=timezone, always_open=True)

    @classmethod
    def from_weekly_hours(
        cls, *, timezone: str, always_open: bool, weekly_hours: Mapping[str, Any]
    ) -> CalendarSpec:
        """Build from the stored JSON shape ``{"mon": [["09:00", "21:00"]], ...}``."""
        return cls(
            timezone=timezone, always_open=always_open, weekly=parse_weekly_hours(weekly_hours)
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zone_of(self.timezone)

    @property
    def has_hours(self) -> bool:
        return any(self.weekly) or any(ranges for _, ranges in self.exceptions)


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``; HoursError if there is none."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise HoursError(gettext("Unknown timezone.")) from exc


# --- the stored shape ------------------------------------------------------------------------


def parse_time(text: str, *, end: bool = False) -> int:
    """Minutes after midnight for ``HH:MM`` (``24:00`` only as the end of a range)."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise HoursError(gettext("Write times as HH:MM, for example 09:00."))
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes != 0):
        raise HoursError(gettext("Times run from 00:00 to 24:00."))
    if hours == 24 and not end:
        raise HoursError(gettext("24:00 can only end a range."))
    return hours * 60 + minutes


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_ranges(ranges: tuple[Range, ...], day: str) -> None:
    if len(ranges) > MAX_RANGES_PER_DAY:
        raise HoursError(
            gettext("At most %(count)d ranges a day.") % {"count": MAX_RANGES_PER_DAY}, day=day
        )
    previous_end = -1
    for start, end in ranges:
        if not 0 <= start < MINUTES_PER_DAY or not 0 < end <= MINUTES_PER_DAY:
            raise HoursError(gettext("Times run from 00:00 to 24:00."), day=day)
        if end <= start:
            raise HoursError(gettext("Each range must end after it starts."), day=day)
        if start < previous_end:
            raise HoursError(
                gettext("List the ranges in order, without overlaps."),
                day=day,
            )
        previous_end = end


def parse_weekly_hours(value: Mapping[str, Any]) -> Week:
    """Validate the stored JSON shape and return the ranges per weekday (missing days: closed).

    Raises HoursError naming the day at fault."""
    if not isinstance(value, Mapping):
        raise HoursError(gettext("Weekly hours must map days to ranges."))
    unknown = sorted(set(value) - set(DAYS))
    if unknown:
        raise HoursError(gettext("Unknown day “%(day)s”.") % {"day": unknown[0]})
    week: list[tuple[Range, ...]] = []
    for day in DAYS:
        raw = value.get(day) or []
        if not isinstance(raw, list | tuple):
            raise HoursError(gettext("Write times as HH:MM, for example 09:00."), day=day)
        ranges: list[Range] = []
        for pair in raw:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise HoursError(gettext("Write times as HH:MM, for example 09:00."), day=day)
            try:
                ranges.append((parse_time(pair[0]), parse_time(pair[1], end=True)))
            except HoursError as exc:
                raise HoursError(exc.message, day=day) from exc
        _check_ranges(tuple(ranges), day)
        week.append(tuple(ranges))
    return tuple(week)


def weekly_hours_json(week: Week) -> dict[str, list[list[str]]]:
    """The stored JSON shape of ``week``: every day present, times as ``HH:MM``."""
    return {
        day: [[format_time(start), format_time(end)] for start, end in ranges]
        for day, ranges in zip(DAYS, week, strict=True)
    }


# --- open or closed --------------------------------------------------------------------------


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("pass an aware datetime")


def is_open(calendar_spec: CalendarSpec, at: datetime) -> bool:
    """Whether the calendar is open at the instant ``at`` (an aware datetime)."""
    _require_aware(at)
    if calendar_spec.always_open:
        return True
    local = at.astimezone(calendar_spec.zone)
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in calendar_spec.ranges_on(local.date()))


def next_open(calendar_spec: CalendarSpec, at: datetime) -> datetime | None:
    """The first instant at or after ``at`` when the calendar is open (``at`` itself when it is
    open then), as a UTC datetime. None for a 24/7 calendar, for one without hours, and when
    nothing opens within SEARCH_DAYS.

    UTC because a local time in a clock change's repeated hour compares unequal to every
    other zone's datetime (PEP 495) and local arithmetic there is wall-clock arithmetic."""
    _require_aware(at)
    if calendar_spec.always_open or not calendar_spec.has_hours:
        return None
    if is_open(calendar_spec, at):
        return at.astimezone(UTC)
    zone = calendar_spec.zone
    start = at.astimezone(UTC)
    for seg_start, seg_end, offset in _constant_offset_segments(
        zone, start, start + timedelta(days=SEARCH_DAYS)
    ):
        # Within a segment the wall clock is UTC plus a fixed offset, so each opening range
        # maps to one UTC interval; the first non-empty one is the answer.
        wall_from = (seg_start + offset).replace(tzinfo=None)
        wall_to = (seg_end + offset).replace(tzinfo=None)
        day = wall_from.date()
        while day <= wall_to.date():
            midnight = datetime(day.year, day.month, day.day)  # naive: wall-clock time
            for range_start, range_end in calendar_spec.ranges_on(day):
                low = max(midnight + timedelta(minutes=range_start), wall_from)
                high = min(midnight + timedelta(minutes=range_end), wall_to)
                if low < high:
                    return (low - offset).replace(tzinfo=UTC)
            day += timedelta(days=1)
    return None


def open_intervals(
    calendar_spec: CalendarSpec, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The open stretches of time from ``start`` on (until ``end`` when given), in order, as
    half-open UTC intervals ``[low, high)`` clipped to ``[start, end)``; touching ranges (a
    range to 24:00 and the next day's from 00:00) come as one interval.

    Unbounded (``end`` None) it goes on for ever for a calendar with weekly hours, and stops
    after GIVE_UP without open time for one with none (or with only dated exceptions)."""
    _require_aware(start)
    low_bound = start.astimezone(UTC)
    high_bound = end.astimezone(UTC) if end is not None else None
    if high_bound is not None and high_bound <= low_bound:
        return
    if calendar_spec.always_open:
        yield low_bound, high_bound if high_bound is not None else datetime.max.replace(tzinfo=UTC)
        return
    if not calendar_spec.has_hours:
        return
    zone = calendar_spec.zone
    pending: tuple[datetime, datetime] | None = None
    last_open = low_bound
    window = low_bound
    while high_bound is None or window < high_bound:
        window_end = window + _WINDOW
        if high_bound is not None:
            window_end = min(window_end, high_bound)
        for seg_start, seg_end, offset in _constant_offset_segments(zone, window, window_end):
            wall_from = (seg_start + offset).replace(tzinfo=None)
            wall_to = (seg_end + offset).replace(tzinfo=None)
            day = wall_from.date()
            while day <= wall_to.date():
                midnight = datetime(day.year, day.month, day.day)
                for range_start, range_end in calendar_spec.ranges_on(day):
                    low = max(midnight + timedelta(minutes=range_start), wall_from)
                    high = min(midnight + timedelta(minutes=range_end), wall_to)
                    if low >= high:
                        continue
                    interval = (
                        (low - offset).replace(tzinfo=UTC),
                        (high - offset).replace(tzinfo=UTC),
                    )
                    if pending is not None and interval[0] <= pending[1]:
                        pending = (pending[0], max(pending[1], interval[1]))
                    else:
                        if pending is not None:
                            yield pending
                        pending = interval
                    last_open = interval[1]
                day += timedelta(days=1)
        window = window_end
        if high_bound is None and window - last_open > GIVE_UP:
            break
    if pending is not None:
        yield pending


def add_business_time(
    calendar_spec: CalendarSpec, start: datetime, duration: timedelta
) -> datetime | None:
    """The instant when ``duration`` of open time has passed since ``start`` (UTC): an open
    instant, or the end of an open range when the duration runs out exactly there. ``start``
    itself for a zero duration; None when the calendar never has that much open time."""
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    start = start.astimezone(UTC)
    if duration == ZERO:
        return start
    if calendar_spec.always_open:
        return start + duration
    remaining = duration
    for low, high in open_intervals(calendar_spec, start):
        if high - low >= remaining:
            return low + remaining
        remaining -= high - low
    return None


def business_time_between(calendar_spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """How much open time lies in ``[start, end)``; zero when ``end`` is not after ``start``."""
    _require_aware(start)
    _require_aware(end)
    if end <= start:
        return ZERO
    if calendar_spec.always_open:
        return end.astimezone(UTC) - start.astimezone(UTC)
    total = ZERO
    for low, high in open_intervals(calendar_spec, start, end):
        total += high - low
    return total


def _offset(zone: zoneinfo.ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _constant_offset_segments(
    zone: zoneinfo.ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, timedelta]]:
    """[start, end) in UTC cut where the zone's UTC offset changes: (from, to, offset)."""
    segments: list[tuple[datetime, datetime, timedelta]] = []
    seg_start, offset = start, _offset(zone, start)
    probe = start
    while probe < end:
        ahead = min(probe + _PROBE, end)
        if _offset(zone, ahead) == offset:
            probe = ahead
            continue
        change = _first_change(zone, probe, ahead, offset)
        if change > seg_start:
            segments.append((seg_start, change, offset))
        seg_start, offset, probe = change, _offset(zone, change), change
    if end > seg_start:
        segments.append((seg_start, end, offset))
    return segments


def _first_change(
    zone: zoneinfo.ZoneInfo, low: datetime, high: datetime, offset: timedelta
) -> datetime:
    """The first instant in (low, high] whose offset is not ``offset`` (zones change offset on
    whole UTC seconds, so a search over integer timestamps finds it exactly)."""
    lo, hi = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, datetime.fromtimestamp(mid, UTC)) == offset:
            lo = mid
        else:
            hi = mid
    return max(datetime.fromtimestamp(hi, UTC), low)


# --- in words --------------------------------------------------------------------------------


def _format_ranges(ranges: tuple[Range, ...]) -> str:
    separator = pgettext("between hour ranges of one day", " and ")
    return separator.join(f"{format_time(start)}–{format_time(end)}" for start, end in ranges)


def _day_groups(week: Week) -> list[tuple[int, int, tuple[Range, ...]]]:
    """Runs of consecutive open days with the same hours: (first day, last day, ranges)."""
    groups: list[tuple[int, int, tuple[Range, ...]]] = []
    for index, ranges in enumerate(week):
        if not ranges:
            continue
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == ranges:
            groups[-1] = (groups[-1][0], index, ranges)
        else:
            groups.append((index, index, ranges))
    return groups


def _days_label(first: int, last: int) -> str:
    if (first, last) == (0, 6):
        return gettext("Every day")
    if first == last:
        return str(DAY_NAMES[first])
    return pgettext("span of weekdays", "%(first)s–%(last)s") % {
        "first": DAY_NAMES[first],
        "last": DAY_NAMES[last],
    }


def describe(calendar_spec: CalendarSpec, language: str) -> str:
    """The service hours in words, in ``language``, e.g.
    ``Mon–Fri 09:00–21:00, Sat 10:00–18:00 (Asia/Shanghai)`` or
    ``周一至周五 09:00–21:00，周六 10:00–18:00（Asia/Shanghai）``."""
    with translation.override(language):
        full_day: tuple[Range, ...] = ((0, MINUTES_PER_DAY),)
        if calendar_spec.always_open or all(r == full_day for r in calendar_spec.weekly):
            return gettext("Every day, 24 hours")
        if not calendar_spec.has_hours:
            return gettext("No service hours")
        parts = [
            pgettext("days and their hours", "%(days)s %(hours)s")
            % {"days": _days_label(first, last), "hours": _format_ranges(ranges)}
            for first, last, ranges in _day_groups(calendar_spec.weekly)
        ]
        hours = pgettext("between days of service hours", ", ").join(parts)
        return gettext("%(hours)s (%(timezone)s)") % {
            "hours": hours,
            "timezone": calendar_spec.timezone,
        }
