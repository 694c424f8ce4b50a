"""SLA alerts are pushed to the recipient's own workspace sockets only (issue 9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from kefu.conversations import services as conv
from kefu.sla.models import SlaTimer, TimerKind
from kefu.sla.services import policy_save
from kefu.sla.worker import sla_evaluate
from kefu.testing import factories
from kefu.testing.realtime import agent_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _warned_conversation(supervisor, customer_1, agent_a, team_a, actor_of):
    policy_save(
        actor=actor_of(supervisor),
        name="All",
        first_response_minutes=60,
        resolution_minutes=600,
        business_time=False,
    )
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    conv.conversation_assign(conversation=conversation, assignee=agent_a, actor=actor_of(agent_a))
    return SlaTimer.objects.get(conversation=conversation, kind=TimerKind.FIRST_RESPONSE)


async def test_warning_reaches_the_assignee_only(
    agent_a, agent_b, supervisor, customer_1, team_a, actor_of
):
    timer = await sync_to_async(_warned_conversation)(
        supervisor, customer_1, agent_a, team_a, actor_of
    )
    a, _ = await agent_socket(agent_a)
    b, _ = await agent_socket(agent_b)
    boss, _ = await agent_socket(supervisor)
    _customer, frame = await agent_socket(customer_1)
    assert frame["code"] == "unauthorized"  # customers never get a staff socket
    await sync_to_async(sla_evaluate)(now=timer.started_at + timedelta(minutes=48))
    got = await a.recv_type("sla.alerts")
    assert got == {"type": "sla.alerts", "unread": 1}
    assert await b.nothing(0.3)
    assert await boss.none_of("sla.alerts")  # a warning goes to the assignee, not to supervisors
    for sock in (a, b, boss):
        await sock.close()


async def test_breach_reaches_the_supervisor_who_sees_everything(
    agent_a, agent_b, supervisor, customer_1, team_a, actor_of
):
    timer = await sync_to_async(_warned_conversation)(
        supervisor, customer_1, agent_a, team_a, actor_of
    )
    boss, _ = await agent_socket(supervisor)
    b, _ = await agent_socket(agent_b)
    await sync_to_async(sla_evaluate)(now=timer.started_at + timedelta(minutes=61))
    got = await boss.recv_type("sla.alerts")
    assert got["unread"] >= 1
    assert await b.nothing(0.3)
    for sock in (boss, b):
        await sock.close()
