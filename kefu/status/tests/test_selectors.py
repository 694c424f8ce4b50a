"""public_incidents / incident_get_public / open_banner / the staff selectors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.core import clock
from kefu.core.errors import NotFound
from kefu.status import selectors, services
from kefu.status.models import IncidentKind
from kefu.status.tests.conftest import ETH, NOW


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def test_open_banner_lists_open_incidents_worst_first_then_maintenance(
    manager, maintenance_factory, django_assert_num_queries
):
    minor = services.incident_create(
        **{**ETH, "title_en": "Slow deposits", "title_zh": "", "impact": "minor"}, actor=manager
    )
    critical = services.incident_create(
        **{**ETH, "title_en": "Login outage", "title_zh": "登录故障", "impact": "critical"},
        actor=manager,
    )
    soon = maintenance_factory(NOW + timedelta(hours=23), title_en="Soon")
    maintenance_factory(NOW + timedelta(hours=25), title_en="Later")
    running = maintenance_factory(NOW - timedelta(hours=1), title_en="Running")
    services.incident_update(incident=running, state="in_progress", body_en="Go.", actor=manager)
    stale = maintenance_factory(NOW - timedelta(hours=5), hours=1, title_en="Stale")
    done = maintenance_factory(NOW - timedelta(hours=1), title_en="Done")
    services.incident_update(incident=done, state="completed", body_en="Done.", actor=manager)
    fixed = services.incident_create(**{**ETH, "title_en": "Fixed"}, actor=manager)
    services.incident_update(incident=fixed, state="resolved", body_en="Ok.", actor=manager)
    draft = services.incident_create(**{**ETH, "title_en": "Draft"}, is_public=False, actor=manager)
    services.incident_create(
        kind=IncidentKind.ANNOUNCEMENT, title_en="News", body_en="News.", actor=manager
    )
    del stale, draft

    with django_assert_num_queries(1):
        items = selectors.open_banner("en")
    assert [(i["title"], i["kind"], i["impact"], i["state"]) for i in items] == [
        ("Login outage", "incident", "critical", "investigating"),
        ("Slow deposits", "incident", "minor", "investigating"),
        ("Running", "maintenance", "minor", "in_progress"),
        ("Soon", "maintenance", "minor", "scheduled"),
    ]
    assert items[0] == {
        "id": critical.pk,
        "kind": "incident",
        "impact": "critical",
        "state": "investigating",
        "title": "Login outage",
        "url": f"/help/en/status/incidents/{critical.pk}/",
    }
    zh = selectors.open_banner("zh-hans", base_url="https://support.example.com/")
    assert [i["title"] for i in zh][:2] == ["登录故障", "Slow deposits"]
    assert zh[1]["url"] == f"https://support.example.com/help/zh-hans/status/incidents/{minor.pk}/"
    assert soon.pk in {i["id"] for i in zh}


def test_public_incidents_sections_and_overall_state(manager, maintenance_factory):
    overview = selectors.public_incidents("en")
    assert (overview.level, overview.label) == ("operational", "All systems operational")

    upcoming = maintenance_factory(NOW + timedelta(days=3), title_en="Upcoming")
    running = maintenance_factory(NOW - timedelta(minutes=30), title_en="Running")
    services.incident_update(incident=running, state="in_progress", body_en="Go.", actor=manager)
    overview = selectors.public_incidents("en")
    assert (overview.level, overview.label) == ("maintenance", "Maintenance in progress")
    assert [m.title for m in overview.maintenance] == ["Running", "Upcoming"]
    assert overview.maintenance[1].pk == upcoming.pk

    services.incident_create(**{**ETH, "impact": "none", "title_en": "Odd"}, actor=manager)
    assert selectors.public_incidents("en").label == "We are looking into an issue"
    services.incident_create(**{**ETH, "impact": "minor", "title_en": "Minor"}, actor=manager)
    assert selectors.public_incidents("en").label == "Minor service disruption"
    services.incident_create(**{**ETH, "impact": "critical", "title_en": "Down"}, actor=manager)
    overview = selectors.public_incidents("en")
    assert (overview.level, overview.label) == ("critical", "Major service outage")
    assert [i.title for i in overview.open_incidents] == ["Down", "Minor", "Odd"]
    down = overview.open_incidents[0]
    assert down.affected == ["ETH (ERC20)", "USDT (ERC20)"]
    assert (down.kind_label, down.impact_label, down.state_label) == (
        "Incident",
        "Critical",
        "Investigating",
    )
    assert str(down.updates[0].body_html) == (
        "<p>Withdrawals are <strong>slow</strong>. Your funds are safe.</p>\n"
    )


def test_history_keeps_thirty_days_of_resolved_entries(manager, monkeypatch):
    old = services.incident_create(**{**ETH, "title_en": "Old"}, actor=manager)
    services.incident_update(incident=old, state="resolved", body_en="Ok.", actor=manager)
    later = NOW + timedelta(days=29)
    monkeypatch.setattr(clock, "now", lambda: later)
    recent = services.incident_create(**{**ETH, "title_en": "Recent"}, actor=manager)
    services.incident_update(incident=recent, state="resolved", body_en="Ok.", actor=manager)
    assert [i.title for i in selectors.public_incidents("en").history] == ["Recent", "Old"]
    monkeypatch.setattr(clock, "now", lambda: later + timedelta(days=2))
    assert [i.title for i in selectors.public_incidents("en").history] == ["Recent"]


def test_incident_get_public_hides_drafts(eth_incident, manager):
    assert selectors.incident_get_public(pk=eth_incident.pk, language="zh-hans").title == (
        "ETH 提现因网络拥堵延迟"
    )
    services.incident_set_public(incident=eth_incident, is_public=False, actor=manager)
    with pytest.raises(NotFound):
        selectors.incident_get_public(pk=eth_incident.pk, language="en")


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_staff_selectors_hide_everything_from_non_managers(request, eth_incident, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(NotFound):
        selectors.incident_list_for_staff(viewer=user)
    with pytest.raises(NotFound):
        selectors.incident_get_for_staff(viewer=user, pk=eth_incident.pk)


def test_staff_selectors_include_drafts(admin_user, manager):
    draft = services.incident_create(**ETH, is_public=False, actor=manager)
    assert list(selectors.incident_list_for_staff(viewer=admin_user)) == [draft]
    assert selectors.incident_get_for_staff(viewer=admin_user, pk=draft.pk) == draft
