from __future__ import annotations

from typing import Any

from django import template

from kefu.core import clock
from kefu.csat import selectors
from kefu.csat.forms import SurveyForm

register = template.Library()


@register.simple_tag
def csat_for_customer(conversation: Any) -> dict[str, Any] | None:
    """The conversation's open survey and a form for it (portal request page), or None."""
    survey = selectors.survey_current(conversation.pk)
    if survey is None or clock.now() >= survey.open_until:
        return None
    initial: dict[str, Any] = {"rating": survey.rating, "comment": survey.comment}
    if survey.resolved is not None:
        initial["resolved"] = "yes" if survey.resolved else "no"
    return {
        "survey": survey,
        "form": SurveyForm(initial=initial, auto_id="csat_%s"),
    }


@register.simple_tag
def csat_for_agent(conversation: Any) -> list[Any]:
    return selectors.surveys_for_agent(conversation)
