"""The spike alert pages, acknowledging, opening an incident from an alert, and the policy page:
supervisors and admins only, every change audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.errors import PermissionDenied
from kefu.status.models import Incident, IncidentConversation
from kefu.testing import factories
from kefu.trends import services
from kefu.trends.models import TrendAlert, TrendMember, TrendPolicy

from .conftest import HOUR, make_conversation

BACKEND = "django.contrib.auth.backends.ModelBackend"
pytestmark = pytest.mark.django_db
KEY = "t:TRC20|i:withdrawal_status|l:zh"


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def alert(db):
    """An alert with three conversations counted under its key (two also naming USDT)."""
    now = clock.now()
    alert = TrendAlert.objects.create(
        key=KEY, window_start=HOUR, count=12, baseline=3.0, score=5.2, created_at=now,
        updated_at=now,
    )  # fmt: skip
    contact = factories.ContactFactory()
    for i in range(3):
        conversation = make_conversation(HOUR + timedelta(minutes=i), contact=contact)
        TrendMember.objects.create(key=KEY, hour=HOUR, conversation=conversation)
        if i < 2:
            TrendMember.objects.create(key="t:USDT", hour=HOUR, conversation=conversation)
    return alert


def test_supervisor_sees_the_alerts_page_and_the_badge(alert, supervisor):
    html = _client(supervisor).get(reverse("agent_trends:list")).content.decode()
    assert f'id="trend-alert-{alert.pk}"' in html
    assert "TRC20 · Withdrawal status · Chinese" in html
    assert "+300 %" in html
    assert 'data-trend-alerts-badge aria-label="Open spike alerts">1</span>' in html


def test_agents_get_404_and_no_badge(alert, agent_a):
    client = _client(agent_a)
    assert client.get(reverse("agent_trends:list")).status_code == 404
    assert client.get(reverse("agent_trends:detail", args=[alert.pk])).status_code == 404
    assert client.post(reverse("agent_trends:acknowledge", args=[alert.pk])).status_code == 404
    html = client.get(reverse("agent_alerts:list")).content.decode()
    assert "data-trend-alerts-badge" not in html
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_chinese_page(alert, supervisor):
    supervisor.language = "zh-hans"
    supervisor.save()
    client = _client(supervisor)
    html = client.get(reverse("agent_trends:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "激增提醒" in html


def test_acknowledge_is_audited_once(alert, supervisor, actor_of):
    response = _client(supervisor).post(reverse("agent_trends:acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor
    services.trend_alert_acknowledge(alert=alert, actor=actor_of(supervisor))  # idempotent
    assert AuditEntry.objects.filter(action="trends.alert_acknowledged").count() == 1


def test_detail_prefills_an_incident_from_the_alert(alert, supervisor):
    html = _client(supervisor).get(reverse("agent_trends:detail", args=[alert.pk])).content.decode()
    assert "More customers than usual report: TRC20 · Withdrawal status · Chinese" in html
    assert "USDT TRC20" in html  # the asset most named alongside the network
    assert "3 conversations can be linked." in html
    for member in TrendMember.objects.filter(key=KEY):
        assert reverse("workspace:conversation", args=[member.conversation_id]) in html


def test_opening_an_incident_links_the_conversations_and_acknowledges(alert, admin_user):
    response = _client(admin_user).post(
        reverse("agent_trends:open_incident", args=[alert.pk]),
        {
            "title_en": "USDT withdrawals on TRC20 delayed",
            "title_zh": "TRC20 USDT 提现延迟",
            "impact": "major",
            "affected": "USDT TRC20",
            "body_en": "We are investigating.",
            "body_zh": "我们正在调查。",
            "link_conversations": "on",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:incident_detail", args=[incident.pk])
    assert incident.affected == [{"asset": "USDT", "network": "TRC20"}]
    assert incident.is_public is False  # a draft unless ticked
    assert IncidentConversation.objects.filter(incident=incident).count() == 3
    alert.refresh_from_db()
    assert alert.incident == incident
    assert alert.acknowledged_by == admin_user
    entry = AuditEntry.objects.get(action="trends.incident_opened")
    assert entry.data["incident"] == incident.pk
    assert entry.data["linked"] == 3


def test_one_incident_per_alert(alert, supervisor, actor_of):
    args = {
        "title_en": "T", "title_zh": "", "impact": "minor", "affected": [], "body_en": "B",
        "body_zh": "", "is_public": False, "link_conversations": False,
    }  # fmt: skip
    services.trend_alert_open_incident(alert=alert, actor=actor_of(supervisor), **args)
    from kefu.core.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        services.trend_alert_open_incident(alert=alert, actor=actor_of(supervisor), **args)
    assert Incident.objects.count() == 1


def test_agent_cannot_open_an_incident(alert, agent_a, actor_of):
    response = _client(agent_a).post(
        reverse("agent_trends:open_incident", args=[alert.pk]),
        {"title_en": "x", "impact": "minor", "body_en": "y"},
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.trend_alert_open_incident(
            alert=alert, title_en="x", title_zh="", impact="minor", affected=[], body_en="y",
            body_zh="", is_public=False, link_conversations=True, actor=actor_of(agent_a),
        )  # fmt: skip
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="trends.").exists()


POLICY = {
    "enabled": "on", "min_count": "15", "min_increase_percent": "300", "min_score": "5",
    "baseline_weeks": "4", "baseline_days": "7", "wait_public": "on", "wait_window_hours": "12",
    "wait_min_sample": "20",
}  # fmt: skip


def test_supervisor_edits_the_policy_and_it_is_audited(supervisor):
    response = _client(supervisor).post(reverse("backoffice:trend_policy:edit"), POLICY)
    assert response.status_code == 302
    policy = TrendPolicy.current()
    assert (policy.min_count, policy.min_increase_percent, policy.wait_window_hours) == (
        15,
        300,
        12,
    )
    entry = AuditEntry.objects.get(action="trends.policy_updated")
    assert entry.data["min_count"] == [10, 15]
    # The same values again: nothing to audit.
    _client(supervisor).post(reverse("backoffice:trend_policy:edit"), POLICY)
    assert AuditEntry.objects.filter(action="trends.policy_updated").count() == 1


def test_policy_refuses_a_baseline_too_short(supervisor, actor_of):
    from kefu.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.trend_policy_save(
            enabled=True, min_count=10, min_increase_percent=200, min_score=4, baseline_weeks=1,
            baseline_days=1, wait_public=True, wait_window_hours=24, wait_min_sample=10,
            actor=actor_of(supervisor),
        )  # fmt: skip
    assert not AuditEntry.objects.filter(action="trends.policy_updated").exists()


def test_agent_cannot_see_or_save_the_policy(agent_a):
    client = _client(agent_a)
    assert client.get(reverse("backoffice:trend_policy:edit")).status_code == 404
    assert client.post(reverse("backoffice:trend_policy:edit"), POLICY).status_code == 404
    assert TrendPolicy.current().min_count == 10
