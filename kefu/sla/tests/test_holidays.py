"""Dated exceptions: saved one by one, imported from CSV or iCalendar (service and command),
and honoured by the calendar's hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.audit.models import AuditEntry
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.sla.hours import add_business_time, is_open
from kefu.sla.models import BusinessCalendar, CalendarException
from kefu.sla.services import (
    calendar_exception_delete,
    calendar_exception_save,
    calendar_import_exceptions,
    calendar_save,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}

CSV = """date,kind,hours,name
2026-10-01,closed,,National Day
2026-10-02,closed,,National Day
2026-10-10,open,,Make-up working day
2026-10-11,open,10:00-12:00;13:00-16:00,Make-up (short)
"""

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//CN
BEGIN:VEVENT
UID:1@test
DTSTART;VALUE=DATE:20261001
DTEND;VALUE=DATE:20261008
SUMMARY:\xe5\x9b\xbd\xe5\xba\x86\xe8\x8a\x82
END:VEVENT
BEGIN:VEVENT
UID:2@test
DTSTART;VALUE=DATE:20261010
DTEND;VALUE=DATE:20261011
SUMMARY:\xe8\xa1\xa5\xe7\x8f\xad
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def calendar(manager):
    return calendar_save(
        name="Shanghai",
        timezone="Asia/Shanghai",
        always_open=False,
        weekly_hours=WEEKDAYS,
        is_default=True,
        actor=manager,
    )


def spec(calendar):
    return BusinessCalendar.objects.get(pk=calendar.pk).spec()


def test_csv_import_closes_holidays_and_opens_make_up_days(calendar, manager):
    assert calendar_import_exceptions(calendar=calendar, content=CSV.encode(), actor=manager) == 4
    hours = spec(calendar)
    assert not is_open(hours, datetime(2026, 10, 1, 10, tzinfo=SHANGHAI))  # a Thursday
    assert is_open(hours, datetime(2026, 10, 10, 9, tzinfo=SHANGHAI))  # a Saturday: usual hours
    assert is_open(hours, datetime(2026, 10, 11, 15, tzinfo=SHANGHAI))  # a Sunday
    assert not is_open(hours, datetime(2026, 10, 11, 12, 30, tzinfo=SHANGHAI))  # its lunch
    stored = BusinessCalendar.objects.get(pk=calendar.pk).exception_hours
    assert stored["2026-10-10"] == [["09:00", "18:00"]]
    row = AuditEntry.objects.get(action="calendar.exceptions_imported")
    assert row.data["count"] == 4


def test_ics_import_of_a_holiday_feed(calendar, manager):
    assert calendar_import_exceptions(calendar=calendar, content=ICS, actor=manager) == 8
    hours = spec(calendar)
    # Wednesday 30 September 17:00 + 2 business hours: one hour left that day, the week of
    # National Day closed, then the make-up Saturday.
    due = add_business_time(hours, datetime(2026, 9, 30, 17, tzinfo=SHANGHAI), timedelta_hours(2))
    assert due == datetime(2026, 10, 8, 10, tzinfo=SHANGHAI).astimezone(UTC)
    assert CalendarException.objects.get(calendar=calendar, date=date(2026, 10, 10)).kind == "open"


def timedelta_hours(n):
    from datetime import timedelta

    return timedelta(hours=n)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (b"2026-13-01,closed,,x\n", "Line 2: write the date as YYYY-MM-DD."),
        (b"2026-10-01,shut,,x\n", "Line 2: the kind must be closed or open."),
        (b"2026-10-01,open,9-18,x\n", "Write times as HH:MM, for example 09:00."),
        (None, "The file has no dates."),
    ],
)
def test_a_bad_file_imports_nothing(calendar, manager, bad_line, message):
    content = b"" if bad_line is None else b"2026-10-02,closed,,ok\n" + bad_line
    with pytest.raises(ValidationFailed) as excinfo:
        calendar_import_exceptions(calendar=calendar, content=content, actor=manager)
    assert excinfo.value.fields == {"file": [message]}
    assert not CalendarException.objects.exists()


def test_single_exceptions_are_saved_replaced_and_deleted(calendar, manager, agent_a, actor_of):
    with pytest.raises(PermissionDenied):
        calendar_exception_save(
            calendar=calendar, day=date(2026, 5, 1), kind="closed", actor=actor_of(agent_a)
        )
    row = calendar_exception_save(
        calendar=calendar, day=date(2026, 5, 1), kind="closed", name="Labour Day", actor=manager
    )
    calendar_exception_save(
        calendar=calendar,
        day=date(2026, 5, 1),
        kind="open",
        hours=[["10:00", "12:00"]],
        actor=manager,
    )
    assert CalendarException.objects.count() == 1
    assert BusinessCalendar.objects.get(pk=calendar.pk).exception_hours == {
        "2026-05-01": [["10:00", "12:00"]]
    }
    with pytest.raises(ValidationFailed):
        calendar_exception_save(calendar=calendar, day=date(2026, 5, 2), kind="open", actor=manager)
    calendar_exception_delete(exception=CalendarException.objects.get(pk=row.pk), actor=manager)
    assert BusinessCalendar.objects.get(pk=calendar.pk).exception_hours == {}


def test_import_holidays_command(calendar, tmp_path, capsys):
    path = tmp_path / "cn-2026.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("sla", "import-holidays", str(path), "--calendar", "shanghai")
    assert "imported 4 dates into Shanghai" in capsys.readouterr().out
    assert CalendarException.objects.filter(calendar=calendar).count() == 4
    with pytest.raises(CommandError, match="no calendar named"):
        call_command("sla", "import-holidays", str(path), "--calendar", "Nowhere")
