import pytest

from kefu.audit.models import AuditEntry
from kefu.backoffice.forms import parse_day_hours
from kefu.backoffice.tests.conftest import assert_hidden, assert_login_redirect
from kefu.sla.models import BusinessCalendar
from kefu.sla.services import calendar_save

LIST = "/agent/manage/calendars/"
NEW = "/agent/manage/calendars/new/"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
VALID = {
    "name": "Customer service",
    "timezone": "Asia/Shanghai",
    "mon": "09:00-12:00, 13:00-21:00",
    "tue": "9:00 – 21:00",
    "wed": "09:00-21:00",
    "thu": "09:00-21:00",
    "fri": "09:00-21:00",
    "sat": "10:00-18:00",
    "sun": "",
}


def edit_url(calendar):
    return f"/agent/manage/calendars/{calendar.pk}/edit/"


@pytest.fixture
def calendar(supervisor, actor_of):
    return calendar_save(
        name="Customer service",
        timezone="Asia/Shanghai",
        always_open=False,
        weekly_hours={day: [["09:00", "21:00"]] for day in DAYS[:5]}
        | {"sat": [["10:00", "18:00"]]},
        is_default=True,
        actor=actor_of(supervisor),
    )


def test_list_shows_hours_in_words(client_for, supervisor, calendar):
    response = client_for(supervisor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Customer service" in html
    assert "Mon–Fri 09:00–21:00, Sat 10:00–18:00 (Asia/Shanghai)" in html
    assert edit_url(calendar) in html
    assert '<span class="badge">Default</span>' in html


def test_empty_list_explains_the_24_7_fallback(client_for, supervisor):
    html = client_for(supervisor).get(LIST).content.decode()
    assert "No calendar yet: the chat widget shows support as open every day, 24 hours." in html


def test_supervisor_creates_a_calendar(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(NEW, VALID)
    assert response.status_code == 302
    assert response.url == LIST
    calendar = BusinessCalendar.objects.get()
    assert (calendar.name, calendar.timezone, calendar.is_default, calendar.always_open) == (
        "Customer service",
        "Asia/Shanghai",
        True,
        False,
    )
    assert calendar.weekly_hours == {
        "mon": [["09:00", "12:00"], ["13:00", "21:00"]],
        "tue": [["09:00", "21:00"]],
        "wed": [["09:00", "21:00"]],
        "thu": [["09:00", "21:00"]],
        "fri": [["09:00", "21:00"]],
        "sat": [["10:00", "18:00"]],
        "sun": [],
    }
    entry = AuditEntry.objects.get(action="calendar.created")
    assert (entry.object_type, entry.object_id, entry.actor_ref) == (
        "calendar",
        str(calendar.pk),
        f"agent:{supervisor.pk}",
    )
    assert "Calendar “Customer service” saved." in client.get(LIST).content.decode()


def test_form_renders_one_text_field_per_day(client_for, supervisor):
    html = client_for(supervisor).get(NEW).content.decode()
    for day, label in zip(
        DAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    ):
        assert f'<label for="id_{day}">{label}</label>' in html
        assert f'name="{day}"' in html
    assert '<option value="Asia/Shanghai" selected>Asia/Shanghai</option>' in html
    assert "<legend>Weekly hours</legend>" in html


def test_admin_edits_a_calendar(client_for, admin_user, calendar):
    client = client_for(admin_user)
    initial = client.get(edit_url(calendar)).context["form"].initial
    assert initial == {
        "name": "Customer service",
        "timezone": "Asia/Shanghai",
        "always_open": False,
        "is_default": True,
        "mon": "09:00-21:00",
        "tue": "09:00-21:00",
        "wed": "09:00-21:00",
        "thu": "09:00-21:00",
        "fri": "09:00-21:00",
        "sat": "10:00-18:00",
        "sun": "",
    }
    response = client.post(
        edit_url(calendar),
        {**VALID, "timezone": "Europe/London", "always_open": "on", "is_default": "on"},
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert (calendar.timezone, calendar.always_open) == ("Europe/London", True)
    entry = AuditEntry.objects.get(action="calendar.updated")
    assert entry.object_id == str(calendar.pk)
    assert BusinessCalendar.objects.count() == 1


def test_malformed_day_text_is_shown_on_that_day(client_for, supervisor):
    response = client_for(supervisor).post(NEW, {**VALID, "wed": "nine to five"})
    assert response.status_code == 200
    assert response.context["form"].errors["wed"] == [
        "Write ranges like 09:00-12:00, 13:00-21:00, or leave empty when closed."
    ]
    assert not BusinessCalendar.objects.exists()
    assert not AuditEntry.objects.exists()


def test_service_errors_land_on_the_day(client_for, supervisor):
    response = client_for(supervisor).post(NEW, {**VALID, "thu": "13:00-18:00, 09:00-12:00"})
    assert response.status_code == 200
    assert response.context["form"].errors["thu"] == ["List the ranges in order, without overlaps."]
    response = client_for(supervisor).post(NEW, {**VALID, "fri": "21:00-09:00"})
    assert response.context["form"].errors["fri"] == ["Each range must end after it starts."]
    assert not BusinessCalendar.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_calendar_without_hours_is_refused_on_the_form(client_for, supervisor):
    response = client_for(supervisor).post(
        NEW, {"name": "Closed", "timezone": "UTC", **dict.fromkeys(DAYS, "")}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter the hours for at least one day, or choose open 24/7." in html
    assert not BusinessCalendar.objects.exists()


def test_unknown_timezone_is_refused(client_for, supervisor):
    response = client_for(supervisor).post(NEW, {**VALID, "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert response.context["form"].errors["timezone"]
    assert not BusinessCalendar.objects.exists()


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("", []),
        ("  ", []),
        ("09:00-21:00", [["09:00", "21:00"]]),
        ("9:00 - 12:00，13:00~24:00", [["09:00", "12:00"], ["13:00", "24:00"]]),
        ("08:00—12:00; 13:00–17:30", [["08:00", "12:00"], ["13:00", "17:30"]]),
    ],
)
def test_day_text_parsing(text, ranges):
    assert parse_day_hours(text) == ranges


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404_and_nothing_changes(request, client_for, persona, calendar):
    client = client_for(request.getfixturevalue(persona))
    assert_hidden(client, "get", LIST)
    assert_hidden(client, "get", NEW)
    assert_hidden(client, "get", edit_url(calendar))
    assert_hidden(client, "post", NEW, {**VALID, "name": "Rogue"})
    assert_hidden(client, "post", edit_url(calendar), {**VALID, "name": "Rogue"})
    assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["Customer service"]


def test_missing_calendar_is_404(client_for, supervisor):
    assert_hidden(client_for(supervisor), "get", "/agent/manage/calendars/999999/edit/")


def test_anonymous_is_sent_to_sign_in(calendar):
    assert_login_redirect("get", LIST)
    assert_login_redirect("post", NEW, VALID)
    assert_login_redirect("post", edit_url(calendar), VALID)
    assert BusinessCalendar.objects.count() == 1
