"""Workspace: an agent saves the notes of a call on a conversation they may open."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import ValidationFailed
from kefu.inbox.calls import phone_call_get_for_agent, phone_call_notes_save
from kefu.workspace.access import agent_required, current_actor, current_agent


@require_POST
@agent_required
def call_notes(request: HttpRequest, pk: int, call_pk: int) -> HttpResponse:
    call = phone_call_get_for_agent(user=current_agent(request), conversation_pk=pk, pk=call_pk)
    try:
        phone_call_notes_save(
            call=call, notes=request.POST.get("notes", ""), actor=current_actor(request)
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Call notes saved."))
    return redirect(reverse("workspace:conversation", args=[pk]) + f"#call-notes-{call.pk}")
