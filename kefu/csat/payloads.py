"""The survey as the customer's chat client sees it (docs/subsystems/realtime.md, ``survey``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kefu.core import clock
from kefu.csat.models import Survey
from kefu.csat.selectors import survey_current

if TYPE_CHECKING:
    from kefu.conversations.models import Conversation


def survey_can_escalate(survey: Survey, conversation: Conversation | None = None) -> bool:
    """Whether the answer may be followed by "ask a senior colleague to review it": it is
    negative (low rating or not resolved), the survey is still open, and routing would take a
    request from the survey now (none pending, not in the cool-down, not closed, not at L3).
    Reads nothing until the survey has been answered (this runs for every chat ack)."""
    if survey.rating is None or survey.superseded or clock.now() >= survey.open_until:
        return False
    from kefu.csat.services import survey_is_negative

    if not survey_is_negative(survey):
        return False
    from kefu.conversations.models import Conversation
    from kefu.routing.escalation import escalation_available
    from kefu.routing.models import EscalationSource

    if conversation is None:
        conversation = Conversation.objects.get(pk=survey.conversation_id)
    return escalation_available(conversation, source=EscalationSource.CSAT) == ""


def survey_shape(survey: Survey, conversation: Conversation | None = None) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "rating": survey.rating,
        "resolved": survey.resolved,
        "comment": survey.comment,
        "answered": survey.answered,
        "open_until": survey.open_until.isoformat(),
        # Additive (v1): offer "ask a senior colleague" under a negative answer.
        "can_escalate": survey_can_escalate(survey, conversation),
    }


def survey_for_customer(conversation: Conversation) -> dict[str, Any] | None:
    """The open survey of a conversation (None when there is none or its window has passed)."""
    if conversation.survey_open_until is None or clock.now() >= conversation.survey_open_until:
        return None  # no survey being asked: no query (this runs for every chat ack)
    survey = survey_current(conversation.pk)
    if survey is None or clock.now() >= survey.open_until:
        return None
    return survey_shape(survey, conversation)
