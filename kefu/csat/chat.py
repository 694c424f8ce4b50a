"""The chat widget's survey answer (``survey.answer`` frame), for kefu.inbox's chat session."""

from __future__ import annotations

from typing import Any

from kefu.conversations.models import Conversation
from kefu.core.actor import Actor
from kefu.core.errors import NotFound
from kefu.csat.models import Survey
from kefu.csat.payloads import survey_shape
from kefu.csat.services import survey_answer


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
    survey = Survey.objects.filter(pk=survey_id, conversation_id=conversation.pk).first()
    if survey is None:
        raise NotFound("survey")
    survey = survey_answer(
        survey=survey, rating=rating, resolved=resolved, comment=comment, actor=actor
    )
    return survey_shape(survey)
