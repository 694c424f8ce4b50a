"""Live delivery state: when a reply's delivery changes (sent, delivered, failed), the staff
watching the conversation hear ``message.delivery`` at once; customer sockets never do."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from kefu.conversations import services as conv
from kefu.conversations.models import AuthorKind, Conversation, Message
from kefu.core import clock
from kefu.inbox import delivery
from kefu.inbox.adapters.base import DeliveryReceipt
from kefu.inbox.models import ChatSite, OutboundDelivery
from kefu.inbox.tests.meta_payloads import post, wa_message, whatsapp
from kefu.testing.realtime import agent_socket, chat_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _subscribed(agent, conversation_id):
    sock, _ = await agent_socket(agent)
    await sock.send({"type": "subscribe", "conversation_id": conversation_id})
    await sock.recv_type("subscribed")
    return sock


async def test_reply_delivery_reaches_subscribed_staff_live(graph_api, agent_a, actor_of):
    await sync_to_async(post)(Client(), "whatsapp", whatsapp([wa_message("wamid.L1")]))
    conversation = await Conversation.objects.aget()
    sock = await _subscribed(agent_a, conversation.pk)
    message = await sync_to_async(conv.message_reply)(
        conversation=conversation, body="We are on it.", actor=actor_of(agent_a)
    )
    frame = await sock.recv_type("message.delivery")
    assert frame == {
        "type": "message.delivery",
        "conversation_id": conversation.pk,
        "message_id": message.pk,
        "status": "sent",
    }
    row = await OutboundDelivery.objects.aget()
    await sync_to_async(delivery.delivery_receipt)(
        channel="whatsapp", receipt=DeliveryReceipt(row.provider_message_id, "read")
    )
    assert (await sock.recv_type("message.delivery"))["status"] == "read"
    await sock.close()


async def test_delivery_state_never_reaches_a_customer_socket(agent_a, team_a, actor_of):
    await sync_to_async(ChatSite.objects.create)(name="s", key="delivery-site", team=team_a)
    visitor, _ = await chat_hello("delivery-site")
    await visitor.send({"type": "message.send", "id": "delivery-msg-1", "body": "hello"})
    cid = (await visitor.recv_type("message.ack"))["conversation"]["id"]
    staff = await _subscribed(agent_a, cid)
    conversation = await Conversation.objects.aget(pk=cid)
    reply = await sync_to_async(conv.message_reply)(
        conversation=conversation, body="Hi!", actor=actor_of(agent_a)
    )
    while (await visitor.recv_type("message.created"))["message"]["body"] != "Hi!":
        pass  # the visitor's own message comes back first
    while not await visitor.nothing(0.3):
        await visitor.recv()  # the rest of the reply's frames (e.g. the status change)
    assert reply.author_kind == AuthorKind.AGENT
    # The reply also went out on a channel (as if the chat were continued on WhatsApp).
    await OutboundDelivery.objects.acreate(
        message=await Message.objects.aget(pk=reply.pk),
        channel="whatsapp",
        state="sent",
        provider_message_id="wamid.LIVE",
        created_at=clock.now(),
    )
    for status in ("delivered", "failed"):
        await sync_to_async(delivery.delivery_receipt)(
            channel="whatsapp", receipt=DeliveryReceipt("wamid.LIVE", status, "")
        )
    assert (await staff.recv_type("message.delivery"))["status"] == "delivered"
    assert await visitor.nothing(0.5)  # neither frame, nor anything else, reaches the customer
    for sock in (staff, visitor):
        await sock.close()
