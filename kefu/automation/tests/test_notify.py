"""An automation rule's "notify" action reaches people: an alert for the assignee and the
team's supervisors on their alerts page, the live badge on their own sockets, once per firing."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from kefu.accounts.models import Role
from kefu.audit.models import AuditEntry
from kefu.automation.models import AutomationRule, Trigger
from kefu.automation.services import automation_evaluate
from kefu.conversations import services as conv
from kefu.conversations.models import Message, MessageKind
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied
from kefu.sla.models import SlaAlert
from kefu.sla.services import staff_alert_notify
from kefu.testing import factories
from kefu.testing.realtime import agent_socket

BACKEND = "django.contrib.auth.backends.ModelBackend"
TEXT = "[VIP waiting] Call the customer back."


@pytest.fixture
def rule(db):
    return AutomationRule.objects.create(
        name="VIP waiting", trigger=Trigger.CREATED, notify="Call the customer back."
    )


@pytest.fixture
def lead_a(team_a):
    """A supervisor who is a member of team A."""
    return factories.StaffFactory(email="lead.a@kefu.test", role=Role.SUPERVISOR, teams=[team_a])


def _assigned(customer, team, agent, actor_of):
    conversation = factories.ConversationFactory(contact=customer.contact, team=team)
    conv.conversation_assign(conversation=conversation, assignee=agent, actor=actor_of(agent))
    return conversation


def _page(user) -> str:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client.get("/agent/alerts/").content.decode()


@pytest.mark.django_db
def test_notify_alerts_the_assignee_and_the_teams_supervisors_only(
    rule, customer_1, team_a, agent_a, agent_b, lead_a, supervisor, actor_of
):
    conversation = _assigned(customer_1, team_a, agent_a, actor_of)
    assert automation_evaluate(conversation=conversation, trigger=Trigger.CREATED) == [
        "VIP waiting"
    ]
    alerts = SlaAlert.objects.filter(conversation=conversation)
    assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted([agent_a.pk, lead_a.pk])
    assert {(a.kind, a.note, a.timer_id, a.read_at) for a in alerts} == {("rule", TEXT, None, None)}
    # the team has its own supervisor: the other supervisors and agents hear nothing
    assert not SlaAlert.objects.filter(recipient__in=[agent_b, supervisor]).exists()
    audit = AuditEntry.objects.get(action="alert.notified")
    assert audit.data == {"recipients": sorted([agent_a.pk, lead_a.pk])}
    assert audit.actor_kind == "system"
    # the timeline keeps its internal note too
    assert Message.objects.get(conversation=conversation, kind=MessageKind.NOTE).body == TEXT
    page = _page(agent_a)
    assert TEXT in page
    assert "Automation rule" in page
    assert TEXT not in _page(agent_b)
    badge = page.split('id="sla-alerts-badge"', 1)[1].split("</span>", 1)[0]
    assert ">1" in badge


@pytest.mark.django_db
def test_without_a_team_or_assignee_every_active_supervisor_is_notified(
    rule, customer_1, supervisor, agent_a
):
    other = factories.StaffFactory(email="sup2@kefu.test", role=Role.SUPERVISOR)
    gone = factories.StaffFactory(email="sup3@kefu.test", role=Role.SUPERVISOR, is_active=False)
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=None)
    automation_evaluate(conversation=conversation, trigger=Trigger.CREATED)
    recipients = set(
        SlaAlert.objects.filter(conversation=conversation).values_list("recipient_id", flat=True)
    )
    assert recipients == {supervisor.pk, other.pk}
    assert gone.pk not in recipients


@pytest.mark.django_db
def test_a_rule_notifies_once_per_conversation_and_trigger(
    rule, customer_1, team_a, agent_a, lead_a, actor_of
):
    conversation = _assigned(customer_1, team_a, agent_a, actor_of)
    automation_evaluate(conversation=conversation, trigger=Trigger.CREATED)
    automation_evaluate(conversation=conversation, trigger=Trigger.CREATED)
    assert SlaAlert.objects.filter(conversation=conversation).count() == 2  # two people, once


@pytest.mark.django_db
def test_customers_cannot_send_staff_alerts(conversation_a, customer_1):
    with pytest.raises(PermissionDenied):
        staff_alert_notify(
            conversation=conversation_a,
            text="hello",
            actor=Actor(kind=ActorKind.CUSTOMER, contact_id=customer_1.contact.pk),
        )
    assert not SlaAlert.objects.exists()
    assert not AuditEntry.objects.filter(action="alert.notified").exists()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_notify_pushes_the_badge_to_the_recipients_own_sockets(
    customer_1, team_a, agent_a, agent_b, actor_of
):
    conversation = await sync_to_async(_assigned)(customer_1, team_a, agent_a, actor_of)
    # The rule is made after the conversation: here commits run the "created" evaluation.
    await sync_to_async(AutomationRule.objects.create)(
        name="VIP waiting", trigger=Trigger.CREATED, notify="Call the customer back."
    )
    a, _ = await agent_socket(agent_a)
    b, _ = await agent_socket(agent_b)
    await sync_to_async(automation_evaluate)(conversation=conversation, trigger=Trigger.CREATED)
    assert await a.recv_type("sla.alerts") == {"type": "sla.alerts", "unread": 1}
    assert await b.nothing(0.3)
    for sock in (a, b):
        await sock.close()
