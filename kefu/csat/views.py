"""Customer-facing survey pages: the email link's confirmation page and the portal's form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.core.ratelimit import client_ip
from kefu.csat import selectors, services
from kefu.csat.forms import SurveyForm
from kefu.csat.links import read_token
from kefu.csat.models import Survey, SurveyPolicy
from kefu.portal.access import Customer, customer_required


def _link_survey(token: str) -> tuple[Survey | None, int]:
    claim = read_token(token, max_age_seconds=SurveyPolicy.current().window.total_seconds())
    if claim is None:
        return None, 0
    survey = (
        Survey.objects.select_related("conversation")
        .filter(pk=claim.survey_id, superseded=False, open_until__gt=clock.now())
        .first()
    )
    return survey, claim.rating


def _answer(request: HttpRequest, form: SurveyForm, survey: Survey, actor: Actor) -> bool:
    """Record the form's answer; False (errors on the form) when the service refused it."""
    try:
        survey = services.survey_answer(
            survey=survey,
            rating=form.cleaned_data["rating"],
            resolved=form.resolved_value(),
            comment=form.cleaned_data["comment"],
            actor=actor,
        )
        if form.cleaned_data.get("escalate"):
            services.survey_request_escalation(survey=survey, actor=actor)
    except KefuError as exc:
        add_service_error(form, exc)
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The email's one-click link. GET only shows the confirmation form (scanners that fetch
    links do not vote); the POST records the answer. The signed token is the authority."""
    survey, rating = _link_survey(token)
    if survey is None:
        return TemplateResponse(request, "csat/link_invalid.html", {}, status=410)
    conversation = survey.conversation
    actor = Actor(
        kind=ActorKind.CUSTOMER,
        contact_id=conversation.contact_id,
        label="email survey link",
        ip=client_ip(request.META),
    )
    status = 200
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid() and _answer(request, form, survey, actor):
            return TemplateResponse(request, "csat/thanks.html", {"conversation": conversation})
        status = 400
    else:
        initial: dict[str, Any] = {"rating": survey.rating or rating}
        if survey.resolved is not None:
            initial["resolved"] = "yes" if survey.resolved else "no"
        initial["comment"] = survey.comment
        form = SurveyForm(initial=initial)
    context = {
        "form": form,
        "survey": survey,
        "conversation": conversation,
    }
    return TemplateResponse(request, "csat/rate.html", context, status=status)


@require_POST
@customer_required
def portal_answer(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    """The survey form on a portal request page (the customer's own requests only)."""
    survey = selectors.survey_get_for_customer(contact=customer.contact, conversation_id=pk)
    form = SurveyForm(request.POST)
    if form.is_valid() and _answer(request, form, survey, customer.actor):
        messages.success(request, _("Thank you for your feedback."))
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors) or _("Check your answer."))
    return redirect("portal:request_detail", pk=pk)
