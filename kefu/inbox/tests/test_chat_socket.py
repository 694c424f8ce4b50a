"""The chat protocol over a real ASGI WebSocket (Channels communicator), database included."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Message, Status
from kefu.inbox.adapters.webchat import consumers as chat_consumers
from kefu.inbox.adapters.webchat.identity import sign_identity_token
from kefu.inbox.models import ChatSite, ChatVisitor
from kefu.realtime import audiences
from kefu.realtime import consumers as realtime_consumers
from kefu.testing.realtime import chat_hello, chat_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _send(sock, key, body, conversation_id=None):
    frame = {"type": "message.send", "id": key, "body": body}
    if conversation_id:
        frame["conversation_id"] = conversation_id
    await sock.send(frame)
    return await sock.recv_type("message.ack")


async def _reply_with_its_event_lost(conversation, body, actor):
    """An agent's reply whose push never reaches the channel layer (as if lost between
    processes): the sockets must catch up from the database."""
    layer = get_channel_layer()
    real_send = layer.group_send

    async def drop(group, message):
        return None

    layer.group_send = drop
    try:
        await sync_to_async(conv.message_reply)(conversation=conversation, body=body, actor=actor)
    finally:
        layer.group_send = real_send


async def test_hello_then_message_is_stored_acked_and_broadcast(chat_site):
    sock, welcome = await chat_hello(chat_site.key, language="zh-hans")
    assert welcome["type"] == "welcome"
    assert welcome["conversation"] is None
    assert welcome["visitor"]["token"]
    assert "open_now" in welcome["service"]
    ack = await _send(sock, "key-00000001", "USDT 提现没到账")
    assert ack["message"]["seq"] == 1
    created = await sock.recv_type("message.created")
    assert created["message"]["id"] == ack["message"]["id"]
    conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation"]["id"])
    assert conversation.channel == "chat"
    assert conversation.team_id == chat_site.team_id
    await sock.close()


async def test_retrying_a_message_id_stores_it_once(chat_site):
    sock, _ = await chat_hello(chat_site.key)
    first = await _send(sock, "retry-key-1", "hello")
    again = await _send(sock, "retry-key-1", "hello")
    assert again["message"]["id"] == first["message"]["id"]
    conversation_id = first["conversation"]["id"]
    third = await _send(sock, "retry-key-2", "second", conversation_id)
    third_again = await _send(sock, "retry-key-2", "second", conversation_id)
    assert third_again["message"]["id"] == third["message"]["id"]
    count = await sync_to_async(Message.objects.filter(conversation_id=conversation_id).count)()
    assert count == 2
    await sock.close()


async def test_notes_never_reach_the_customer_but_replies_do(chat_site, agent_a, actor_of):
    sock, _ = await chat_hello(chat_site.key)
    ack = await _send(sock, "note-test-01", "my deposit is missing")
    await sock.recv_type("message.created")
    conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation"]["id"])
    await sync_to_async(conv.note_add)(
        conversation=conversation, body="INTERNAL: check risk flags", actor=actor_of(agent_a)
    )
    assert await sock.nothing(0.5)
    await sync_to_async(conv.message_reply)(
        conversation=conversation, body="We are checking", actor=actor_of(agent_a)
    )
    frames = []
    while True:
        frame = await sock.recv(1)
        frames.append(frame)
        if frame["type"] == "message.created":
            break
    text = json.dumps(frames)
    assert "INTERNAL" not in text
    assert frame["message"]["body"] == "We are checking"
    assert frame["message"]["seq"] == 2  # public sequence: the note took no number
    assert agent_a.email not in text
    await sock.close()


async def test_reconnect_with_last_seq_gets_what_was_missed_once_in_order(
    chat_site, agent_a, actor_of
):
    sock, welcome = await chat_hello(chat_site.key)
    token = welcome["visitor"]["token"]
    ack = await _send(sock, "reconnect-01", "first")
    conversation_id = ack["conversation"]["id"]
    await sock.close()
    conversation = await sync_to_async(Conversation.objects.get)(pk=conversation_id)
    for text in ("reply one", "reply two"):
        await sync_to_async(conv.message_reply)(
            conversation=conversation, body=text, actor=actor_of(agent_a)
        )
    sock, welcome = await chat_hello(
        chat_site.key, visitor_token=token, conversation_id=conversation_id, last_seq=1
    )
    assert [m["body"] for m in welcome["messages"]] == ["reply one", "reply two"]
    assert [m["seq"] for m in welcome["messages"]] == [2, 3]
    assert await sock.nothing(0.3)  # nothing delivered twice
    await sock.close()


async def test_out_of_order_events_are_delivered_in_order_from_the_database(
    chat_site, agent_a, actor_of
):
    sock, _ = await chat_hello(chat_site.key)
    ack = await _send(sock, "order-test-1", "first")
    await sock.recv_type("message.created")
    conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation"]["id"])
    # Store two replies without their events reaching the socket (as if still in flight).
    layer = get_channel_layer()
    real_send = layer.group_send
    held = []

    async def hold(group, message):
        held.append((group, message))

    layer.group_send = hold
    try:
        for text in ("two", "three"):
            await sync_to_async(conv.message_reply)(
                conversation=conversation, body=text, actor=actor_of(agent_a)
            )
    finally:
        layer.group_send = real_send
    customer = [
        m
        for g, m in held
        if g == audiences.customer_group(conversation.pk)
        and m["payload"]["type"] == "message.created"
    ]
    assert [m["payload"]["message"]["seq"] for m in customer] == [2, 3]
    # Deliver seq 3 first, then 3 again, then 2: the socket sees 2, 3 once each.
    for message in (customer[1], customer[1], customer[0]):
        await real_send(audiences.customer_group(conversation.pk), message)
    got = [await sock.recv_type("message.created") for _ in range(2)]
    assert [f["message"]["seq"] for f in got] == [2, 3]
    assert await sock.nothing(0.3)
    await sock.close()


async def test_bad_input_gets_error_frames_and_the_socket_survives(chat_site):
    sock, _ = await chat_hello(chat_site.key)
    await sock.send("{not json")
    assert (await sock.recv())["code"] == "bad_json"
    await sock.send({"type": "teleport"})
    assert (await sock.recv())["code"] == "unknown_type"
    await sock.send({"type": "message.send", "id": "short", "body": "x"})
    error = await sock.recv()
    assert error["code"] == "bad_frame"
    await sock.send({"type": "message.send", "id": "extra-field-1", "body": "x", "admin": True})
    assert (await sock.recv())["code"] == "bad_frame"
    await sock.send({"type": "ping"})
    assert (await sock.recv())["type"] == "pong"
    await sock.close()


async def test_someone_elses_conversation_is_not_found(chat_site):
    alice, _ = await chat_hello(chat_site.key)
    ack = await _send(alice, "alice-msg-01", "alice here")
    mallory, _ = await chat_hello(chat_site.key)
    cid = ack["conversation"]["id"]
    await mallory.send(
        {"type": "message.send", "id": "mallory-01", "body": "hi", "conversation_id": cid}
    )
    assert (await mallory.recv_type("error"))["code"] == "not_found"
    await mallory.send({"type": "sync", "conversation_id": cid, "after_seq": 0})
    assert (await mallory.recv_type("error"))["code"] == "not_found"
    await mallory.send({"type": "typing", "conversation_id": cid, "state": True})
    assert (await mallory.recv_type("error"))["code"] == "not_found"
    # A stranger's hello naming Alice's conversation does not resume it.
    spy, welcome = await chat_hello(chat_site.key, conversation_id=cid, last_seq=0)
    assert welcome["conversation"] is None
    assert welcome["messages"] == []
    for sock in (alice, mallory, spy):
        await sock.close()


async def test_closed_conversation_refuses_messages_and_a_new_one_can_start(
    chat_site, agent_a, actor_of
):
    sock, _ = await chat_hello(chat_site.key)
    ack = await _send(sock, "closed-test-1", "question")
    cid = ack["conversation"]["id"]
    conversation = await sync_to_async(Conversation.objects.get)(pk=cid)
    await sync_to_async(conv.conversation_set_status)(
        conversation=conversation, status=Status.CLOSED, actor=actor_of(agent_a)
    )
    update = await sock.recv_type("conversation.updated")
    assert update["conversation"]["status"] == "closed"
    await sock.send(
        {"type": "message.send", "id": "closed-test-2", "body": "more", "conversation_id": cid}
    )
    assert (await sock.recv_type("error"))["code"] == "conversation_closed"
    fresh = await _send(sock, "closed-test-3", "a new question")
    assert fresh["conversation"]["id"] != cid
    await sock.close()


async def test_oversized_frame_closes_with_1009(chat_site):
    sock, _ = await chat_hello(chat_site.key)
    await sock.send({"type": "message.send", "id": "big-frame-01", "body": "x" * 20000})
    assert (await sock.recv_type("__closed__"))["code"] == 1009
    assert not await sync_to_async(Message.objects.exists)()


async def test_flood_is_rate_limited_then_closed(chat_site):
    sock, _ = await chat_hello(chat_site.key)
    codes = []
    for _ in range(90):
        await sock.send({"type": "ping"})
    while True:
        frame = await sock.recv(2)
        codes.append(frame.get("code") or frame["type"])
        if frame["type"] == "__closed__":
            assert frame["code"] == 4429
            break
    assert "rate_limited" in codes


async def test_a_rate_limited_send_names_the_dropped_frame_and_stores_nothing(
    chat_site, monkeypatch
):
    """The widget resends a dropped message with the same key; it needs the ref to know which."""
    monkeypatch.setattr(realtime_consumers, "RATE_PER_SECOND", 0.01)
    monkeypatch.setattr(realtime_consumers, "RATE_BURST", 3.0)  # hello + 2 sends
    sock, _ = await chat_hello(chat_site.key)
    for n in range(6):
        await sock.send({"type": "message.send", "id": f"burst-key-{n:03d}", "body": f"m{n}"})
    refs, acked = set(), set()
    while len(refs) + len(acked) < 6:
        frame = await sock.recv(2)
        if frame.get("code") == "rate_limited":
            refs.add(frame["ref"])
        elif frame["type"] == "message.ack":
            acked.add(frame["id"])
    assert acked == {"burst-key-000", "burst-key-001"}
    assert refs == {f"burst-key-{n:03d}" for n in range(2, 6)}
    stored = await sync_to_async(
        lambda: set(Message.objects.values_list("external_id", flat=True))
    )()
    assert not refs & stored  # a dropped frame was not stored
    await sock.close()


async def test_hello_timeout_closes_4408(chat_site, monkeypatch):
    monkeypatch.setattr(chat_consumers, "HELLO_TIMEOUT_SECONDS", 0.1)
    sock = await chat_socket()
    assert (await sock.recv(2))["code"] == 4408


async def test_frames_before_hello_are_refused(chat_site):
    sock = await chat_socket()
    await sock.send({"type": "ping"})
    assert (await sock.recv())["code"] == "hello_required"
    await sock.close()


async def test_origin_not_allowed_is_closed_4403(chat_site):
    sock = await chat_socket(origin=b"https://evil.example")
    await sock.send({"type": "hello", "v": 1, "site": chat_site.key})
    assert (await sock.recv())["code"] == "forbidden"
    assert (await sock.recv())["code"] == 4403


async def test_unknown_site_is_forbidden(db):
    _sock, frame = await chat_hello("no-such-site")
    assert frame["code"] == "forbidden"


async def test_identity_required_refuses_anonymous_and_forged_tokens(chat_site):
    await sync_to_async(ChatSite.objects.filter(pk=chat_site.pk).update)(identity_required=True)
    sock, frame = await chat_hello(chat_site.key)
    assert frame["code"] == "unauthorized"
    assert (await sock.recv())["code"] == 4401
    other = ChatSite(identity_secret="not-the-site-secret-but-long-enough-for-hs256")
    forged = sign_identity_token(other, external_id="uid-1")
    sock, frame = await chat_hello(chat_site.key, identity_token=forged)
    assert frame["code"] == "unauthorized"
    expired = sign_identity_token(chat_site, external_id="uid-1", lifetime=-3600)
    sock, frame = await chat_hello(chat_site.key, identity_token=expired)
    assert frame["code"] == "unauthorized"
    good = sign_identity_token(chat_site, external_id="uid-1", email="u1@example.com", name="U One")
    sock, frame = await chat_hello(chat_site.key, identity_token=good)
    assert frame["type"] == "welcome"
    assert frame["visitor"]["identified"] is True
    await sock.close()


async def test_bad_identity_token_is_refused_even_when_not_required(chat_site):
    _sock, frame = await chat_hello(chat_site.key, identity_token="a.b.c")
    assert frame["code"] == "unauthorized"


async def test_identified_history_follows_the_user_across_devices(chat_site):
    token = sign_identity_token(chat_site, external_id="uid-42", name="Wang")
    phone, _ = await chat_hello(chat_site.key, identity_token=token)
    ack = await _send(phone, "device-one-1", "from my phone")
    await phone.close()
    laptop, welcome = await chat_hello(chat_site.key, identity_token=token)
    assert welcome["conversation"]["id"] == ack["conversation"]["id"]
    assert [m["body"] for m in welcome["messages"]] == ["from my phone"]
    assert await sync_to_async(ChatVisitor.objects.filter(external_id="uid-42").count)() == 1
    await laptop.close()


async def test_anonymous_token_resumes_and_email_is_recorded(chat_site):
    sock, welcome = await chat_hello(chat_site.key)
    await sock.send({"type": "visitor.update", "email": "not-an-email"})
    assert (await sock.recv())["code"] == "validation"
    await sock.send({"type": "visitor.update", "email": "Visitor@Example.com", "name": "Vi"})
    updated = await sock.recv()
    assert updated["visitor"]["email"] == "visitor@example.com"
    await sock.close()
    again, welcome2 = await chat_hello(chat_site.key, visitor_token=welcome["visitor"]["token"])
    assert welcome2["visitor"]["email"] == "visitor@example.com"
    await again.close()


async def test_kefus_own_pages_are_always_allowed(chat_site):
    from kefu.testing.realtime import Socket

    sock = Socket(
        "/ws/chat/v1",
        headers=[(b"origin", b"http://kefu.local:9000"), (b"host", b"kefu.local:9000")],
    )
    await sock.connect()
    await sock.send({"type": "hello", "v": 1, "site": chat_site.key})
    assert (await sock.recv())["type"] == "welcome"
    await sock.close()


async def test_a_lost_event_is_caught_up_from_the_database(chat_site, agent_a, actor_of, settings):
    settings.KEFU_REALTIME_RESYNC_SECONDS = 0.2
    sock, _ = await chat_hello(chat_site.key)
    ack = await _send(sock, "lost-event-1", "hello")
    await sock.recv_type("message.created")
    conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation"]["id"])
    await _reply_with_its_event_lost(conversation, "you missed this", actor_of(agent_a))
    frame = await sock.recv_type("message.created", timeout=3)
    assert (frame["message"]["seq"], frame["message"]["body"]) == (2, "you missed this")
    assert await sock.nothing(0.5)  # and only once
    await sock.close()


async def test_without_echo_the_sender_gets_its_messages_in_the_ack_only(
    chat_site, agent_a, actor_of
):
    """``echo: false`` (the widget's hello): the sending socket is not sent its own message
    again as ``message.created``; the visitor's other socket is, and so are replies."""
    token = sign_identity_token(chat_site, external_id="uid-echo", name="Wang")
    phone, _ = await chat_hello(chat_site.key, identity_token=token, echo=False)
    first = await _send(phone, "no-echo-0001", "my deposit is missing")  # starts the chat
    conversation_id = first["conversation"]["id"]
    assert await phone.none_of("message.created", 0.5)
    laptop, welcome = await chat_hello(
        chat_site.key, identity_token=token, conversation_id=conversation_id, last_seq=1
    )
    assert welcome["conversation"]["id"] == conversation_id

    second = await _send(phone, "no-echo-0002", "txid 0xabc", conversation_id)
    assert second["message"]["seq"] == 2
    assert await phone.none_of("message.created", 0.5)
    on_laptop = await laptop.recv_type("message.created")
    assert on_laptop["message"]["id"] == second["message"]["id"]

    conversation = await sync_to_async(Conversation.objects.get)(pk=conversation_id)
    await sync_to_async(conv.message_reply)(
        conversation=conversation, body="We are checking", actor=actor_of(agent_a)
    )
    reply = await phone.recv_type("message.created")
    assert (reply["message"]["seq"], reply["message"]["body"]) == (3, "We are checking")
    assert (await laptop.recv_type("message.created"))["message"]["seq"] == 3
    # The laptop said no ``echo`` (the default: true): its own message comes back to it.
    third = await _send(laptop, "no-echo-0003", "thanks", conversation_id)
    assert (await phone.recv_type("message.created"))["message"]["id"] == third["message"]["id"]
    assert (await laptop.recv_type("message.created"))["message"]["id"] == third["message"]["id"]
    await phone.close()
    await laptop.close()


async def test_without_echo_a_message_after_a_gap_still_brings_the_missing_ones(
    chat_site, agent_a, actor_of
):
    """If the socket has not had everything before its message (an agent's reply still on its
    way), the broadcast is not suppressed: the reply and the message arrive in order."""
    sock, _ = await chat_hello(chat_site.key, echo=False)
    first = await _send(sock, "gap-echo-0001", "hello")
    conversation_id = first["conversation"]["id"]
    conversation = await sync_to_async(Conversation.objects.get)(pk=conversation_id)
    await _reply_with_its_event_lost(conversation, "late reply", actor_of(agent_a))
    second = await _send(sock, "gap-echo-0002", "anyone?", conversation_id)
    assert second["message"]["seq"] == 3
    late = await sock.recv_type("message.created")
    again = await sock.recv_type("message.created")
    assert [late["message"]["body"], again["message"]["body"]] == ["late reply", "anyone?"]
    await sock.close()
