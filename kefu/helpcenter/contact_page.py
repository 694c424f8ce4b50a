"""The public contact page: every official channel, grouped by kind, with its service hours in
the viewer's timezone, the expected response time and any notice (holiday hours and the like).

A read with no permission check: customers see everything active. Nothing here reads the clock
or the request; the view passes ``now`` and the viewer's timezone.
"""

from __future__ import annotations

import logging
import math
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import get_language_info, ngettext, pgettext, pgettext_lazy

from kefu.core.errors import ValidationFailed
from kefu.helpcenter.models import ContactKind, ContactOption
from kefu.helpcenter.services.contacts import clean_contact_url
from kefu.sla.hours import CalendarSpec, HoursError, describe, is_open, next_open
from kefu.sla.models import BusinessCalendar
from kefu.sla.selectors import default_calendar

log = logging.getLogger(__name__)

# How many days of converted hours the page lists (today first, in the viewer's timezone).
DAYS_SHOWN = 7

# One heading per kind; a kind's section is placed where its first option is (admins order
# the options, so they also order the sections).
SECTION_HEADINGS: dict[str, Promise] = {
    ContactKind.CHAT: pgettext_lazy("contact page section", "Live chat"),
    ContactKind.EMAIL: pgettext_lazy("contact page section", "Email"),
    ContactKind.PHONE: pgettext_lazy("contact page section", "Phone hotlines"),
    ContactKind.TELEGRAM: pgettext_lazy("contact page section", "Telegram"),
    ContactKind.HELP_CENTER: pgettext_lazy("contact page section", "Self-service help"),
    ContactKind.FORUM: pgettext_lazy("contact page section", "Community"),
    ContactKind.OTHER: pgettext_lazy("contact page section", "Other official accounts"),
}


@dataclass(frozen=True, slots=True)
class TimeRange:
    """One opening within one day of the viewer's calendar; ``end_text`` is ``24:00`` when it
    runs to midnight."""

    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    start_text: str
    end_text: str

    @property
    def start_iso(self) -> str:
        return _iso(self.start)

    @property
    def end_iso(self) -> str:
        return _iso(self.end)


@dataclass(frozen=True, slots=True)
class DayHours:
    day: date  # in the viewer's timezone
    label: str  # "Mon 3 Mar" / "3月3日 星期一"
    ranges: tuple[TimeRange, ...]  # empty: closed all day


@dataclass(frozen=True, slots=True)
class Hours:
    """Service hours from a business calendar."""

    calendar_timezone: str
    described: str  # the calendar's own weekly hours, with its timezone
    always_open: bool
    open_now: bool
    next_open: datetime | None  # aware, UTC; None when open now or nothing opens soon
    next_open_text: str  # next_open in the viewer's timezone, e.g. "Mon 3 Mar 09:00"
    # The next DAYS_SHOWN days in the viewer's timezone (empty for 24/7 or without hours);
    # the page shows them when the viewer's timezone is not the calendar's.
    days: tuple[DayHours, ...]
    converted: bool  # the viewer's timezone differs from the calendar's

    @property
    def next_open_iso(self) -> str:
        return _iso(self.next_open) if self.next_open else ""

    # The openings around those days, uncut, for contact.js to regroup by day in the browser's
    # own timezone (a margin either side: two timezones can be up to 26 hours apart).
    windows: tuple[tuple[datetime, datetime], ...]

    @property
    def windows_attr(self) -> str:
        """``windows`` as ISO 8601 intervals in UTC (``start/end``), space separated."""
        return " ".join(f"{_iso(start)}/{_iso(end)}" for start, end in self.windows)


@dataclass(frozen=True, slots=True)
class ChannelOption:
    id: int
    kind: str
    label: str
    value: str
    url: str  # "" when there is nothing to click
    link_text: str
    language: str  # code; "" serves every language
    language_name: str
    hours: Hours | None
    hours_note: str  # free text, shown when there is no calendar (or as well as it)
    expected_response: str  # "about 5 minutes" / "within 24 hours"; "" when not configured
    expected_response_minutes: int | None
    notice: str  # the active notice in the page language, else ""
    notice_until: date | None


@dataclass(frozen=True, slots=True)
class ChannelGroup:
    kind: str
    heading: str
    anchor: str
    options: tuple[ChannelOption, ...]


@dataclass(frozen=True, slots=True)
class PageNotice:
    """An active notice and the channels it is on (one entry for the same text on several)."""

    text: str
    until: date | None
    until_text: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContactPage:
    language: str
    viewer_timezone: str
    now: datetime
    groups: tuple[ChannelGroup, ...]
    notices: tuple[PageNotice, ...]


def contact_page(*, language: str, viewer_timezone: str | None, now: datetime) -> ContactPage:
    """The active contact options in ``language`` (Chinese for ``zh-*``, English otherwise),
    with hours in ``viewer_timezone`` (an IANA name; None or unknown: the default calendar's
    timezone, UTC when there is none). Two queries."""
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    tz_name = valid_timezone(viewer_timezone) or default_calendar().timezone
    viewer_zone = zoneinfo.ZoneInfo(tz_name)
    chinese = (language or "").lower().startswith("zh")
    specs: dict[int, CalendarSpec | None] = {}
    groups: dict[str, list[ChannelOption]] = {}
    notices: dict[tuple[str, date | None], list[str]] = {}
    with translation.override(language):
        options = ContactOption.objects.filter(is_active=True).select_related("calendar")
        for option in options.order_by("order", "id"):
            spec = _spec(option.calendar, specs) if option.calendar else None
            channel = _channel(option, spec, chinese, viewer_zone, now)
            groups.setdefault(option.kind, []).append(channel)
            if channel.notice:
                notices.setdefault((channel.notice, channel.notice_until), []).append(channel.label)
        return ContactPage(
            language=language,
            viewer_timezone=tz_name,
            now=now,
            groups=tuple(
                ChannelGroup(
                    kind=kind,
                    heading=str(SECTION_HEADINGS.get(kind) or kind),
                    anchor=f"contact-{kind.replace('_', '-')}",
                    options=tuple(rows),
                )
                for kind, rows in groups.items()
            ),
            notices=tuple(
                PageNotice(
                    text=text,
                    until=until,
                    until_text=date_format(until, "DATE_FORMAT") if until else "",
                    channels=tuple(channels),
                )
                for (text, until), channels in notices.items()
            ),
        )


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def valid_timezone(name: str | None) -> str | None:
    """``name`` if it is an IANA timezone name (``Europe/London``), else None. Only names in
    the tz database: ZoneInfo would also open other files under the zoneinfo directories."""
    name = (name or "").strip()
    if not name or len(name) > 64 or name not in _timezone_names():
        return None
    return name


def response_time_text(minutes: int) -> str:
    """A configured response time in words: ``about 5 minutes``, ``within 2 hours`` (rounded
    up to whole hours from one hour), ``within 3 days`` (beyond 48 hours)."""
    if minutes < 60:
        return ngettext("about %(count)d minute", "about %(count)d minutes", minutes) % {
            "count": minutes
        }
    hours = math.ceil(minutes / 60)
    if hours <= 48:
        return ngettext("within %(count)d hour", "within %(count)d hours", hours) % {"count": hours}
    days = math.ceil(minutes / (24 * 60))
    return ngettext("within %(count)d day", "within %(count)d days", days) % {"count": days}


def _spec(calendar: BusinessCalendar, specs: dict[int, CalendarSpec | None]) -> CalendarSpec | None:
    if calendar.pk not in specs:
        try:
            specs[calendar.pk] = calendar.spec()
        except HoursError:
            log.warning("business calendar %s has unusable hours; showing the notes", calendar.pk)
            specs[calendar.pk] = None
    return specs[calendar.pk]


def _channel(
    option: ContactOption,
    spec: CalendarSpec | None,
    chinese: bool,
    viewer_zone: zoneinfo.ZoneInfo,
    now: datetime,
) -> ChannelOption:
    label = option.label_zh if chinese else option.label_en
    hours_note = (option.hours_note_zh or option.hours_note_en) if chinese else option.hours_note_en
    # A notice in the other language beats no notice: it may announce closed lines.
    notice = (
        (option.notice_zh or option.notice_en)
        if chinese
        else (option.notice_en or option.notice_zh)
    )
    today = now.astimezone(spec.zone if spec else UTC).date()
    if option.notice_until is not None and option.notice_until < today:
        notice = ""
    minutes = option.expected_response_minutes
    return ChannelOption(
        id=option.pk,
        kind=option.kind,
        label=label,
        value=option.value,
        url=_safe_url(option.url),
        link_text=_link_text(option, label),
        language=option.language,
        language_name=_language_name(option.language),
        hours=_hours(spec, viewer_zone, now) if spec else None,
        hours_note=hours_note,
        expected_response=response_time_text(minutes) if minutes else "",
        expected_response_minutes=minutes,
        notice=notice,
        notice_until=option.notice_until if notice else None,
    )


def _safe_url(url: str) -> str:
    """Links were checked when saved; checked again because this page vouches for them."""
    try:
        return clean_contact_url(url)
    except ValidationFailed:
        return ""


def _link_text(option: ContactOption, label: str) -> str:
    if option.kind == ContactKind.CHAT:
        return pgettext("contact page link", "Open live chat")
    return option.value or label


def _language_name(code: str) -> str:
    if not code:
        return ""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


# --- hours -----------------------------------------------------------------------------------


def _hours(spec: CalendarSpec, viewer_zone: zoneinfo.ZoneInfo, now: datetime) -> Hours:
    open_now = is_open(spec, now)
    upcoming = None if open_now else next_open(spec, now)
    days: tuple[DayHours, ...] = ()
    windows: list[tuple[datetime, datetime]] = []
    if not spec.always_open and spec.has_hours:
        first = now.astimezone(viewer_zone).date()
        start = _midnight(first - timedelta(days=2), viewer_zone)
        end = _midnight(first + timedelta(days=DAYS_SHOWN + 2), viewer_zone)
        windows = open_windows(spec, start, end)
        days = _by_day(windows, viewer_zone, first)
    return Hours(
        calendar_timezone=spec.timezone,
        described=describe(spec, translation.get_language() or "en"),
        always_open=spec.always_open,
        open_now=open_now,
        next_open=upcoming,
        next_open_text=_datetime_text(upcoming, viewer_zone) if upcoming else "",
        days=days,
        windows=tuple(windows),
        converted=str(viewer_zone.key) != spec.timezone,
    )


def open_windows(
    spec: CalendarSpec, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The intervals of [start, end) when ``spec`` is open, in UTC, in order; an opening that
    runs on past midnight (or past a range end into the next range) is one interval."""
    windows: list[tuple[datetime, datetime]] = []
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        opened = next_open(spec, cursor)
        if opened is None or opened >= end:
            break
        closed = _next_close(spec, opened, end)
        windows.append((opened, closed))
        cursor = closed
    return windows


def _next_close(spec: CalendarSpec, opened: datetime, limit: datetime) -> datetime:
    """The first instant after ``opened`` (when ``spec`` is open) at which it is closed, or
    ``limit`` if it is still open then. Each step jumps to the wall-clock end of the current
    range; a clock change that skips that end is found by bisection."""
    zone = spec.zone
    at = opened
    while at < limit:
        local = at.astimezone(zone)
        minute = local.hour * 60 + local.minute
        range_end = next(
            (end for start, end in spec.weekly[local.weekday()] if start <= minute < end), None
        )
        if range_end is None:  # not open after all (cannot happen for an instant next_open gave)
            return at
        wall = datetime.combine(local.date(), time()) + timedelta(minutes=range_end)
        candidate = wall.replace(tzinfo=zone, fold=local.fold).astimezone(UTC)
        if candidate <= at:
            candidate = at + timedelta(minutes=1)
        if candidate >= limit:
            return limit
        if not is_open(spec, candidate):
            if is_open(spec, candidate - timedelta(seconds=1)):
                return candidate
            return _first_closed(spec, at, candidate)
        at = candidate
    return limit


def _first_closed(spec: CalendarSpec, open_at: datetime, closed_at: datetime) -> datetime:
    """The first closed instant in (open_at, closed_at]; the calendar is open at ``open_at``
    and closed at ``closed_at``, and opening hours change on whole seconds."""
    low, high = math.floor(open_at.timestamp()), math.ceil(closed_at.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if is_open(spec, datetime.fromtimestamp(middle, UTC)):
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _by_day(
    windows: list[tuple[datetime, datetime]], zone: zoneinfo.ZoneInfo, first: date
) -> tuple[DayHours, ...]:
    """The windows cut at the viewer's midnights: one entry per day from ``first``."""
    days: list[DayHours] = []
    for offset in range(DAYS_SHOWN):
        day = first + timedelta(days=offset)
        day_start, day_end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
        ranges = tuple(
            TimeRange(
                start=low,
                end=high,
                start_text=_clock(low, zone),
                end_text="24:00" if high == day_end else _clock(high, zone),
            )
            for low, high in ((max(start, day_start), min(end, day_end)) for start, end in windows)
            if low < high
        )
        days.append(DayHours(day=day, label=_day_text(day), ranges=ranges))
    return tuple(days)


def _clock(at: datetime, zone: zoneinfo.ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def _day_text(day: date) -> str:
    # A Django date format, so each language orders weekday, day and month its own way.
    return date_format(day, pgettext("contact page: Django date format of a day", "D j M"))


def _datetime_text(at: datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{_day_text(local.date())} {local.strftime('%H:%M')}"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
