"""The batched chat path builds its pushes and acks from the rows it just wrote (no reload after
the commit); what a client receives is byte for byte what the reload path sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message
from kefu.inbox.adapters.webchat import batch, protocol, services
from kefu.inbox.adapters.webchat.session import ChatSession
from kefu.inbox.models import ChatVisitor
from kefu.integrations import services as integrations
from kefu.integrations.models import WebhookDelivery
from kefu.realtime import audiences, payloads, publish
from kefu.realtime.events import MessageCreated

pytestmark = pytest.mark.django_db(transaction=True)


def _frame(key: str, body: str, cid: int | None) -> protocol.MessageSend:
    frame = {"type": "message.send", "id": key, "body": body, "conversation_id": cid}
    parsed = protocol.parse(json.dumps(frame))
    assert isinstance(parsed, protocol.MessageSend)
    return parsed


def _wire(value: Any) -> bytes:
    """As the consumers send it (``json.dumps`` keeps the keys' order)."""
    return json.dumps(value, ensure_ascii=False).encode()


def _start(chat_site, key: str) -> tuple[ChatSession, int]:
    """A visitor with an open chat (its first message stored the one-by-one way)."""
    visitor = services.visitor_start(site=chat_site, identity=None, token=None, language="en")
    visitor = ChatVisitor.objects.select_related("site", "contact").get(pk=visitor.pk)
    session = ChatSession(site=chat_site, visitor=visitor, language="en")
    ack = session.handle(_frame(key, "first", None)).frames[0]
    assert ack["type"] == "message.ack"
    return session, ack["conversation"]["id"]


@pytest.mark.parametrize("assigned", [True, False])
def test_batched_pushes_and_ack_equal_the_reload_path(chat_site, agent_a, monkeypatch, assigned):
    session_a, cid_a = _start(chat_site, "payload-start-a")
    session_b, cid_b = _start(chat_site, "payload-start-b")
    # Names that the payloads show: the customer's (message "name"/"initials") and the agent's
    # (the ack's conversation "agent").
    Contact.objects.filter(pk=session_a.visitor.contact_id).update(name="Lin Wei")
    Contact.objects.filter(pk=session_b.visitor.contact_id).update(name="小王")
    agent_a.display_name = "Mei Chen"
    agent_a.save(update_fields=["display_name"])
    if assigned:
        Conversation.objects.filter(pk__in=[cid_a, cid_b]).update(assignee=agent_a)

    sent: list[audiences.Delivery] = []
    handovers: list[int] = []

    def send_now(deliveries: list[audiences.Delivery]) -> None:
        handovers.append(len(deliveries))
        sent.extend(deliveries)

    monkeypatch.setattr(publish, "_send_now", send_now)
    loads: list[int] = []
    real_load = payloads.load_message

    def counting_load(message_id: int) -> Message | None:
        loads.append(message_id)
        return real_load(message_id)

    monkeypatch.setattr(payloads, "load_message", counting_load)
    # Queries after the commit: in the delivery (pushes and webhooks) and in each ack.
    after_commit: dict[str, list[str]] = {"deliver": [], "ack": []}
    real_deliver, real_ack = batch.deliver_committed, ChatSession.ack

    def deliver(*args: Any, **kwargs: Any) -> None:
        with CaptureQueriesContext(connection) as ctx:
            real_deliver(*args, **kwargs)
        after_commit["deliver"] += [q["sql"] for q in ctx.captured_queries]

    def ack(self: ChatSession, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with CaptureQueriesContext(connection) as ctx:
            frame = real_ack(self, *args, **kwargs)
        after_commit["ack"] += [q["sql"] for q in ctx.captured_queries]
        return frame

    monkeypatch.setattr(batch, "deliver_committed", deliver)
    monkeypatch.setattr(ChatSession, "ack", ack)
    written: list[int] = []
    real_write = batch._write
    monkeypatch.setattr(
        batch, "_write", lambda items, c: written.append(len(c)) or real_write(items, c)
    )

    items = [
        batch.Item(session_a, _frame("payload-1", "I **sent** 5 USDT\nto `you`", cid_a)),
        batch.Item(session_b, _frame("payload-2", "提现还没到账", cid_b)),
        batch.Item(session_a, _frame("payload-3", "hello again", cid_a)),
    ]
    results = batch.write_batch(items)
    assert written == [3]  # all three in one transaction
    assert handovers == [len(sent)]  # all the batch's pushes handed over at once
    assert loads == []  # neither the pushes nor the acks reloaded a message
    assert after_commit["ack"] == []
    # No message, contact, user or attachment read, and the webhook endpoints come from the
    # policy cache under the token the batch's locked read returned (no token query).
    assert after_commit["deliver"] == []
    monkeypatch.setattr(ChatSession, "ack", real_ack)
    acks = [r.frames[0] for r in results]
    assert [a["type"] for a in acks] == ["message.ack"] * 3
    assert acks[0]["message"]["name"] == "Lin Wei"
    assert acks[1]["message"]["initials"] == "小"
    assert (acks[0]["conversation"]["agent"] is not None) is assigned

    # The reload path: the same events routed with the rows loaded from the database, and the
    # acks built from fresh rows.
    monkeypatch.setattr(payloads, "load_message", real_load)
    payloads._routed.messages = {}
    reloaded: list[audiences.Delivery] = []
    for ack in acks:
        message = Message.objects.select_related("conversation").get(pk=ack["message"]["id"])
        conversation = message.conversation
        event = MessageCreated(
            conversation_id=conversation.pk,
            message_id=message.pk,
            seq=message.seq or 0,
            public_seq=message.public_seq,
            team_id=conversation.team_id,
            assignee_id=conversation.assignee_id,
        )
        reloaded += audiences.route(event)
    payloads._routed.messages = {}
    fresh_acks = [
        session.ack(frame.id, ack["message"]["conversation_id"], ack["message"]["id"])
        for (session, frame), ack in zip([(i.session, i.frame) for i in items], acks, strict=True)
    ]
    assert [_wire(d) for d in sent] == [_wire(d) for d in reloaded]
    assert [_wire(a) for a in acks] == [_wire(a) for a in fresh_acks]
    # The acks' conversations show the batch's last numbers (two messages in chat a).
    assert acks[2]["conversation"]["last_seq"] == acks[0]["conversation"]["last_seq"] == 3


def test_batched_messages_reach_the_webhook_endpoints_active_at_each_commit(
    chat_site, admin_user, actor_of, settings
):
    """The endpoint look-up after each batch uses the token read in that batch's transaction:
    an endpoint switched on or off between two batches is seen by the next one."""
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = True
    session, cid = _start(chat_site, "hooks-start")
    endpoint = integrations.endpoint_create(
        url="https://hooks.example.com/kefu",
        description="CRM",
        events=["message.created"],
        actor=actor_of(admin_user),
    ).endpoint

    def send(key: str) -> list[int]:
        [result] = batch.write_batch([batch.Item(session, _frame(key, "hello there", cid))])
        message_id = result.frames[0]["message"]["id"]
        return [
            d.payload["message"]["id"]
            for d in WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk")
            if d.payload.get("message", {}).get("id") == message_id
        ]

    assert len(send("hooks-msg-1")) == 1
    integrations.endpoint_set_active(endpoint=endpoint, active=False, actor=actor_of(admin_user))
    assert send("hooks-msg-2") == []  # switched off before this batch: not queued
    integrations.endpoint_set_active(endpoint=endpoint, active=True, actor=actor_of(admin_user))
    assert len(send("hooks-msg-3")) == 1
