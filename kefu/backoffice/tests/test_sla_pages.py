"""Backoffice SLA pages: policies, and a calendar's holidays, import and teams."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.audit.models import AuditEntry
from kefu.backoffice.tests.conftest import assert_hidden
from kefu.sla.models import BusinessCalendar, CalendarException, SlaPolicy, TeamCalendar
from kefu.sla.services import calendar_save

POLICIES = "/agent/manage/sla/"


def make_calendar(actor):
    return calendar_save(
        name="Shanghai",
        timezone="Asia/Shanghai",
        always_open=False,
        weekly_hours={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        is_default=True,
        actor=actor,
    )


def test_supervisor_creates_and_edits_a_policy(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(
        POLICIES + "new/",
        {
            "name": "VIP urgent",
            "position": "1",
            "active": "on",
            "priorities": ["3"],
            "vip_tiers": ["2", "3"],
            "channels": ["chat"],
            "conversation_types": ["complaint"],
            "first_response_minutes": "5",
            "resolution_minutes": "240",
            "business_time": "",
            "warn_percent": "75",
            "escalate_on_breach": "on",
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.priorities, policy.vip_tiers, policy.channels) == ([3], [2, 3], ["chat"])
    assert policy.conversation_types == ["complaint"]
    assert (policy.first_response_minutes, policy.next_response_minutes) == (5, None)
    assert (policy.business_time, policy.warn_percent, policy.escalate_on_breach) == (
        False,
        75,
        True,
    )
    html = client.get(POLICIES).content.decode()
    assert "VIP urgent" in html
    assert "Escalates" in html
    edit = client.get(f"{POLICIES}{policy.pk}/edit/")
    assert edit.status_code == 200
    assert 'value="VIP urgent"' in edit.content.decode()
    assert AuditEntry.objects.filter(action="sla_policy.created").count() == 1


def test_a_bad_warning_percentage_is_shown_on_the_form(client_for, supervisor):
    response = client_for(supervisor).post(
        POLICIES + "new/", {"name": "X", "position": "0", "warn_percent": "100"}
    )
    assert response.status_code == 200
    assert not SlaPolicy.objects.exists()


def test_agents_cannot_see_policies(client_for, agent_a):
    assert_hidden(client_for(agent_a), "get", POLICIES)


def test_calendar_dates_add_import_delete_and_teams(client_for, supervisor, actor_of, team_a):
    calendar = make_calendar(actor_of(supervisor))
    url = f"/agent/manage/calendars/{calendar.pk}/dates/"
    client = client_for(supervisor)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"action": "add", "date": "2026-10-10", "kind": "open", "hours": "09:00-18:00"}
    )
    assert response.status_code == 302
    upload = SimpleUploadedFile(
        "cn.csv", b"2026-10-01,closed,,National Day\n2026-10-02,closed,,National Day\n"
    )
    assert client.post(url, {"action": "import", "file": upload}).status_code == 302
    assert set(CalendarException.objects.values_list("date", flat=True)) == {
        date(2026, 10, 10),
        date(2026, 10, 1),
        date(2026, 10, 2),
    }
    html = client.get(url).content.decode()
    assert "National Day" in html
    row = CalendarException.objects.get(date=date(2026, 10, 1))
    client.post(url, {"action": "delete", "exception": row.pk})
    assert not CalendarException.objects.filter(pk=row.pk).exists()
    assert BusinessCalendar.objects.get(pk=calendar.pk).exception_hours == {
        "2026-10-02": [],
        "2026-10-10": [["09:00", "18:00"]],
    }
    client.post(url, {"action": "teams", "teams": [team_a.pk]})
    assert TeamCalendar.objects.get(team=team_a).calendar_id == calendar.pk
    client.post(url, {"action": "teams"})
    assert not TeamCalendar.objects.exists()


def test_a_bad_import_shows_the_line(client_for, supervisor, actor_of):
    calendar = make_calendar(actor_of(supervisor))
    url = f"/agent/manage/calendars/{calendar.pk}/dates/"
    upload = SimpleUploadedFile("cn.csv", b"2026-10-01,holiday,,x\n")
    response = client_for(supervisor).post(url, {"action": "import", "file": upload})
    assert response.status_code == 200
    assert "Line 1: the kind must be closed or open." in response.content.decode()
