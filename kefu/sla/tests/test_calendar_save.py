"""calendar_save (supervisors and admins) and the default_calendar selector."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed
from kefu.sla.hours import CalendarSpec
from kefu.sla.models import BusinessCalendar
from kefu.sla.selectors import default_calendar
from kefu.sla.services import calendar_save
from kefu.testing import factories

HOURS = {"mon": [["09:00", "21:00"]], "sat": [["10:00", "18:00"]]}
STORED = {
    "mon": [["09:00", "21:00"]],
    "tue": [],
    "wed": [],
    "thu": [],
    "fri": [],
    "sat": [["10:00", "18:00"]],
    "sun": [],
}


def save(actor, **overrides):
    kwargs = {
        "name": "Customer service",
        "timezone": "Asia/Shanghai",
        "always_open": False,
        "weekly_hours": HOURS,
        "is_default": False,
        **overrides,
    }
    return calendar_save(actor=actor, **kwargs)


def audit_rows():
    return list(
        AuditEntry.objects.order_by("id").values_list("action", "object_id", "data", "actor_ref")
    )


@pytest.mark.parametrize("manager", ["supervisor", "admin_user"])
def test_managers_create_a_calendar_which_becomes_the_default(request, actor_of, manager):
    user = request.getfixturevalue(manager)
    calendar = save(actor_of(user), name="  Customer service ")
    calendar.refresh_from_db()
    assert (calendar.name, calendar.timezone, calendar.always_open, calendar.is_default) == (
        "Customer service",
        "Asia/Shanghai",
        False,
        True,  # the first calendar is the default whatever the caller said
    )
    assert calendar.weekly_hours == STORED
    assert audit_rows() == [
        (
            "calendar.created",
            str(calendar.pk),
            {
                "name": "Customer service",
                "timezone": "Asia/Shanghai",
                "always_open": False,
                "weekly_hours": STORED,
                "is_default": True,
            },
            f"agent:{user.pk}",
        )
    ]


def test_making_another_calendar_the_default_moves_the_flag(supervisor, actor_of):
    actor = actor_of(supervisor)
    first = save(actor)
    second = save(actor, name="Phone hotline", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert BusinessCalendar.objects.filter(is_default=True).count() == 1
    assert [(a, o, d.get("is_default")) for a, o, d, _ in audit_rows()] == [
        ("calendar.created", str(first.pk), True),
        ("calendar.updated", str(first.pk), False),
        ("calendar.created", str(second.pk), True),
    ]
    assert default_calendar() == second.spec()


def test_a_second_calendar_is_not_the_default_unless_asked(supervisor, actor_of):
    actor = actor_of(supervisor)
    first = save(actor)
    second = save(actor, name="Phone hotline")
    assert not second.is_default
    assert BusinessCalendar.objects.get(is_default=True) == first


def test_the_default_cannot_drop_the_flag_while_others_exist(supervisor, actor_of):
    actor = actor_of(supervisor)
    first = save(actor)
    save(actor, name="Phone hotline")
    before = audit_rows()
    with pytest.raises(ValidationFailed) as excinfo:
        save(actor, calendar=first, name="Renamed", is_default=False)
    assert excinfo.value.fields == {
        "is_default": ["Make another calendar the default instead; one must always be."]
    }
    first.refresh_from_db()
    assert (first.name, first.is_default) == ("Customer service", True)
    assert audit_rows() == before


def test_the_only_calendar_stays_the_default(supervisor, actor_of):
    actor = actor_of(supervisor)
    calendar = save(actor)
    save(actor, calendar=calendar, always_open=True, weekly_hours={}, is_default=False)
    calendar.refresh_from_db()
    assert (calendar.is_default, calendar.always_open) == (True, True)
    assert calendar.weekly_hours == {day: [] for day in STORED}
    assert audit_rows()[-1][0] == "calendar.updated"


def test_update_rewrites_the_hours(supervisor, actor_of):
    actor = actor_of(supervisor)
    calendar = save(actor)
    save(
        actor,
        calendar=calendar,
        timezone="Europe/London",
        weekly_hours={"fri": [["08:00", "12:00"], ["13:00", "24:00"]]},
    )
    calendar.refresh_from_db()
    assert calendar.timezone == "Europe/London"
    assert calendar.weekly_hours["fri"] == [["08:00", "12:00"], ["13:00", "24:00"]]
    assert calendar.weekly_hours["mon"] == []
    assert BusinessCalendar.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"name": "  "}, {"name": ["Use a name of 1 to 100 characters."]}),
        ({"name": "x" * 101}, {"name": ["Use a name of 1 to 100 characters."]}),
        ({"timezone": "Mars/Olympus"}, {"timezone": ["Choose a timezone from the list."]}),
        ({"timezone": "asia/shanghai"}, {"timezone": ["Choose a timezone from the list."]}),
        (
            {"weekly_hours": {"tue": [["18:00", "09:00"]]}},
            {"tue": ["Each range must end after it starts."]},
        ),
        (
            {"weekly_hours": {"wed": [["09:00", "13:00"], ["12:00", "18:00"]]}},
            {"wed": ["List the ranges in order, without overlaps."]},
        ),
        (
            {"weekly_hours": {"thu": [["9", "17"]]}},
            {"thu": ["Write times as HH:MM, for example 09:00."]},
        ),
        (
            {"weekly_hours": {"funday": []}},
            {"weekly_hours": ["Unknown day “funday”."]},
        ),
        (
            {"weekly_hours": {}},
            {"weekly_hours": ["Enter the hours for at least one day, or choose open 24/7."]},
        ),
    ],
)
def test_invalid_calendars_are_refused_and_nothing_is_written(
    supervisor, actor_of, overrides, fields
):
    with pytest.raises(ValidationFailed) as excinfo:
        save(actor_of(supervisor), **overrides)
    assert excinfo.value.fields == fields
    assert not BusinessCalendar.objects.exists()
    assert not AuditEntry.objects.exists()


def test_duplicate_names_are_refused(supervisor, actor_of):
    actor = actor_of(supervisor)
    save(actor)
    with pytest.raises(Conflict) as excinfo:
        save(actor, name="CUSTOMER SERVICE")
    assert excinfo.value.fields == {"name": ["A calendar with this name already exists."]}
    assert BusinessCalendar.objects.count() == 1
    assert AuditEntry.objects.count() == 1


@pytest.fixture
def refused_actor(request, agent_a, senior, customer_1, actor_of):
    return {
        "agent_l1": lambda: actor_of(agent_a),
        "agent_l2": lambda: actor_of(senior),
        "customer": lambda: actor_of(customer_1),
        "system": lambda: Actor.system("test"),
        "inactive_supervisor": lambda: actor_of(
            factories.StaffFactory(role="supervisor", is_active=False)
        ),
    }[request.param]()


@pytest.mark.parametrize(
    "refused_actor",
    ["agent_l1", "agent_l2", "customer", "system", "inactive_supervisor"],
    indirect=True,
)
def test_only_managers_save_calendars(refused_actor):
    with pytest.raises(PermissionDenied):
        save(refused_actor)
    assert not BusinessCalendar.objects.exists()
    assert not AuditEntry.objects.exists()


def test_errors_come_out_in_chinese(supervisor, actor_of):
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        save(actor_of(supervisor), weekly_hours={"mon": [["10:00", "09:00"]]})
    assert excinfo.value.fields == {"mon": ["每个时间段的结束时间必须晚于开始时间。"]}
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as excinfo:
        save(actor_of(supervisor), timezone="Nowhere")
    assert excinfo.value.message == "请从列表中选择时区。"


def test_the_database_allows_only_one_default(db):
    BusinessCalendar.objects.create(name="A", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(name="B", is_default=True)


# --- default_calendar ------------------------------------------------------------------------


def test_default_calendar_is_24_7_when_none_is_configured(db):
    assert default_calendar() == CalendarSpec.twenty_four_seven()


def test_default_calendar_is_the_default_ones_hours(supervisor, actor_of):
    save(actor_of(supervisor), always_open=False)
    assert default_calendar() == CalendarSpec.from_weekly_hours(
        timezone="Asia/Shanghai", always_open=False, weekly_hours=HOURS
    )


def test_default_calendar_with_unreadable_hours_falls_back_to_24_7(db, caplog):
    calendar = BusinessCalendar.objects.create(
        name="Broken", is_default=True, weekly_hours={"mon": [["21:00", "09:00"]]}
    )
    with caplog.at_level(logging.WARNING, logger="kefu.sla.selectors"):
        assert default_calendar() == CalendarSpec.twenty_four_seven()
    assert f"business calendar {calendar.pk} has unusable hours" in caplog.text


def test_default_calendar_takes_one_query(supervisor, actor_of, django_assert_num_queries):
    save(actor_of(supervisor))
    with django_assert_num_queries(1):
        default_calendar()
