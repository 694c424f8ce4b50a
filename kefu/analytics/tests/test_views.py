from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from kefu.analytics import selectors
from kefu.audit.models import AuditEntry

BACKEND = "django.contrib.auth.backends.ModelBackend"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


QUERY = {"from": "2026-11-01", "to": "2026-11-07"}


@pytest.mark.django_db
def test_overview_shows_the_period_numbers_and_chart_data(data, supervisor):
    response = client_for(supervisor).get("/agent/analytics/", QUERY)
    assert response.status_code == 200
    view = response.context["tables"][0]
    rows = {row[0]: row[1] for row in view["rows"]}
    assert rows["Conversations"] == "2"
    assert rows["Resolved conversations"] == "1"
    assert rows["First-contact resolution"] == "100.0 %"
    chart = json.loads(response.context["chart"] and json.dumps(response.context["chart"]))
    assert sum(chart["conversations"]) == 2
    assert chart["hours"][8] == 2
    assert response.context["backlog"].open == 1
    body = response.content.decode()
    assert 'id="analytics-data"' in body
    assert "analytics/vendor/plotly.min.js" in body
    assert "<script>" not in body  # data in a JSON script tag, no inline script (CSP)


@pytest.mark.django_db
def test_filter_in_the_url_narrows_the_overview(data, supervisor, team_a):
    response = client_for(supervisor).get("/agent/analytics/", {**QUERY, "team": team_a.pk})
    rows = {row[0]: row[1] for row in response.context["tables"][0]["rows"]}
    assert rows["Conversations"] == "1"
    assert response.context["backlog"].open == 0
    form = client_for(supervisor).get(
        "/agent/analytics/", {**QUERY, "dimension": "channel", "value": "chat"}
    )
    rows = {row[0]: row[1] for row in form.context["tables"][0]["rows"]}
    assert rows["Conversations"] == "1"
    assert rows["Resolved conversations"] == "0"


@pytest.mark.django_db
def test_breakdown_by_team_has_one_row_per_team(data, supervisor):
    response = client_for(supervisor).get("/agent/analytics/by/team/", QUERY)
    assert response.status_code == 200
    rows = response.context["tables"][0]["rows"]
    assert sorted(r[0] for r in rows) == ["Team A", "Team B"]
    team_a = next(r for r in rows if r[0] == "Team A")
    assert team_a[1] == "1"
    assert team_a[2] == "1"


@pytest.mark.django_db
def test_csv_export_has_raw_numbers(data, supervisor):
    response = client_for(supervisor).get(
        "/agent/analytics/by/channel/", {**QUERY, "export": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Channel"
    by_channel = {r[0]: r for r in rows[1:]}
    assert by_channel["Email"][1] == "1"
    assert AuditEntry.objects.filter(action="analytics.exported").count() == 0


@pytest.mark.django_db
def test_agent_xlsx_export_is_audited(data, supervisor, agent_a):
    before = AuditEntry.objects.count()
    response = client_for(supervisor).get("/agent/analytics/by/agent/", {**QUERY, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Agent"
    names = [row[0] for row in values[1:]]
    assert str(agent_a.display_name or agent_a.email) in names
    entry = AuditEntry.objects.get(action="analytics.exported")
    assert entry.object_id == "agent"
    assert entry.data["format"] == "xlsx"
    assert AuditEntry.objects.count() == before + 1


@pytest.mark.django_db
def test_agents_are_refused_and_nothing_is_exported(data, agent_a):
    client = client_for(agent_a)
    assert client.get("/agent/analytics/", QUERY).status_code == 404
    assert client.get("/agent/analytics/by/agent/", {"export": "csv"}).status_code == 404
    assert not AuditEntry.objects.filter(action="analytics.exported").exists()


@pytest.mark.django_db
def test_unknown_dimension_or_format_is_not_found(data, supervisor):
    client = client_for(supervisor)
    assert client.get("/agent/analytics/by/password/").status_code == 404
    assert client.get("/agent/analytics/", {"export": "exe"}).status_code == 404


def test_filters_fall_back_and_clamp():
    today = datetime(2026, 12, 1, tzinfo=UTC).date()
    f = selectors.parse_filters({"from": "nonsense"}, today=today)
    assert f.end == today
    assert f.days == selectors.DEFAULT_DAYS
    f = selectors.parse_filters({"from": "2020-01-01", "to": "2026-12-01"}, today=today)
    assert f.days == selectors.MAX_DAYS
    f = selectors.parse_filters({"team": "3", "channel": "chat"}, today=today)
    assert f.selected == (("channel", "chat"), ("team", "3"))
    assert (f.dimension, f.combined) == ("", True)
    assert f.query() == {"from": f.start.isoformat(), "to": f.end.isoformat(), **dict(f.selected)}
    f = selectors.parse_filters({"team": "3", "dimension": "team", "value": "4"}, today=today)
    assert f.selected == (("team", "4"),)
    assert (f.dimension, f.value, f.combined) == ("team", "4", False)
    assert f.previous().end == f.start - timedelta(days=1)


def test_plotly_bundle_is_a_static_file():
    found = finders.find("analytics/vendor/plotly.min.js")
    assert found
    assert str(found).endswith("plotly.min.js")


@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=400),
)
def test_month_and_day_rows_cover_a_range_exactly_once(start, length):
    end = start + timedelta(days=length)
    months, edges = selectors.cover(start, end)
    covered: list[date] = []
    for first in months:
        day = first
        while day.month == first.month:
            covered.append(day)
            day += timedelta(days=1)
    for low, high in edges:
        covered.extend(low + timedelta(days=i) for i in range((high - low).days + 1))
    assert sorted(covered) == [start + timedelta(days=i) for i in range(length + 1)]


@pytest.mark.django_db
def test_combined_filters_in_the_url_all_apply(data, supervisor, team_a):
    client = client_for(supervisor)
    both = client.get("/agent/analytics/", {**QUERY, "team": team_a.pk, "channel": "email"})
    rows = {row[0]: row[1] for row in both.context["tables"][0]["rows"]}
    assert rows["Conversations"] == "1"
    assert rows["Resolved conversations"] == "1"
    assert both.context["filters"].selected == (("channel", "email"), ("team", str(team_a.pk)))
    # Each filter alone matches a conversation; together (team A's is email, not chat) none.
    none = client.get("/agent/analytics/", {**QUERY, "team": team_a.pk, "channel": "chat"})
    rows = {row[0]: row[1] for row in none.context["tables"][0]["rows"]}
    assert rows["Conversations"] == "0"
    assert none.context["backlog"].open == 0
    body = none.content.decode()
    assert f'name="team" value="{team_a.pk}"' in body  # kept when the form adds a filter
    assert 'name="channel" value="chat"' in body


@pytest.mark.django_db
def test_a_breakdown_is_narrowed_by_filters_on_other_dimensions(data, supervisor):
    client = client_for(supervisor)
    everything = client.get("/agent/analytics/by/team/", QUERY)
    assert sorted(r[0] for r in everything.context["tables"][0]["rows"]) == ["Team A", "Team B"]
    chat = client.get("/agent/analytics/by/team/", {**QUERY, "channel": "chat"})
    rows = chat.context["tables"][0]["rows"]
    assert [(r[0], r[1]) for r in rows] == [("Team B", "1")]


@pytest.mark.django_db
def test_viewing_the_agent_drilldown_is_audited(data, supervisor):
    client = client_for(supervisor)
    assert client.get("/agent/analytics/by/team/", QUERY).status_code == 200
    assert client.get("/agent/analytics/", QUERY).status_code == 200
    assert not AuditEntry.objects.filter(action="analytics.viewed").exists()

    response = client.get("/agent/analytics/by/agent/", {**QUERY, "channel": "email"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="analytics.viewed")
    assert (entry.object_type, entry.object_id) == ("analytics_view", "agent")
    assert entry.actor_ref == f"agent:{supervisor.pk}"
    assert entry.data == {**QUERY, "channel": "email"}


@pytest.mark.django_db
def test_an_overview_filtered_on_an_agent_is_audited(data, supervisor, agent_a):
    client = client_for(supervisor)
    response = client.get("/agent/analytics/", {**QUERY, "agent": agent_a.pk})
    assert response.status_code == 200
    rows = {row[0]: row[1] for row in response.context["tables"][0]["rows"]}
    assert rows["Conversations"] == "1"
    entry = AuditEntry.objects.get(action="analytics.viewed")
    assert entry.object_id == "overview"
    assert entry.data["agent"] == str(agent_a.pk)


@pytest.mark.django_db
def test_an_agent_export_is_audited_once_as_an_export(data, supervisor):
    response = client_for(supervisor).get("/agent/analytics/by/agent/", {**QUERY, "export": "csv"})
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="analytics.exported").count() == 1
    assert not AuditEntry.objects.filter(action="analytics.viewed").exists()


@pytest.mark.django_db
def test_refused_readers_leave_no_view_audit(data, agent_a):
    client = client_for(agent_a)
    assert client.get("/agent/analytics/by/agent/", QUERY).status_code == 404
    assert client.get("/agent/analytics/", {**QUERY, "agent": agent_a.pk}).status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="analytics.").exists()
