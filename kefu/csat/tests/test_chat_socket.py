"""The survey in live chat over a real ASGI WebSocket (Channels communicator): the conversation
object carries the open survey; ``survey.answer`` records it and answers ``survey.recorded``."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Status
from kefu.csat.models import Survey
from kefu.testing.realtime import chat_hello

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _start(chat_site, key):
    sock, welcome = await chat_hello(chat_site.key)
    await sock.send({"type": "message.send", "id": key, "body": "my deposit is missing"})
    ack = await sock.recv_type("message.ack")
    assert ack["conversation"]["survey"] is None
    await sock.recv_type("message.created")
    conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation"]["id"])
    return sock, welcome, conversation


async def _solved_update(sock):
    while True:
        frame = await sock.recv_type("conversation.updated")
        if frame["conversation"]["status"] == "solved":
            return frame


async def _solved_survey(chat_site, agent, key):
    """A visitor's chat, solved by ``agent``: the socket, the conversation and its survey."""
    sock, _, conversation = await _start(chat_site, key)
    await sync_to_async(conv.conversation_set_status)(
        conversation=conversation, status=Status.SOLVED, actor=agent
    )
    survey = (await _solved_update(sock))["conversation"]["survey"]
    return sock, conversation, survey


async def test_solving_pushes_the_survey_and_the_answer_is_recorded(chat_site, agent_a, actor_of):
    sock, welcome, conversation = await _start(chat_site, "csat-chat-01")
    await sync_to_async(conv.conversation_set_status)(
        conversation=conversation, status=Status.SOLVED, actor=actor_of(agent_a)
    )
    update = await _solved_update(sock)
    survey = update["conversation"]["survey"]
    assert survey["answered"] is False
    assert survey["rating"] is None
    await sock.send(
        {
            "type": "survey.answer",
            "conversation_id": conversation.pk,
            "survey_id": survey["id"],
            "rating": 5,
            "resolved": True,
            "comment": "快，谢谢",
        }
    )
    recorded = await sock.recv_type("survey.recorded")
    assert recorded["conversation_id"] == conversation.pk
    assert recorded["survey"]["rating"] == 5
    assert recorded["survey"]["answered"] is True
    stored = await sync_to_async(Survey.objects.get)(pk=survey["id"])
    assert (stored.rating, stored.resolved, stored.comment) == (5, True, "快，谢谢")
    await sock.close()

    # A reconnect's welcome carries the answered survey (changeable until open_until).
    sock, again = await chat_hello(
        chat_site.key, visitor_token=welcome["visitor"]["token"], conversation_id=conversation.pk
    )
    assert again["conversation"]["survey"]["rating"] == 5
    await sock.close()


async def test_bad_rating_is_a_bad_frame_and_records_nothing(chat_site, agent_a, actor_of):
    sock, conversation, survey = await _solved_survey(chat_site, actor_of(agent_a), "csat-chat-02")
    await sock.send(
        {
            "type": "survey.answer",
            "conversation_id": conversation.pk,
            "survey_id": survey["id"],
            "rating": 9,
        }
    )
    error = await sock.recv_type("error")
    assert error["code"] == "bad_frame"
    stored = await sync_to_async(Survey.objects.get)(pk=survey["id"])
    assert stored.rating is None
    await sock.close()


async def test_visitor_cannot_answer_another_conversations_survey(
    chat_site, agent_a, customer_2, actor_of
):
    from kefu.testing import factories

    other = await sync_to_async(factories.ConversationFactory)(contact=customer_2.contact)
    await sync_to_async(conv.conversation_set_status)(
        conversation=other, status=Status.SOLVED, actor=actor_of(agent_a)
    )
    other_survey = await sync_to_async(Survey.objects.get)(conversation=other)
    sock, _, conversation = await _start(chat_site, "csat-chat-03")
    for conversation_id in (other.pk, conversation.pk):
        await sock.send(
            {
                "type": "survey.answer",
                "conversation_id": conversation_id,
                "survey_id": other_survey.pk,
                "rating": 1,
            }
        )
        error = await sock.recv_type("error")
        assert error["code"] == "not_found"
    await sync_to_async(other_survey.refresh_from_db)()
    assert other_survey.rating is None
    await sock.close()


# --- asking a senior colleague right after a negative answer (``survey.escalate``) ---------


async def _answer(sock, conversation, survey_id, rating, resolved):
    await sock.send(
        {
            "type": "survey.answer",
            "conversation_id": conversation.pk,
            "survey_id": survey_id,
            "rating": rating,
            "resolved": resolved,
        }
    )
    return (await sock.recv_type("survey.recorded"))["survey"]


async def test_after_a_low_rating_the_chat_asks_a_senior_colleague_at_once(
    chat_site, agent_a, actor_of
):
    from kefu.audit.models import AuditEntry
    from kefu.routing.models import EscalationRequest, EscalationSource, EscalationState

    sock, conversation, survey = await _solved_survey(chat_site, actor_of(agent_a), "csat-chat-04")
    assert survey["can_escalate"] is False  # nothing answered yet: nothing to offer
    recorded = await _answer(sock, conversation, survey["id"], 1, False)
    # Minutes old, far inside the portal's 24-hour wait: the survey's own route is open at once.
    assert recorded["can_escalate"] is True
    await sock.send(
        {"type": "survey.escalate", "conversation_id": conversation.pk, "survey_id": survey["id"]}
    )
    escalated = await sock.recv_type("survey.escalated")
    assert escalated["conversation_id"] == conversation.pk
    assert escalated["survey"]["can_escalate"] is False  # one request at a time
    assert escalated["escalation"]["latest"]["state"] == EscalationState.PENDING
    request = await sync_to_async(EscalationRequest.objects.get)(conversation=conversation)
    assert (request.source, request.state) == (EscalationSource.CSAT, EscalationState.PENDING)
    assert "1 of 5" in request.reason
    assert (
        await sync_to_async(
            AuditEntry.objects.filter(
                action="escalation.requested", object_id=str(conversation.pk)
            ).count
        )()
        == 1
    )
    # Every socket of the conversation hears that the offer is gone (conversation.updated).
    update = await sock.recv_type("conversation.updated")
    assert update["conversation"]["survey"]["can_escalate"] is False

    # Pressing again is refused with the reason and asks nothing more.
    await sock.send(
        {"type": "survey.escalate", "conversation_id": conversation.pk, "survey_id": survey["id"]}
    )
    error = await sock.recv_type("error")
    assert error["code"] == "error"
    assert "being reviewed" in error["message"]
    assert (
        await sync_to_async(EscalationRequest.objects.filter(conversation=conversation).count)()
        == 1
    )
    await sock.close()


async def test_a_good_answer_or_no_answer_cannot_be_escalated_from_the_survey(
    chat_site, agent_a, actor_of
):
    from kefu.routing.models import EscalationRequest

    sock, conversation, survey = await _solved_survey(chat_site, actor_of(agent_a), "csat-chat-05")
    frame = {
        "type": "survey.escalate",
        "conversation_id": conversation.pk,
        "survey_id": survey["id"],
    }
    await sock.send(frame)  # not answered yet
    assert (await sock.recv_type("error"))["code"] == "forbidden"
    recorded = await _answer(sock, conversation, survey["id"], 5, True)
    assert recorded["can_escalate"] is False
    await sock.send(frame)
    assert (await sock.recv_type("error"))["code"] == "forbidden"
    await sock.send({**frame, "survey_id": survey["id"] + 1000})
    assert (await sock.recv_type("error"))["code"] == "not_found"
    assert not await sync_to_async(EscalationRequest.objects.exists)()
    await sock.close()


async def test_the_survey_escalation_is_refused_after_the_window(
    chat_site, agent_a, actor_of, monkeypatch
):
    from datetime import timedelta

    from kefu.core import clock
    from kefu.routing.models import EscalationRequest

    sock, conversation, survey = await _solved_survey(chat_site, actor_of(agent_a), "csat-chat-06")
    await _answer(sock, conversation, survey["id"], 2, None)
    stored = await sync_to_async(Survey.objects.get)(pk=survey["id"])
    later = stored.open_until + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    await sock.send(
        {"type": "survey.escalate", "conversation_id": conversation.pk, "survey_id": survey["id"]}
    )
    assert (await sock.recv_type("error"))["code"] == "forbidden"
    assert not await sync_to_async(EscalationRequest.objects.exists)()
    await sock.close()
