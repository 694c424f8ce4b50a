"""Permission matrix over the two WebSockets, for every persona.

``/ws/agent/v1`` (the workspace): anonymous visitors and customers are refused at hello; every
staff member is admitted, but may subscribe only to conversations their role lets them open,
and every per-conversation frame needs that subscription first.
``/ws/chat/v1`` (the widget): visitors speak only the chat protocol; the agent frames do not
exist there.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from kefu.inbox.models import ChatSite
from kefu.testing.realtime import agent_socket, chat_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

# Who may subscribe to customer 1's conversation on team A (tier 1).
SUBSCRIBERS = {"agent_a": True, "agent_b": False, "senior": True, "supervisor": True, "admin": True}


async def test_the_agent_socket_refuses_anonymous_visitors_and_customers(customer_1, customer_2):
    for user in (None, customer_1, customer_2):
        sock, frame = await agent_socket(user)
        assert frame["type"] == "error"
        assert frame["code"] == "unauthorized"
        assert (await sock.recv())["code"] == 4401  # then the server closes the socket


async def test_staff_subscribe_only_to_conversations_they_may_open(
    agent_a, agent_b, senior, supervisor, admin_user, conversation_a
):
    users = {
        "agent_a": agent_a,
        "agent_b": agent_b,
        "senior": senior,
        "supervisor": supervisor,
        "admin": admin_user,
    }
    for persona, admitted in SUBSCRIBERS.items():
        sock, hello = await agent_socket(users[persona])
        assert hello["type"] == "hello", persona
        # Per-conversation frames before subscribing are refused for everyone.
        for frame in (
            {"type": "sync", "conversation_id": conversation_a.pk, "after_seq": 0},
            {"type": "typing", "conversation_id": conversation_a.pk, "state": True},
            {"type": "viewing", "conversation_id": conversation_a.pk, "state": True},
        ):
            await sock.send(frame)
            error = await sock.recv_type("error")
            assert error["code"] == "not_subscribed", (persona, frame["type"])
        await sock.send({"type": "subscribe", "conversation_id": conversation_a.pk})
        if admitted:
            assert (await sock.recv_type("subscribed"))["conversation_id"] == conversation_a.pk
        else:
            assert (await sock.recv_type("error"))["code"] == "not_found", persona
            await sock.send({"type": "sync", "conversation_id": conversation_a.pk, "after_seq": 0})
            assert (await sock.recv_type("error"))["code"] == "not_subscribed", persona
            # Read marks need no subscription, but still the right to open the conversation.
            await sock.send({"type": "read", "conversation_id": conversation_a.pk, "seq": 1})
            assert (await sock.recv_type("error"))["code"] == "not_found", persona
        await sock.close()


async def test_a_chat_visitor_cannot_use_agent_frames_or_reach_other_conversations(
    team_a, conversation_a
):
    await sync_to_async(ChatSite.objects.create)(name="matrix", key="matrix-site", team=team_a)
    visitor, hello = await chat_hello("matrix-site")
    assert hello["type"] == "welcome"
    for frame in (
        {"type": "subscribe", "conversation_id": conversation_a.pk},
        {"type": "typing", "conversation_id": conversation_a.pk, "state": True},
        {"type": "presence.set", "status": "online"},
    ):
        await visitor.send(frame)
        error = await visitor.recv_type("error")
        assert error["code"] in {"unknown_type", "bad_frame", "not_found"}, frame["type"]
        assert conversation_a.subject not in str(error)
    await visitor.close()
