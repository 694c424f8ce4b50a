"""The callbacks pages of the agent workspace: the queue by slot, and one callback with its
actions. The customer's account details stay hidden until the customer's code is verified."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts import permissions
from kefu.callbacks import codes, selectors, services
from kefu.callbacks.forms import CompleteForm, NoteForm, VerifyForm
from kefu.callbacks.models import Callback, CallbackStatus
from kefu.contacts.masking import mask_email
from kefu.core import clock
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


@never_cache
@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open callbacks (overdue ones too) and the last day's and upcoming ones, by slot."""
    user = current_agent(request)
    now = clock.now()
    rows = [
        {
            "callback": c,
            "overdue": c.is_open and c.code_expires_at < now,
            "mine": c.agent_id == user.pk,
        }
        for c in selectors.callback_queue(user=user, now=now)
    ]
    context = {**page_context(request, "callbacks"), "rows": rows}
    return TemplateResponse(request, "callbacks/workspace_queue.html", context)


def _detail(
    request: HttpRequest,
    callback: Callback,
    *,
    status: int = 200,
    **bound: forms.Form,
) -> HttpResponse:
    user = current_agent(request)
    mine = callback.agent_id == user.pk
    handles = mine or (callback.agent_id is not None and permissions.sees_all(user))
    verified = callback.status in (CallbackStatus.VERIFIED, CallbackStatus.COMPLETED)
    contact = callback.contact
    context: dict[str, Any] = {
        **page_context(request, "callbacks"),
        "callback": callback,
        "mine": mine,
        "handles": handles,
        "requested": callback.status == CallbackStatus.REQUESTED,
        "verified": verified,
        "can_claim": callback.status == CallbackStatus.REQUESTED
        and not mine
        and (callback.agent_id is None or permissions.sees_all(user)),
        "attempts_left": max(services.MAX_CODE_ATTEMPTS - callback.code_attempts, 0),
        "timezone_name": timezone.get_current_timezone_name(),
        # Only the agent who took the callback sees the phrase to say (and the number to dial).
        "phrase": codes.open_phrase(callback.agent_phrase_sealed) if mine else "",
        "verify_form": bound.get("verify_form") or VerifyForm(),
        "complete_form": bound.get("complete_form") or CompleteForm(),
        "note_form": bound.get("note_form") or NoteForm(),
        # The account: only after the customer has proved who they are.
        "account": {
            "name": contact.name,
            "uid": contact.uid or "",
            "email": mask_email(contact.email),
            "vip_tier": contact.get_vip_tier_display(),
        }
        if verified
        else None,
    }
    return TemplateResponse(request, "callbacks/workspace_detail.html", context, status=status)


def _callback(request: HttpRequest, pk: int) -> Callback:
    return selectors.callback_get_for_agent(user=current_agent(request), pk=pk)


@never_cache
@require_GET
@agent_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _callback(request, pk))


_FORMS: dict[str, tuple[str, type[forms.Form]]] = {
    "verify": ("verify_form", VerifyForm),
    "complete": ("complete_form", CompleteForm),
    "missed": ("note_form", NoteForm),
    "cancel": ("note_form", NoteForm),
}


@never_cache
@require_POST
@agent_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST claim / verify / complete / missed / cancel (each URL names its action): run it
    through its service; on an error show the page again with the error
    beside the form that caused it (the services do all the validation)."""
    callback = _callback(request, pk)
    actor = current_actor(request)
    post = request.POST
    try:
        if action == "claim":
            services.callback_claim(callback=callback, actor=actor)
            done = _("You have taken this callback.")
        elif action == "verify":
            services.callback_verify(callback=callback, code=post.get("code", ""), actor=actor)
            done = _("Code verified: you may now discuss the account.")
        elif action == "complete":
            services.callback_complete(
                callback=callback, outcome=post.get("outcome", ""), actor=actor
            )
            done = _("Callback completed.")
        elif action == "missed":
            services.callback_mark_missed(callback=callback, note=post.get("note", ""), actor=actor)
            done = _("Marked as missed. The customer can book again.")
        else:
            services.callback_cancel(callback=callback, reason=post.get("note", ""), actor=actor)
            done = _("Callback cancelled.")
    except KefuError as exc:
        if action not in _FORMS:
            messages.error(request, exc.message)
            return redirect("agent_callbacks:detail", pk=pk)
        key, form_class = _FORMS[action]
        form = form_class(post)
        form.is_valid()
        add_service_error(form, exc)
        return _detail(request, _callback(request, pk), status=exc.status, **{key: form})
    messages.success(request, done)
    return redirect("agent_callbacks:detail", pk=pk)
