"""Issue 9: SLA alerts reach people — the alerts page, "mark all read" and the nav badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.core.errors import PermissionDenied
from kefu.sla import selectors
from kefu.sla.models import SlaAlert, SlaTimer, TimerKind
from kefu.sla.services import policy_save, sla_alerts_mark_read
from kefu.sla.worker import sla_evaluate
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"
pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def warned(supervisor, customer_1, agent_a, team_a, actor_of):
    """A warning alert for agent A on a conversation of team A (through the worker)."""
    policy_save(
        actor=actor_of(supervisor),
        name="All",
        first_response_minutes=60,
        resolution_minutes=600,
        business_time=False,
    )
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    conv.conversation_assign(conversation=conversation, assignee=agent_a, actor=actor_of(agent_a))
    timer = SlaTimer.objects.get(conversation=conversation, kind=TimerKind.FIRST_RESPONSE)
    sla_evaluate(now=timer.started_at + timedelta(minutes=48))
    return SlaAlert.objects.get(recipient=agent_a)


def test_agent_sees_only_their_own_alerts(warned, agent_a, agent_b, supervisor):
    other = SlaAlert.objects.create(
        recipient=supervisor,
        conversation=warned.conversation,
        timer=warned.timer,
        kind="breach",
        created_at=warned.created_at + timedelta(minutes=5),
    )
    html = _client(agent_a).get(reverse("agent_alerts:list")).content.decode()
    assert f'id="sla-alert-{warned.pk}"' in html
    assert f'id="sla-alert-{other.pk}"' not in html
    assert reverse("workspace:conversation", args=[warned.conversation_id]) in html
    assert "data-unread" in html
    html_b = _client(agent_b).get(reverse("agent_alerts:list")).content.decode()
    assert "sla-alert-" not in html_b
    boss = _client(supervisor).get(reverse("agent_alerts:list")).content.decode()
    assert f'id="sla-alert-{other.pk}"' in boss
    assert f'id="sla-alert-{warned.pk}"' not in boss


def test_customers_and_strangers_cannot_open_the_page(warned, customer_1):
    assert Client().get(reverse("agent_alerts:list")).status_code == 302
    response = _client(customer_1).get(reverse("agent_alerts:list"))
    assert response.status_code in (302, 404)
    assert f"sla-alert-{warned.pk}" not in response.content.decode()


def test_mark_all_read_is_audited_and_only_touches_own_alerts(
    warned, agent_a, supervisor, actor_of
):
    other = SlaAlert.objects.create(
        recipient=supervisor,
        conversation=warned.conversation,
        timer=warned.timer,
        kind="breach",
        created_at=warned.created_at,
    )
    response = _client(agent_a).post(reverse("agent_alerts:mark_read"))
    assert response.status_code == 302
    warned.refresh_from_db()
    other.refresh_from_db()
    assert warned.read_at is not None
    assert other.read_at is None
    entry = AuditEntry.objects.get(action="sla.alerts_read")
    assert entry.data == {"count": 1}
    assert "data-unread" not in _client(agent_a).get(reverse("agent_alerts:list")).content.decode()
    # Nobody marks someone else's alerts read.
    with pytest.raises(PermissionDenied):
        sla_alerts_mark_read(user=supervisor, actor=actor_of(agent_a))
    other.refresh_from_db()
    assert other.read_at is None


def test_badge_counts_unread_alerts_in_one_query(warned, agent_a):
    html = _client(agent_a).get(reverse("workspace:preferences")).content.decode()
    assert 'id="sla-alerts-badge"' in html
    badge = html.split('id="sla-alerts-badge"', 1)[1].split("</span>", 1)[0]
    assert ">1" in badge
    assert "hidden" not in badge
    with CaptureQueriesContext(connection) as queries:
        assert selectors.alerts_unread_count(agent_a.pk) == 1
    assert len(queries) == 1
    _client(agent_a).post(reverse("agent_alerts:mark_read"))
    html = _client(agent_a).get(reverse("workspace:preferences")).content.decode()
    badge = html.split('id="sla-alerts-badge"', 1)[1].split("</span>", 1)[0]
    assert "hidden" in badge
    assert ">0" in badge


def test_each_alert_shows_its_conversations_time_left_now(warned, agent_a, monkeypatch):
    from kefu.core import clock

    timer = warned.timer
    monkeypatch.setattr(clock, "now", lambda: timer.started_at + timedelta(minutes=50))
    html = _client(agent_a).get(reverse("agent_alerts:list")).content.decode()
    assert "10 min left" in html  # the 60-minute first response, 50 minutes in
    assert 'class="ws-sla sla-soon"' in html
