"""Routing pages in the agent workspace: the supervisors' live queue board, deciding customers'
escalation requests, and resolving complaints. Thin: selectors read, services decide."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts import permissions
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.core.errors import KefuError
from kefu.routing.escalation import complaint_resolve, escalation_request_decide
from kefu.routing.models import EscalationRequest
from kefu.routing.selectors import queue_board
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
    note = forms.CharField(required=False, max_length=2000)


class ResolutionForm(forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("Resolution (the customer reads this)"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@require_GET
@agent_required
def queues(request: HttpRequest) -> HttpResponse:
    user = current_agent(request)
    if not permissions.sees_all(user):
        raise Http404
    context = {**page_context(request, "queues"), **queue_board(user=user)}
    return render(request, "routing/queues.html", context)


@require_POST
@agent_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_agent(request)
    row = EscalationRequest.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    conversation_get_for_agent(user=user, pk=row.conversation_id)  # NotFound -> 404
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accept or decline."))
    else:
        try:
            escalation_request_decide(
                request=row,
                accept=form.cleaned_data["decision"] == "accept",
                note=form.cleaned_data["note"],
                actor=current_actor(request),
            )
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Escalation request decided."))
    if permissions.sees_all(user):
        return redirect("workspace:routing_queues")
    return redirect("workspace:conversation", pk=row.conversation_id)


@require_POST
@agent_required
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    form = ResolutionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the resolution the customer will read."))
    else:
        try:
            complaint_resolve(
                conversation=conversation,
                resolution=form.cleaned_data["resolution"],
                actor=current_actor(request),
            )
        except KefuError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Complaint resolved."))
    return redirect("workspace:conversation", pk=conversation.pk)
