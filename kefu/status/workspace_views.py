"""Incidents in the agent workspace: link a conversation to an incident; for a resolved
incident, answer every linked open conversation at once (kefu.status.conversation_links)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts import permissions
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.core.errors import KefuError
from kefu.status.conversation_links import (
    DONE_STATES,
    incident_link_conversations,
    incident_reply_all,
    incident_unlink_conversation,
)
from kefu.status.models import Incident, IncidentConversation
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


class LinkForm(forms.Form):
    incident = forms.IntegerField(min_value=1)


class BulkReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Reply to every linked open conversation"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    solve = forms.BooleanField(label=gettext_lazy("Also mark them solved"), required=False)


@require_POST
@agent_required
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link conversation ``pk`` (one the agent sees) to an incident."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    form = LinkForm(request.POST)
    incident = (
        Incident.objects.filter(pk=form.data.get("incident") or 0).first()
        if form.is_valid()
        else None
    )
    if incident is None:
        messages.error(request, _("Choose an incident."))
    else:
        incident_link_conversations(
            incident=incident, conversations=[conversation], actor=current_actor(request)
        )
        messages.success(request, _("Linked to the incident."))
    return redirect("workspace:conversation", pk=conversation.pk)


@require_POST
@agent_required
def unlink(request: HttpRequest, pk: int) -> HttpResponse:
    """Unlink conversation ``pk`` (one the agent sees) from an incident; back to the
    conversation, or to the incident's page when the form came from there."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    form = LinkForm(request.POST)
    incident = (
        Incident.objects.filter(pk=form.data.get("incident") or 0).first()
        if form.is_valid()
        else None
    )
    if incident is None:
        messages.error(request, _("Choose an incident."))
    elif incident_unlink_conversation(
        incident=incident, conversation=conversation, actor=current_actor(request)
    ):
        messages.success(request, _("Unlinked from the incident."))
    else:
        messages.info(request, _("This conversation was not linked to that incident."))
    if incident is not None and request.POST.get("back") == "incident":
        return redirect("agent_incidents:conversations", pk=incident.pk)
    return redirect("workspace:conversation", pk=conversation.pk)


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def incident_conversations(request: HttpRequest, pk: int) -> HttpResponse:
    """The conversations linked to an incident, and (resolved) the reply to all of them."""
    user = current_agent(request)
    if not permissions.can_manage_workspace(user):
        raise Http404
    incident = Incident.objects.filter(pk=pk).first()
    if incident is None:
        raise Http404
    form = BulkReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = incident_reply_all(
                incident=incident,
                body=form.cleaned_data["body"],
                solve=form.cleaned_data["solve"],
                actor=current_actor(request),
            )
        except KefuError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Replied to %(n)s conversations (%(skipped)s skipped, %(failed)s failed).")
                % {
                    "n": len(result.replied),
                    "skipped": len(result.skipped),
                    "failed": len(result.failed),
                },
            )
            return redirect("agent_incidents:conversations", pk=incident.pk)
    links = (
        IncidentConversation.objects.filter(incident=incident)
        .select_related("conversation")
        .order_by("-created_at")
    )
    context = {
        **page_context(request, "incidents"),
        "incident": incident,
        "links": links,
        "form": form,
        "resolved": incident.state in DONE_STATES,
    }
    return TemplateResponse(request, "status/workspace_incident.html", context)
