"""The status-page management pages under /agent/manage/incidents/."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client

from kefu.accounts.models import Role
from kefu.audit.models import AuditEntry
from kefu.status.models import Incident, IncidentUpdate
from kefu.testing import factories

LIST = "/agent/manage/incidents/"
NEW = "/agent/manage/incidents/new/"
VALID = {
    "kind": "incident",
    "title_en": "ETH withdrawals delayed by network congestion",
    "title_zh": "ETH 提现因网络拥堵延迟",
    "impact": "major",
    "affected": "eth erc20\nUSDT/ERC20\n\n BTC \n",
    "scheduled_start": "",
    "scheduled_end": "",
    "body_en": "Withdrawals are slow.",
    "body_zh": "提现较慢。",
    "is_public": "on",
}


def detail(incident) -> str:
    return f"/agent/manage/incidents/{incident.pk}/"


def _html(response) -> str:
    return response.content.decode()


def _create(client) -> Incident:
    response = client.post(NEW, VALID)
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == detail(incident)
    return incident


def test_supervisor_creates_an_incident_and_sees_it_listed(client_for, supervisor):
    client = client_for(supervisor)
    assert client.get(NEW).status_code == 200
    incident = _create(client)
    assert incident.affected == [
        {"asset": "ETH", "network": "erc20"},
        {"asset": "USDT", "network": "ERC20"},
        {"asset": "BTC", "network": ""},
    ]
    assert (incident.kind, incident.impact, incident.is_public) == ("incident", "major", True)
    html = _html(client.get(LIST))
    assert f'<a href="{detail(incident)}">ETH withdrawals delayed by network congestion</a>' in html
    assert '<span lang="zh-Hans">ETH 提现因网络拥堵延迟</span>' in html
    assert 'href="/help/en/status/"' in html
    page = _html(client.get(detail(incident)))
    assert "Withdrawals are slow." in page
    assert "ETH (erc20), USDT (ERC20), BTC" in page
    assert '<option value="investigating" selected>Investigating</option>' in page
    assert 'value="completed"' not in page  # only the incident states
    assert f'href="/help/en/status/incidents/{incident.pk}/"' in page


def test_create_shows_service_errors_on_the_form(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(NEW, {**VALID, "affected": "ETH!! ERC20"})
    assert response.status_code == 200
    assert "“ETH!!” is not an asset code" in _html(response)
    response = client.post(NEW, {**VALID, "kind": "maintenance"})
    assert "Give the start of the maintenance window." in _html(response)
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.exists()


def test_maintenance_window_is_read_in_the_managers_time_zone(client_for, db):
    manager = factories.StaffFactory(role=Role.SUPERVISOR, timezone="Asia/Shanghai")
    client = client_for(manager)
    response = client.post(
        NEW,
        {
            **VALID,
            "kind": "maintenance",
            "impact": "minor",
            "scheduled_start": "2026-03-01T10:00",
            "scheduled_end": "2026-03-01T11:30",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.scheduled_start.isoformat() == "2026-03-01T02:00:00+00:00"
    assert incident.scheduled_end.isoformat() == "2026-03-01T03:30:00+00:00"
    edit = _html(client.get(f"{detail(incident)}edit/"))
    assert 'value="2026-03-01T10:00"' in edit
    assert "In your time zone (Asia/Shanghai)." in edit


def test_posting_an_update_and_resolving(client_for, supervisor):
    client = client_for(supervisor)
    incident = _create(client)
    response = client.post(
        detail(incident),
        {"state": "monitoring", "body_en": "A fix is rolling out.", "body_zh": ""},
        follow=True,
    )
    assert "Update posted to “ETH withdrawals delayed by network congestion”." in _html(response)
    incident.refresh_from_db()
    assert incident.state == "monitoring"

    resolve = f"{detail(incident)}resolve/"
    page = _html(client.get(resolve))
    assert "<h1>Resolve the incident</h1>" in page
    assert '<option value="resolved" selected>Resolved</option>' in page
    assert 'value="monitoring"' not in page
    assert "The issue has been resolved. Thank you for your patience." in page
    # A non-final state cannot be posted through the resolve page.
    assert client.post(resolve, {"state": "monitoring", "body_en": "x"}).status_code == 200
    response = client.post(resolve, {"state": "resolved", "body_en": "Fixed.", "body_zh": ""})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.state, incident.resolved_at is not None) == ("resolved", True)
    assert IncidentUpdate.objects.filter(incident=incident).count() == 3
    assert "Resolve</a>" not in _html(client.get(detail(incident)))


def test_edit_publish_and_delete(client_for, admin_user):
    client = client_for(admin_user)
    incident = _create(client)
    response = client.post(
        f"{detail(incident)}edit/",
        {"title_en": "ETH withdrawals delayed", "title_zh": "", "impact": "minor", "affected": ""},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title_en, incident.impact, incident.affected) == (
        "ETH withdrawals delayed",
        "minor",
        [],
    )
    response = client.post(f"{detail(incident)}publish/", {"is_public": "0"}, follow=True)
    assert "“ETH withdrawals delayed” is no longer public." in _html(response)
    incident.refresh_from_db()
    assert incident.is_public is False
    client.post(f"{detail(incident)}publish/", {"is_public": "1"})
    incident.refresh_from_db()
    assert incident.is_public is True
    response = client.post(f"{detail(incident)}delete/", follow=True)
    assert "“ETH withdrawals delayed” deleted." in _html(response)
    assert not Incident.objects.exists()
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "incident.created",
        "incident.edited",
        "incident.unpublished",
        "incident.published",
        "incident.deleted",
    ]


def test_nav_links_to_the_section(client_for, supervisor):
    html = _html(client_for(supervisor).get(LIST))
    assert f'<a href="{LIST}" class="active" aria-current="page">Service status</a>' in html


@pytest.mark.parametrize("persona", ["agent_a", "senior", "customer_1"])
def test_non_managers_get_404_and_nothing_is_written(request, client_for, supervisor, persona):
    incident = _create(client_for(supervisor))
    client = client_for(request.getfixturevalue(persona))
    before = AuditEntry.objects.count()
    for url in (LIST, NEW, detail(incident), f"{detail(incident)}edit/"):
        assert client.get(url).status_code == 404
    for url, data in (
        (NEW, VALID),
        (detail(incident), {"state": "resolved", "body_en": "x"}),
        (f"{detail(incident)}resolve/", {"state": "resolved", "body_en": "x"}),
        (f"{detail(incident)}publish/", {"is_public": "0"}),
        (f"{detail(incident)}delete/", {}),
    ):
        assert client.post(url, data).status_code == 404
    assert AuditEntry.objects.count() == before
    assert Incident.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(db):
    response = Client().get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


def test_pages_have_no_inline_script_or_style(client_for, admin_user):
    client = client_for(admin_user)
    incident = _create(client)
    for url in (
        LIST,
        NEW,
        detail(incident),
        f"{detail(incident)}edit/",
        f"{detail(incident)}resolve/",
    ):
        html = _html(client.get(url))
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
        assert " style=" not in html
        assert "<style" not in html


def test_pages_render_in_chinese(client_for, db):
    manager = factories.StaffFactory(role=Role.SUPERVISOR, language="zh-hans")
    client = client_for(manager)
    html = _html(client.get(LIST))
    assert "<h1>服务状态</h1>" in html
    assert ">添加记录</a>" in html
    html = _html(client.get(NEW))
    assert "<h1>添加服务状态记录</h1>" in html
    assert '<option value="maintenance">维护</option>' in html
    response = client.post(NEW, {**VALID, "affected": "ETH!! ERC20"})
    assert "“ETH!!”不是有效的币种代码" in _html(response)
    response = client.post(NEW, VALID, follow=True)
    assert "“ETH 提现因网络拥堵延迟”已保存。" in _html(response)
    assert '<h2 id="update-heading">发布进展</h2>' in _html(response)
