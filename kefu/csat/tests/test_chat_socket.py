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
    sock, _, conversation = await _start(chat_site, "csat-chat-02")
    await sync_to_async(conv.conversation_set_status)(
        conversation=conversation, status=Status.SOLVED, actor=actor_of(agent_a)
    )
    survey = (await _solved_update(sock))["conversation"]["survey"]
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
