"""The survey as the customer's chat client sees it (docs/subsystems/realtime.md, ``survey``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kefu.core import clock
from kefu.csat.models import Survey
from kefu.csat.selectors import survey_current

if TYPE_CHECKING:
    from kefu.conversations.models import Conversation


def survey_shape(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "rating": survey.rating,
        "resolved": survey.resolved,
        "comment": survey.comment,
        "answered": survey.answered,
        "open_until": survey.open_until.isoformat(),
    }


def survey_for_customer(conversation: Conversation) -> dict[str, Any] | None:
    """The open survey of a conversation (None when there is none or its window has passed)."""
    if conversation.survey_open_until is None or clock.now() >= conversation.survey_open_until:
        return None  # no survey being asked: no query (this runs for every chat ack)
    survey = survey_current(conversation.pk)
    if survey is None or clock.now() >= survey.open_until:
        return None
    return survey_shape(survey)
