"""The chat widget's survey frames (``survey.answer``, ``survey.escalate``), for kefu.inbox's
chat session."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kefu.conversations.models import Conversation
from kefu.core.actor import Actor
from kefu.core.errors import InvalidTransition, NotFound
from kefu.csat.models import Survey
from kefu.csat.payloads import survey_shape
from kefu.csat.services import survey_answer, survey_request_escalation


def _survey(conversation: Conversation, survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id, conversation_id=conversation.pk).first()
    if survey is None:
        raise NotFound("survey")
    return survey


def survey_answer_from_chat(
    *,
    conversation: Conversation,
    survey_id: int,
    rating: int,
    resolved: bool | None,
    comment: str,
    actor: Actor,
) -> dict[str, Any]:
    """Answer the conversation's survey ``survey_id`` (the caller checked the conversation is the
    visitor's); the survey as the client sees it afterwards."""
    survey = survey_answer(
        survey=_survey(conversation, survey_id),
        rating=rating,
        resolved=resolved,
        comment=comment,
        actor=actor,
    )
    return survey_shape(survey, conversation)


def survey_escalate_from_chat(
    *, conversation: Conversation, survey_id: int, actor: Actor
) -> dict[str, Any]:
    """After a negative answer in the chat's survey card, ask a senior colleague to review the
    conversation (``survey_request_escalation``, source ``csat``); the survey as the client sees
    it afterwards. A survey not answered negatively is refused (InvalidTransition)."""
    survey = _survey(conversation, survey_id)
    if not survey_request_escalation(survey=survey, actor=actor):
        raise InvalidTransition(
            _("You can ask for a review here after a low rating or an unresolved problem.")
        )
    conversation.refresh_from_db(fields=["status", "tier"])
    return survey_shape(survey, conversation)
