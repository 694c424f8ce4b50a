"""Customer-side routing actions: ask to escalate a request (portal, email link), file a
complaint.

Thin views: the services in ``kefu.routing.escalation`` and ``kefu.conversations.services``
decide (ownership, the policy wait, one pending request, rate limits) and audit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kefu.conversations.models import Channel, Conversation, ConversationType
from kefu.conversations.selectors import conversation_get_for_customer
from kefu.conversations.services import conversation_create
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import KefuError, RateLimited
from kefu.core.forms import add_service_error
from kefu.core.ratelimit import client_ip, hit
from kefu.portal.access import Customer, customer_required
from kefu.routing.email_escalation import conversation_for_token
from kefu.routing.escalation import escalation_available, escalation_request
from kefu.routing.models import EscalationRequest, EscalationSource

COMPLAINT_LIMIT = 5  # complaints per customer per day


class EscalationForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does this need a senior colleague?"),
        min_length=3,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ComplaintForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What went wrong?"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    reference = forms.CharField(
        label=gettext_lazy("Related request (optional)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("For example KF-000123."),
    )


def escalation_context(conversation: Conversation) -> dict[str, Any]:
    """What the request page shows about escalation: the latest request and whether the
    customer may ask now (with the reason when not)."""
    latest = EscalationRequest.objects.filter(conversation=conversation).first()
    refusal = escalation_available(conversation)
    return {
        "latest": latest,
        "can_request": not refusal,
        "refusal": refusal,
        "form": EscalationForm(),
        "is_complaint": conversation.conversation_type == ConversationType.COMPLAINT,
    }


@require_POST
@customer_required
def escalate(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    conversation = conversation_get_for_customer(contact=customer.contact, pk=pk)
    form = EscalationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this needs escalating."))
        return redirect("portal:request_detail", pk=conversation.pk)
    try:
        escalation_request(
            conversation=conversation,
            reason=form.cleaned_data["reason"],
            source=EscalationSource.PORTAL,
            actor=customer.actor,
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your escalation request was sent. A senior colleague will review it.")
        )
    return redirect("portal:request_detail", pk=conversation.pk)


@require_http_methods(["GET", "POST"])
@customer_required
def complaint_new(request: HttpRequest, customer: Customer) -> HttpResponse:
    posted = request.method == "POST"
    form = ComplaintForm(request.POST) if posted else ComplaintForm()
    status = 200
    if posted and form.is_valid():
        data = form.cleaned_data
        body = data["description"]
        if data["reference"].strip():
            body = f"{body}\n\n{_('Related request')}: {data['reference'].strip()}"
        try:
            hit(f"portal-complaint:{customer.user.pk}", limit=COMPLAINT_LIMIT, window_seconds=86400)
            conversation = conversation_create(
                contact=customer.contact,
                subject=data["subject"],
                body=body,
                channel=Channel.WEB,
                language=customer.user.language or customer.contact.language,
                conversation_type=ConversationType.COMPLAINT,
                actor=customer.actor,
            )
        except RateLimited:
            form.add_error(None, _("You have filed several complaints today. Please wait."))
            status = 429
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Your complaint %(reference)s has been received.")
                % {"reference": conversation.reference},
            )
            return redirect("portal:request_detail", pk=conversation.pk)
    return render(request, "routing/portal_complaint.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def email_link(request: HttpRequest, token: str) -> HttpResponse:
    """The escalation link in Kefu's emails. GET only shows a confirmation form (mail scanners
    that fetch links must not escalate); the POST asks. The signed token is the authority:
    the request is made as the conversation's customer, without signing in."""
    conversation = conversation_for_token(token)
    if conversation is None:
        return render(request, "routing/email_link_invalid.html", {}, status=410)
    status = 200
    done = False
    if request.method == "POST":
        form = EscalationForm(request.POST)
        if form.is_valid():
            actor = Actor(
                kind=ActorKind.CUSTOMER,
                contact_id=conversation.contact_id,
                label="email escalation link",
                ip=client_ip(request.META),
            )
            try:
                escalation_request(
                    conversation=conversation,
                    reason=form.cleaned_data["reason"],
                    source=EscalationSource.EMAIL,
                    actor=actor,
                )
            except KefuError as exc:
                add_service_error(form, exc)
                status = 409 if exc.status == 409 else 400
            else:
                done = True
        else:
            status = 400
    else:
        form = EscalationForm()
    context = {
        "conversation": conversation,
        "form": form,
        "done": done,
        "refusal": "" if done else escalation_available(conversation),
    }
    return render(request, "routing/email_link.html", context, status=status)
