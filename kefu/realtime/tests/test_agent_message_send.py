"""The agent socket's ``message.send``: replies and notes written through the same selector and
services as the workspace's HTTP forms, acknowledged once per idempotency key."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import Message, Status
from kefu.inbox.models import ChatSite
from kefu.testing.realtime import Socket, agent_socket, chat_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def send(cid: int, key: str, body: str, kind: str = "reply") -> dict[str, Any]:
    return {"type": "message.send", "id": key, "conversation_id": cid, "body": body, "kind": kind}


@sync_to_async
def stored(cid: int) -> list[tuple[str, str, int | None]]:
    return list(
        Message.objects.filter(conversation_id=cid)
        .order_by("seq")
        .values_list("kind", "body", "author_user_id")
    )


@sync_to_async
def audited(action: str, cid: int) -> int:
    return AuditEntry.objects.filter(action=action, object_id=str(cid)).count()


async def chat_with_visitor(team: Any, site_key: str) -> tuple[Socket, int]:
    """A visitor who wrote one chat message (routed to ``team``) and listens on their socket."""
    await sync_to_async(ChatSite.objects.create)(name="s", key=site_key, team=team)
    visitor, _ = await chat_hello(site_key)
    await visitor.send({"type": "message.send", "id": f"{site_key}-first", "body": "help"})
    cid = (await visitor.recv_type("message.ack"))["conversation"]["id"]
    await visitor.recv_type("message.created")  # their own message
    return visitor, cid


async def test_reply_reaches_the_customer_and_is_acknowledged(agent_a, team_a):
    visitor, cid = await chat_with_visitor(team_a, "send-reply-site")
    sock, _ = await agent_socket(agent_a)

    await sock.send(send(cid, "reply-key-0001", "We are on it."))

    ack = await sock.recv_type("message.ack")
    message = await sync_to_async(Message.objects.get)(conversation_id=cid, seq=2)
    assert ack == {
        "type": "message.ack",
        "ref": "reply-key-0001",
        "conversation_id": cid,
        "message": {"id": message.pk, "seq": 2, "public_seq": 2},
    }
    created = await visitor.recv_type("message.created")
    assert created["message"]["body"] == "We are on it."
    assert created["message"]["seq"] == 2  # the customer's numbering: public replies only
    assert await stored(cid) == [
        ("reply", "help", None),
        ("reply", "We are on it.", agent_a.pk),
    ]
    # The same audit action as the HTTP form writes, with the agent as the actor.
    entry = await sync_to_async(
        lambda: AuditEntry.objects.get(action="message.replied", object_id=str(cid))
    )()
    assert (entry.actor_kind, entry.data) == ("agent", {"message": message.pk})
    for s in (sock, visitor):
        await s.close()


async def test_note_is_stored_for_staff_and_never_reaches_the_customer(agent_a, senior, team_a):
    visitor, cid = await chat_with_visitor(team_a, "send-note-site")
    sock, _ = await agent_socket(agent_a)
    colleague, _ = await agent_socket(senior)
    await colleague.send({"type": "subscribe", "conversation_id": cid})
    await colleague.recv_type("subscribed")

    await sock.send(send(cid, "note-key-0001", "Staff only: VIP.", kind="note"))

    ack = await sock.recv_type("message.ack")
    assert ack["message"]["seq"] == 2
    assert ack["message"]["public_seq"] is None
    seen = await colleague.recv_type("message.created")
    assert (seen["message"]["kind"], seen["message"]["body"]) == ("note", "Staff only: VIP.")
    later = []
    while not await visitor.nothing(0.5):
        later.append(await visitor.recv())
    assert later == []  # not even a status change: a note leaves the chat as it was
    assert await stored(cid) == [("reply", "help", None), ("note", "Staff only: VIP.", agent_a.pk)]
    assert await audited("note.added", cid) == 1
    for s in (sock, colleague, visitor):
        await s.close()


@pytest.mark.parametrize("kind", ["reply", "note"])
async def test_a_repeated_key_stores_once_and_gets_the_same_ack(agent_a, team_a, kind):
    visitor, cid = await chat_with_visitor(team_a, f"send-repeat-{kind}")
    sock, _ = await agent_socket(agent_a)

    await sock.send(send(cid, "repeat-key-01", "Only once.", kind=kind))
    first = await sock.recv_type("message.ack")
    await sock.send(send(cid, "repeat-key-01", "Only once.", kind=kind))
    second = await sock.recv_type("message.ack")
    # A reconnected page sends it again on a new socket: still the same message.
    again, _ = await agent_socket(agent_a)
    await again.send(send(cid, "repeat-key-01", "Only once.", kind=kind))
    third = await again.recv_type("message.ack")

    assert first == second == third
    assert await stored(cid) == [("reply", "help", None), (kind, "Only once.", agent_a.pk)]
    action = "message.replied" if kind == "reply" else "note.added"
    assert await audited(action, cid) == 1
    if kind == "reply":
        assert (await visitor.recv_type("message.created"))["message"]["body"] == "Only once."
    later = []
    while not await visitor.nothing(0.3):
        later.append((await visitor.recv())["type"])
    assert "message.created" not in later  # no second copy reaches the customer
    for s in (sock, again, visitor):
        await s.close()


async def test_the_http_fallback_with_the_same_key_stores_nothing_more(agent_a, team_a):
    visitor, cid = await chat_with_visitor(team_a, "send-fallback-site")
    sock, _ = await agent_socket(agent_a)
    await sock.send(send(cid, "fallback-key-01", "Sent over the socket."))
    ack = await sock.recv_type("message.ack")

    def post() -> Any:
        from django.test import Client

        client = Client()
        client.force_login(agent_a)
        return client.post(
            f"/agent/c/{cid}/reply",
            {"body": "Sent over the socket.", "client_key": "fallback-key-01"},
            HTTP_ACCEPT="application/json",
        )

    response = await sync_to_async(post)()

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert await stored(cid) == [
        ("reply", "help", None),
        ("reply", "Sent over the socket.", agent_a.pk),
    ]
    assert ack["message"]["seq"] == 2
    assert await audited("message.replied", cid) == 1
    for s in (sock, visitor):
        await s.close()


async def test_another_teams_agent_is_refused_and_nothing_is_stored(agent_b, conversation_a):
    sock, _ = await agent_socket(agent_b)

    await sock.send(send(conversation_a.pk, "other-team-01", "Not mine."))

    error = await sock.recv_type("error")
    assert (error["code"], error["ref"]) == ("not_found", "other-team-01")
    assert await sync_to_async(Message.objects.filter(conversation=conversation_a).count)() == 1
    assert await audited("message.replied", conversation_a.pk) == 0
    await sock.close()


async def test_a_customer_cannot_send_over_the_agent_socket(customer_1, conversation_a):
    sock, frame = await agent_socket(customer_1)
    assert frame["code"] == "unauthorized"
    assert (await sock.recv())["code"] == 4401  # closed before any frame is read
    assert await sync_to_async(Message.objects.filter(conversation=conversation_a).count)() == 1


@pytest.mark.parametrize("change", ["deactivated", "password"])
async def test_an_agent_signed_out_since_connecting_cannot_send(agent_a, conversation_a, change):
    sock, _ = await agent_socket(agent_a)

    def sign_out() -> None:
        if change == "deactivated":
            agent_a.is_active = False
        else:
            agent_a.set_password("a-new-password-2026")
        agent_a.save()

    await sync_to_async(sign_out)()
    await sock.send(send(conversation_a.pk, "signed-out-01", "Still here?"))

    error = await sock.recv_type("error")
    assert (error["code"], error["ref"]) == ("unauthorized", "signed-out-01")
    assert (await sock.recv())["code"] == 4401
    assert await sync_to_async(Message.objects.filter(conversation=conversation_a).count)() == 1
    assert await audited("message.replied", conversation_a.pk) == 0


async def test_closed_conversation_is_refused_with_its_code(agent_a, conversation_a, actor_of):
    await sync_to_async(conv.conversation_set_status)(
        conversation=conversation_a, status=Status.CLOSED, actor=actor_of(agent_a)
    )
    sock, _ = await agent_socket(agent_a)

    await sock.send(send(conversation_a.pk, "closed-key-01", "Hello?"))

    error = await sock.recv_type("error")
    assert (error["code"], error["ref"]) == ("conversation_closed", "closed-key-01")
    assert "closed" in error["message"]
    assert await audited("message.replied", conversation_a.pk) == 0
    await sock.close()


async def test_secret_guard_refusal_tells_the_page_to_use_the_form(agent_a, conversation_a):
    sock, _ = await agent_socket(agent_a)

    await sock.send(
        send(conversation_a.pk, "guard-key-001", "Please send me your password to check.")
    )

    error = await sock.recv_type("error")
    assert (error["code"], error["ref"]) == ("guard_blocked", "guard-key-001")
    assert "Support never asks for that" in error["message"]
    assert await sync_to_async(Message.objects.filter(conversation=conversation_a).count)() == 1
    await sock.close()


@pytest.mark.parametrize(
    ("frame", "code", "ref"),
    [
        ({"id": "bad-body-0001", "body": "   "}, "validation", "bad-body-0001"),
        ({"id": "bad-body-0002", "body": "x" * 20_001}, "validation", "bad-body-0002"),
        ({"id": "bad-kind-0001", "body": "hi", "kind": "memo"}, "bad_frame", "bad-kind-0001"),
        ({"id": "short", "body": "hi"}, "bad_frame", "short"),
        ({"body": "hi"}, "bad_frame", None),
        (
            {"id": "extra-field-01", "body": "hi", "set_status": "solved"},
            "bad_frame",
            "extra-field-01",
        ),
    ],
    ids=["empty", "too-long", "unknown-kind", "short-id", "missing-id", "unknown-field"],
)
async def test_bad_frames_get_an_error_with_their_ref(agent_a, conversation_a, frame, code, ref):
    sock, _ = await agent_socket(agent_a)
    payload = {"type": "message.send", "conversation_id": conversation_a.pk, "kind": "reply"}
    payload.update(frame)

    await sock.send(payload)

    error = await sock.recv_type("error")
    assert error["code"] == code
    assert error.get("ref") == ref
    assert await sync_to_async(Message.objects.filter(conversation=conversation_a).count)() == 1
    assert await audited("message.replied", conversation_a.pk) == 0
    await sock.close()
