"""The supervisors' queue board updates live: its page listens on the agent socket (staff
audiences only) and refetches its region on ``inbox.changed`` and ``presence.changed``."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from kefu.accounts.services import actor_for_user, presence_set
from kefu.testing import factories
from kefu.testing.realtime import agent_socket, chat_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _board(user) -> list[tuple[str, str, int]]:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/agent/queues/")
    assert response.status_code == 200
    return [(r.team, r.language, r.count) for r in response.context["queues"]]


async def test_the_board_hears_new_waiting_conversations_and_presence(
    supervisor, agent_a, agent_b, team_a
):
    boss, hello = await agent_socket(supervisor)
    assert hello["type"] == "hello"
    other, _ = await agent_socket(agent_b)  # team B: must not hear about team A's queue
    assert await sync_to_async(_board)(supervisor) == []

    await sync_to_async(factories.ConversationFactory)(team=team_a)
    changed = await boss.recv_type("inbox.changed")
    assert changed["reason"] in ("created", "message")
    assert await sync_to_async(_board)(supervisor) == [("Team A", "en", 1)]
    assert await other.nothing(0.3)

    await sync_to_async(presence_set)(user=agent_a, status="online", actor=actor_for_user(agent_a))
    presence = await boss.recv_type("presence.changed")
    assert presence["agent_id"] == agent_a.pk
    assert presence["status"] == "online"
    for sock in (boss, other):
        await sock.close()


async def test_customers_cannot_open_the_staff_socket(customer_1):
    _sock, frame = await agent_socket(customer_1)
    assert frame["code"] == "unauthorized"
    visitor, welcome = await chat_hello("no-such-site")
    assert welcome["type"] == "error"
    await visitor.close()
