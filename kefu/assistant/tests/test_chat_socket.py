"""The assistant over the real chat protocol: answers with buttons, the ``assistant.choose``
frame (socket and HTTP fallback), and a hand-off whose internal note never reaches the
customer's socket."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from kefu.assistant import chat
from kefu.assistant.dialogue import Button, Citation, Handoff, Turn
from kefu.assistant.models import AssistantSession, Outcome
from kefu.conversations.models import Message, MessageKind
from kefu.inbox.models import ChatSite
from kefu.testing.realtime import chat_hello

ANSWER = Turn(
    text="Open Assets → Deposit and pick USDT.",
    language="en",
    intent="deposit_howto",
    confidence=0.95,
    citations=(Citation(title="Deposit crypto", url="/help/en/articles/deposit-crypto/"),),
    buttons=(
        Button(label="Yes, thanks", payload="resolved:yes"),
        Button(label="Talk to a person", payload="handoff"),
    ),
    state={"step": 1},
)
HANDOFF = Turn(
    text="",
    language="en",
    intent="deposit_howto",
    confidence=1.0,
    handoff=Handoff(
        intent="deposit_howto",
        language="en",
        urgent=False,
        summary="SECRET-SUMMARY customer wants a person",
        reason="asked",
    ),
)


@pytest.fixture
def scripted(monkeypatch):
    turns = [ANSWER, HANDOFF]
    calls: list[dict] = []

    def respond(**kwargs):
        calls.append(kwargs)
        return turns.pop(0)

    monkeypatch.setattr(chat, "_respond", respond)
    return calls


def _site(team):
    return ChatSite.objects.create(
        name="Assistant", key="assistant-socket", team=team, assistant_first=True
    )


async def _until(sock, predicate, limit=10):
    seen = []
    for _ in range(limit):
        frame = await sock.recv(3)
        seen.append(frame)
        if predicate(frame):
            return frame, seen
    raise AssertionError(f"not received: {seen}")


def _assistant_created(frame):
    return frame["type"] == "message.created" and frame["message"]["author"] == "assistant"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_buttons_round_trip_and_hand_off_over_the_socket(team_a, scripted):
    site = await sync_to_async(_site)(team_a)
    sock, _welcome = await chat_hello(site.key)
    await sock.send({"type": "message.send", "id": "assist-0001", "body": "how do I deposit USDT"})
    ack = await sock.recv_type("message.ack")
    conversation_id = ack["conversation"]["id"]
    answer, frames = await _until(sock, _assistant_created)
    message = answer["message"]
    assert message["body"] == "Open Assets → Deposit and pick USDT."
    assert message["citations"] == [
        {"title": "Deposit crypto", "url": "/help/en/articles/deposit-crypto/"}
    ]
    assert message["actions"] == [
        {"label": "Yes, thanks", "payload": "resolved:yes"},
        {"label": "Talk to a person", "payload": "handoff"},
    ]
    assert message["link"] is None

    await sock.send(
        {
            "type": "assistant.choose",
            "id": "assist-0002",
            "conversation_id": conversation_id,
            "payload": "handoff",
        }
    )
    choice = await sock.recv_type("message.ack")
    assert choice["id"] == "assist-0002"
    assert choice["message"]["author"] == "customer"
    assert choice["message"]["body"] == "Talk to a person"
    told, more = await _until(sock, _assistant_created)
    assert "passed your conversation" in told["message"]["body"]
    assert scripted[-1]["payload"] == "handoff"
    assert await sock.nothing(0.5)
    text = json.dumps(frames + more + [told])
    assert "SECRET-SUMMARY" not in text
    assert "hand-off summary" not in text
    note = await sync_to_async(Message.objects.get)(kind=MessageKind.NOTE)
    assert "SECRET-SUMMARY" in note.body  # it exists, staff-only
    session = await sync_to_async(AssistantSession.objects.get)()
    assert session.outcome == Outcome.HANDED_OFF
    await sock.close()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_bad_choose_frames_are_bad_frame_errors(team_a, scripted):
    site = await sync_to_async(_site)(team_a)
    sock, _ = await chat_hello(site.key)
    bad = [
        {"type": "assistant.choose", "id": "bad-00001", "conversation_id": 1},  # no payload
        {"type": "assistant.choose", "id": "bad-00002", "conversation_id": 1, "payload": ""},
        {"type": "assistant.choose", "id": "bad-00003", "conversation_id": 1, "payload": "a b"},
        {"type": "assistant.choose", "id": "bad-00004", "conversation_id": 1, "payload": 7},
        {"type": "assistant.choose", "id": "bad-00005", "conversation_id": "x", "payload": "a"},
        {"type": "assistant.choose", "conversation_id": 1, "payload": "handoff"},  # no id
        {"type": "assistant.choose", "id": "bad-00007", "payload": "handoff"},
        {"type": "assistant.choose", "id": "bad-00008", "conversation_id": 1, "payload": "x" * 101},
        {
            "type": "assistant.choose",
            "id": "bad-00009",
            "conversation_id": 1,
            "payload": "handoff",
            "extra": True,
        },
    ]
    for frame in bad:
        await sock.send(frame)
        answer = await sock.recv()
        assert (answer["type"], answer["code"]) == ("error", "bad_frame"), frame
    # A well-formed frame for someone else's (or no) conversation is not_found.
    await sock.send(
        {
            "type": "assistant.choose",
            "id": "bad-00010",
            "conversation_id": 999,
            "payload": "handoff",
        }
    )
    answer = await sock.recv()
    assert (answer["code"], answer["ref"]) == ("not_found", "bad-00010")
    await sock.close()


def test_choose_over_the_http_fallback(
    client, team_a, scripted, django_capture_on_commit_callbacks
):
    site = _site(team_a)
    origin = {"HTTP_ORIGIN": "http://127.0.0.1:8000"}
    hello = client.post(
        "/chat/v1/hello",
        data=json.dumps({"type": "hello", "site": site.key}),
        content_type="application/json",
        **origin,
    ).json()
    auth = {"HTTP_AUTHORIZATION": f"Visitor {hello['visitor']['token']}", **origin}

    def frame(body):
        response = client.post(
            "/chat/v1/frames", data=json.dumps(body), content_type="application/json", **auth
        )
        assert response.status_code == 200, response.content
        return response.json()["frames"]

    with django_capture_on_commit_callbacks(execute=True):
        sent = frame({"type": "message.send", "id": "http-00001", "body": "deposit usdt"})
    conversation_id = sent[0]["conversation"]["id"]
    refused = frame(
        {
            "type": "assistant.choose",
            "id": "http-00002",
            "conversation_id": conversation_id,
            "payload": "verify:unlock",  # not offered
        }
    )
    assert refused[0]["type"] == "error"
    assert refused[0]["code"] == "validation"
    with django_capture_on_commit_callbacks(execute=True):
        chosen = frame(
            {
                "type": "assistant.choose",
                "id": "http-00003",
                "conversation_id": conversation_id,
                "payload": "resolved:yes",
            }
        )
    assert chosen[0]["type"] == "message.ack"
    assert chosen[0]["message"]["body"] == "Yes, thanks"
    assert (
        Message.objects.filter(conversation_id=conversation_id)
        .filter(metadata__assistant_payload="resolved:yes")
        .count()
        == 1
    )
    bad = client.post(
        "/chat/v1/frames",
        data=json.dumps({"type": "assistant.choose", "id": "http-00004", "conversation_id": 1}),
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_frame"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_reply_from_a_worker_without_a_shared_layer_still_arrives_soon(
    team_a, scripted, monkeypatch, settings
):
    """The worker on the embedded default shares no channel layer with the web process: the
    socket catches up from the database right after a message the assistant will answer,
    instead of waiting for the 20-second resync."""
    settings.KEFU_REALTIME_RESYNC_SECONDS = 3600  # only the catch-up can deliver it
    site = await sync_to_async(_site)(team_a)
    queued: list[int] = []
    monkeypatch.setattr(chat, "_enqueue", lambda message: queued.append(message.pk))
    sock, _ = await chat_hello(site.key)
    await sock.send({"type": "message.send", "id": "worker-001", "body": "deposit usdt"})
    await sock.recv_type("message.ack")
    await sock.recv_type("message.created")  # the customer's own message
    assert len(queued) == 1
    layer = get_channel_layer()
    real_send = layer.group_send

    async def lost(group, message):  # the worker's events never reach this process
        return None

    layer.group_send = lost
    try:
        await sync_to_async(chat.run_turn)(message_id=queued[0])
    finally:
        layer.group_send = real_send
    frame = await sock.recv_type("message.created", timeout=5)
    assert frame["message"]["author"] == "assistant"
    assert frame["message"]["citations"][0]["title"] == "Deposit crypto"
    await sock.close()
