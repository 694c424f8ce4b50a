"""Reading holiday files: dated calendar exceptions from CSV or iCalendar.

CSV, UTF-8, one exception a line, a header line optional::

    date,kind,hours,name
    2026-10-01,closed,,National Day
    2026-10-10,open,09:00-18:00,Make-up working day (调休)
    2026-10-11,open,09:00-12:00;13:00-18:00,Make-up working day

``kind`` is ``closed`` or ``open``; ``hours`` (open days only) are ``HH:MM-HH:MM`` ranges
separated by ``;``. An open day without hours gets the calendar's usual weekday hours.

iCalendar (``.ics``, e.g. a public-holiday feed): each VEVENT with all-day DTSTART/DTEND closes
every date from DTSTART up to (not including) DTEND. An event is a working day instead when its
SUMMARY contains 补班 / 上班 / "working day" / "make-up", or it has ``X-KEFU-KIND:open``;
``X-KEFU-HOURS:09:00-18:00`` gives its hours.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

MAX_ROWS = 2000
MAX_DAYS_PER_EVENT = 62
_WORKDAY_WORDS = ("补班", "上班", "working day", "make-up", "makeup", "workday")


class ImportFailed(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    day: date
    kind: str  # "closed" or "open"
    hours: list[list[str]] | None  # open days: [["09:00", "18:00"]]; None: the usual hours
    name: str = ""


def _hours(text: str, line: int) -> list[list[str]] | None:
    text = (text or "").strip()
    if not text:
        return None
    ranges = []
    for part in text.split(";"):
        bits = part.strip().split("-")
        if len(bits) != 2:
            raise ImportFailed(_("Line %(line)d: write hours as 09:00-18:00.") % {"line": line})
        ranges.append([bits[0].strip(), bits[1].strip()])
    return ranges


def parse_csv(text: str) -> list[ExceptionRow]:
    rows: list[ExceptionRow] = []
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not "".join(record).strip() or record[0].strip().startswith("#"):
            continue
        if number == 1 and record[0].strip().lower() == "date":
            continue
        cells = [c.strip() for c in record] + ["", "", ""]
        try:
            day = date.fromisoformat(cells[0])
        except ValueError as exc:
            raise ImportFailed(
                _("Line %(line)d: write the date as YYYY-MM-DD.") % {"line": number}
            ) from exc
        kind = cells[1].lower()
        if kind not in ("closed", "open"):
            raise ImportFailed(
                _("Line %(line)d: the kind must be closed or open.") % {"line": number}
            )
        hours = _hours(cells[2], number) if kind == "open" else []
        rows.append(ExceptionRow(day=day, kind=kind, hours=hours, name=cells[3][:100]))
    return rows


def parse_ics(content: bytes) -> list[ExceptionRow]:
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError) as exc:
        raise ImportFailed(_("This is not an iCalendar file.")) from exc
    rows: list[ExceptionRow] = []
    for event in calendar.walk("VEVENT"):
        start = event.get("DTSTART")
        if start is None:
            continue
        first = start.dt.date() if isinstance(start.dt, datetime) else start.dt
        end = event.get("DTEND")
        last = (end.dt.date() if isinstance(end.dt, datetime) else end.dt) if end else None
        if last is None or last <= first:
            last = first + timedelta(days=1)
        if (last - first).days > MAX_DAYS_PER_EVENT:
            raise ImportFailed(_("An event spans more than two months."))
        summary = str(event.get("SUMMARY", ""))
        marked = str(event.get("X-KEFU-KIND", "")).strip().lower()
        working = marked == "open" or any(w in summary.lower() for w in _WORKDAY_WORDS)
        hours = _hours(str(event.get("X-KEFU-HOURS", "")), 0) if working else []
        day = first
        while day < last:
            rows.append(
                ExceptionRow(
                    day=day, kind="open" if working else "closed", hours=hours, name=summary[:100]
                )
            )
            day += timedelta(days=1)
    return rows


def parse(content: bytes) -> list[ExceptionRow]:
    """The exceptions in ``content`` (iCalendar when it starts with BEGIN:VCALENDAR, else CSV);
    a date given twice keeps its last line. ImportFailed with a translated reason."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(_("The file must be UTF-8 text.")) from exc
    if text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        rows = parse_ics(content)
    else:
        rows = parse_csv(text)
    if not rows:
        raise ImportFailed(_("The file has no dates."))
    if len(rows) > MAX_ROWS:
        raise ImportFailed(_("At most %(count)d dates at a time.") % {"count": MAX_ROWS})
    return list({row.day: row for row in rows}.values())
