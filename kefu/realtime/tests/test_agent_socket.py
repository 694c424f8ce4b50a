"""The agent workspace's socket: authentication, permission-checked subscriptions, live events."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from kefu.accounts.models import AgentPresence
from kefu.conversations import services as conv
from kefu.inbox.models import ChatSite
from kefu.realtime.db import database_sync_to_async
from kefu.testing.realtime import agent_socket, chat_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_anonymous_and_customers_are_refused(customer_1):
    sock, frame = await agent_socket(None)
    assert frame["code"] == "unauthorized"
    assert (await sock.recv())["code"] == 4401
    sock, frame = await agent_socket(customer_1)
    assert frame["code"] == "unauthorized"


async def test_subscribe_checks_permissions(agent_a, conversation_a, conversation_b):
    sock, hello = await agent_socket(agent_a)
    assert hello["type"] == "hello"
    assert hello["agent"]["id"] == agent_a.pk
    await sock.send({"type": "subscribe", "conversation_id": conversation_b.pk})
    assert (await sock.recv_type("error"))["code"] == "not_found"
    await sock.send({"type": "subscribe", "conversation_id": conversation_a.pk})
    subscribed = await sock.recv_type("subscribed")
    assert subscribed["last_seq"] == 1
    await sock.close()


async def test_subscribed_agent_gets_notes_replies_and_changes(
    agent_a, senior, conversation_a, actor_of
):
    sock, _ = await agent_socket(agent_a)
    await sock.send({"type": "subscribe", "conversation_id": conversation_a.pk})
    await sock.recv_type("subscribed")
    await sync_to_async(conv.note_add)(
        conversation=conversation_a, body="staff only", actor=actor_of(senior)
    )
    note = await sock.recv_type("message.created")
    assert note["message"]["kind"] == "note"
    assert note["message"]["seq"] == 2
    assert note["message"]["public_seq"] is None
    await sync_to_async(conv.conversation_assign)(
        conversation=conversation_a, assignee=agent_a, actor=actor_of(senior)
    )
    update = await sock.recv_type("conversation.updated")
    assert update["assignee_id"] == agent_a.pk
    await sock.close()


async def test_inbox_changes_reach_only_the_teams_that_can_see_them(
    agent_a, agent_b, supervisor, team_a, actor_of
):
    a, _ = await agent_socket(agent_a)
    b, _ = await agent_socket(agent_b)
    boss, _ = await agent_socket(supervisor)
    await sync_to_async(ChatSite.objects.create)(name="s", key="inbox-site", team=team_a)
    visitor, _ = await chat_hello("inbox-site")
    await visitor.send({"type": "message.send", "id": "inbox-msg-1", "body": "help"})
    ack = await visitor.recv_type("message.ack")
    cid = ack["conversation"]["id"]
    got_a = await a.recv_type("inbox.changed")
    got_boss = await boss.recv_type("inbox.changed")
    assert got_a["conversation_id"] == got_boss["conversation_id"] == cid
    assert await b.nothing(0.3)  # team B does not hear about team A's chat
    for sock in (a, b, boss, visitor):
        await sock.close()


async def test_typing_and_viewing_reach_the_right_people(agent_a, senior, team_a, actor_of):
    await sync_to_async(ChatSite.objects.create)(name="s", key="typing-site", team=team_a)
    visitor, _ = await chat_hello("typing-site")
    await visitor.send({"type": "message.send", "id": "typing-msg1", "body": "hello"})
    cid = (await visitor.recv_type("message.ack"))["conversation"]["id"]
    await visitor.recv_type("message.created")
    a, _ = await agent_socket(agent_a)
    s, _ = await agent_socket(senior)
    for sock in (a, s):
        await sock.send({"type": "subscribe", "conversation_id": cid})
        await sock.recv_type("subscribed")
    # The customer types: agents see it.
    await visitor.send({"type": "typing", "conversation_id": cid, "state": True})
    for sock in (a, s):
        typing = await sock.recv_type("typing")
        assert (typing["who"], typing["state"]) == ("customer", True)
    # An agent typing a note: the other agent sees it, the customer does not.
    await a.send({"type": "typing", "conversation_id": cid, "state": True, "mode": "note"})
    note_typing = await s.recv_type("typing")
    assert note_typing["mode"] == "note"
    assert note_typing["agent"] == {"id": agent_a.pk, "name": note_typing["name"]}
    assert await visitor.nothing(0.3)
    # An agent typing a reply: the customer sees "typing" without internal details.
    await a.send({"type": "typing", "conversation_id": cid, "state": True, "mode": "reply"})
    seen = await visitor.recv_type("typing")
    assert set(seen) == {"type", "conversation_id", "who", "name", "state"}
    # Viewing: other agents only, never the sender, never the customer.
    await a.send({"type": "viewing", "conversation_id": cid, "state": True})
    viewing = await s.recv_type("viewing")
    assert viewing["agent"]["id"] == agent_a.pk
    assert "sender" not in viewing
    assert await visitor.nothing(0.3)
    for sock in (a, s, visitor):
        await sock.close()


async def test_typing_requires_a_subscription(agent_a, conversation_a):
    sock, _ = await agent_socket(agent_a)
    await sock.send({"type": "typing", "conversation_id": conversation_a.pk, "state": True})
    assert (await sock.recv_type("error"))["code"] == "not_subscribed"
    await sock.close()


async def test_presence_set_is_stored_and_broadcast(agent_a, agent_b):
    a, hello = await agent_socket(agent_a)
    assert hello["presence"]["status"] == "offline"
    b, _ = await agent_socket(agent_b)
    await a.send({"type": "presence.set", "status": "online"})
    changed = await b.recv_type("presence.changed")
    assert changed == {"type": "presence.changed", "agent_id": agent_a.pk, "status": "online"}
    status = await sync_to_async(lambda: AgentPresence.objects.get(user=agent_a).status)()
    assert status == "online"
    await a.send({"type": "presence.set", "status": "sleeping"})
    assert (await a.recv_type("error"))["code"] == "bad_frame"
    for sock in (a, b):
        await sock.close()


async def test_agent_read_mark_reaches_the_customer(agent_a, team_a):
    await sync_to_async(ChatSite.objects.create)(name="s", key="read-site", team=team_a)
    visitor, _ = await chat_hello("read-site")
    await visitor.send({"type": "message.send", "id": "read-msg-01", "body": "hello"})
    cid = (await visitor.recv_type("message.ack"))["conversation"]["id"]
    a, _ = await agent_socket(agent_a)
    await a.send({"type": "subscribe", "conversation_id": cid})
    await a.recv_type("subscribed")
    await a.send({"type": "read", "conversation_id": cid, "seq": 1})
    read = await visitor.recv_type("read")
    assert (read["who"], read["seq"]) == ("agent", 1)
    for sock in (a, visitor):
        await sock.close()


async def test_a_burst_of_inbox_changes_arrives_merged_and_nothing_is_missed(
    supervisor, team_a, settings
):
    # Per group, the first change goes at once and the rest of the burst in one frame after
    # the interval (kefu/realtime/coalesce.py), listing every conversation that changed.
    settings.KEFU_REALTIME_INBOX_SECONDS = 0.4
    await sync_to_async(ChatSite.objects.create)(name="s", key="burst-site", team=team_a)
    boss, _ = await agent_socket(supervisor)
    visitors = [(await chat_hello("burst-site"))[0] for _ in range(3)]
    ids = []
    for n, visitor in enumerate(visitors):
        await visitor.send({"type": "message.send", "id": f"burst-new-{n}", "body": "help"})
        ids.append((await visitor.recv_type("message.ack"))["conversation"]["id"])
    for n, visitor in enumerate(visitors):
        await visitor.send(
            {
                "type": "message.send",
                "id": f"burst-more-{n}",
                "body": "more",
                "conversation_id": ids[n],
            }
        )
        await visitor.recv_type("message.ack")
    first = await boss.recv_type("inbox.changed")
    assert first["changes"] == [{"conversation_id": ids[0], "reason": first["reason"]}]
    frames = [first]
    while not await boss.nothing(0.6):
        frames.append(await boss.recv_type("inbox.changed", timeout=1))
    # Six messages and three new conversations: far fewer frames than changes, and together
    # they name every conversation, the last frame the newest change.
    assert 2 <= len(frames) <= 3
    assert {c["conversation_id"] for f in frames for c in f["changes"]} == set(ids)
    assert frames[-1]["conversation_id"] == ids[-1]
    for sock in (boss, *visitors):
        await sock.close()


async def test_a_frame_that_needs_no_database_is_answered_while_the_database_thread_is_busy(
    agent_a,
):
    # Channels' dispatch hopped to the shared database thread before every handler; the
    # consumers' own database calls do its connection clean-up, so a ping (or a chat message
    # waiting to join the next batch) no longer queues behind other sockets' writes.
    sock, _ = await agent_socket(agent_a)
    release = threading.Event()
    busy = asyncio.ensure_future(database_sync_to_async(release.wait)(5))
    try:
        await asyncio.sleep(0.05)
        await sock.send({"type": "ping"})
        assert (await sock.recv_type("pong", timeout=1))["type"] == "pong"
        assert not busy.done()  # answered while the database thread was still held
    finally:
        release.set()
        await busy
    await sock.close()
