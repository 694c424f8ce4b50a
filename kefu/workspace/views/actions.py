"""One small POST view per action on a conversation: form -> selector -> service -> redirect.

The selector runs first, so an agent who cannot see the conversation gets a 404 and nothing
changes. Service errors come back as an error flash, or, for the forms with text worth keeping
(reply, note, escalation reason), as the page re-rendered with the errors next to the fields.

The live page (``live.js``) posts the reply and note forms with ``fetch`` and asks for JSON
(``Accept: application/json`` or ``X-Requested-With: XMLHttpRequest``); it then gets
``{"ok": true, "message": ..., "redirect": null | url}`` or, with status 400,
``{"ok": false, "errors": {field or "__all__": [messages]}}`` instead of a page. When the agent
socket is up it sends them as ``message.send`` frames instead (kefu.realtime.consumers) and
posts here only as the fallback, with the frame's id as ``client_key`` so nothing is stored
twice (docs/adr/0030-agent-messages-over-the-socket.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import User, UserKind
from kefu.conversations.models import Conversation, Priority, Status
from kefu.conversations.secret_guard import GuardBlocked
from kefu.conversations.selectors import conversation_get_for_agent, conversations_visible_to_agent
from kefu.conversations.services import (
    conversation_assign,
    conversation_escalate,
    conversation_set_priority,
    conversation_set_status,
    conversation_set_tags,
    conversation_set_team,
    message_reply,
    note_add,
)
from kefu.core.actor import Actor
from kefu.core.errors import KefuError, NotFound, ValidationFailed
from kefu.core.forms import add_service_error
from kefu.workspace.access import agent_required, current_actor, current_agent
from kefu.workspace.forms import (
    AssignForm,
    EscalateForm,
    MacroApplyForm,
    MergeForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TagsForm,
    TeamForm,
    read_uploads,
)
from kefu.workspace.views.conversation import render_conversation


def _load(request: HttpRequest, pk: int) -> Conversation:
    return conversation_get_for_agent(user=current_agent(request), pk=pk)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        "application/json" in request.headers.get("Accept", "")
    )


def _left_view(request: HttpRequest, conversation: Conversation) -> bool:
    """True (and an info flash for the next page) when the change took the conversation out of
    the agent's view: escalated above their tier, routed to another team."""
    visible = conversations_visible_to_agent(current_agent(request)).filter(pk=conversation.pk)
    if visible.exists():
        return False
    messages.info(
        request,
        _("%(reference)s is no longer in your view.") % {"reference": conversation.reference},
    )
    return True


def _back(request: HttpRequest, conversation: Conversation) -> HttpResponse:
    """Back to the conversation, or to the inbox when it left the agent's view."""
    if _left_view(request, conversation):
        return redirect("workspace:inbox")
    return redirect("workspace:conversation", pk=conversation.pk)


def _json_done(request: HttpRequest, conversation: Conversation, message: str) -> JsonResponse:
    gone = _left_view(request, conversation)
    return JsonResponse(
        {"ok": True, "message": message, "redirect": reverse("workspace:inbox") if gone else None}
    )


def _json_failed(form: forms.Form) -> JsonResponse:
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    data: dict[str, Any] = {"ok": False, "errors": errors}
    if isinstance(form, ReplyForm) and form.guard_blocked:
        data["code"] = GuardBlocked.code  # live.js then shows the override reason field
    return JsonResponse(data, status=400)


def _form_failed(
    request: HttpRequest, conversation: Conversation, form: forms.Form
) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("workspace:conversation", pk=conversation.pk)


def _service_failed(
    request: HttpRequest, conversation: Conversation, exc: KefuError
) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect("workspace:conversation", pk=conversation.pk)


Perform = Callable[[Conversation, dict[str, Any], Actor], str]


def _run_action(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    perform: Perform,
    *,
    bound_as: str | None = None,
    inline: type[KefuError] = KefuError,
) -> HttpResponse:
    """Load the conversation, bind ``form_class`` and, when it is valid, call ``perform`` (which
    runs the service and returns the success message); then flash it and go ``_back``.

    Without ``bound_as`` any failure is an error flash on the conversation page. With it, an
    invalid form, or a service error of type ``inline``, re-renders the page with the form bound
    under that name; other service errors are still flashed. A request that wants JSON gets
    JSON either way (see the module docstring).
    """
    conversation = _load(request, pk)
    as_json = _wants_json(request)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            message = perform(conversation, form.cleaned_data, current_actor(request))
        except NotFound:
            raise
        except KefuError as exc:
            if not as_json and (bound_as is None or not isinstance(exc, inline)):
                return _service_failed(request, conversation, exc)
            add_service_error(form, exc)
            if isinstance(form, ReplyForm) and isinstance(exc, GuardBlocked):
                form.guard_blocked = True
        else:
            if as_json:
                return _json_done(request, conversation, message)
            messages.success(request, message)
            return _back(request, conversation)
    if as_json:
        return _json_failed(form)
    if bound_as is None:
        return _form_failed(request, conversation, form)
    return render_conversation(request, conversation, status=400, bound={bound_as: form})


@require_POST
@agent_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        message_reply(
            conversation=conversation,
            body=data["body"],
            attachments=read_uploads(data["attachments"]),
            set_status=data["set_status"] or None,
            guard_override_reason=data["guard_override_reason"],
            client_key=data["client_key"] or None,
            actor=actor,
        )
        return _("Reply sent to the customer.")

    return _run_action(request, pk, ReplyForm, perform, bound_as="reply_form")


@require_POST
@agent_required
def note(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        note_add(
            conversation=conversation,
            body=data["body"],
            attachments=read_uploads(data["attachments"]),
            client_key=data["client_key"] or None,
            actor=actor,
        )
        return _("Internal note added.")

    return _run_action(request, pk, NoteForm, perform, bound_as="note_form")


@require_POST
@agent_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        value = data["assignee"]
        assignee: User | None
        if value == "me":
            assignee = current_agent(request)
        elif value == "none":
            assignee = None
        else:
            assignee = (
                User.objects.filter(pk=int(value), kind=UserKind.STAFF).first()
                if value.isdigit()
                else None
            )
            if assignee is None:
                raise ValidationFailed(_("Choose an agent."))
        conversation_assign(conversation=conversation, assignee=assignee, actor=actor)
        if assignee is None:
            return _("The conversation is now unassigned.")
        return _("Assigned to %(name)s.") % {"name": assignee}

    return _run_action(request, pk, AssignForm, perform)


@require_POST
@agent_required
def set_team(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        team = data["team"]
        conversation_set_team(conversation=conversation, team=team, actor=actor)
        if team is None:
            return _("The conversation is no longer routed to a team.")
        return _("Routed to team %(team)s.") % {"team": team.name}

    return _run_action(request, pk, TeamForm, perform)


@require_POST
@agent_required
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        status = data["status"]
        conversation_set_status(conversation=conversation, status=status, actor=actor)
        return _("Status set to %(status)s.") % {"status": Status(status).label}

    return _run_action(request, pk, StatusForm, perform)


@require_POST
@agent_required
def set_priority(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        priority = data["priority"]
        conversation_set_priority(conversation=conversation, priority=priority, actor=actor)
        return _("Priority set to %(priority)s.") % {"priority": Priority(priority).label}

    return _run_action(request, pk, PriorityForm, perform)


@require_POST
@agent_required
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        escalated = conversation_escalate(
            conversation=conversation, reason=data["reason"], actor=actor
        )
        return _("Escalated to tier %(tier)s.") % {"tier": escalated.tier}

    return _run_action(
        request, pk, EscalateForm, perform, bound_as="escalate_form", inline=ValidationFailed
    )


@require_POST
@agent_required
def set_tags(request: HttpRequest, pk: int) -> HttpResponse:
    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        conversation_set_tags(conversation=conversation, names=data["tags"], actor=actor)
        return _("Tags saved.")

    return _run_action(request, pk, TagsForm, perform)


@require_POST
@agent_required
def apply_macro(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a macro's field changes through the usual services (its text is inserted by the
    reply box, not here)."""
    from kefu.conversations.macros import macro_apply
    from kefu.conversations.models import Macro

    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        macro = Macro.objects.filter(pk=data["macro"]).first()
        if macro is None:
            raise ValidationFailed(_("Choose a macro."), fields={"macro": [_("Choose a macro.")]})
        changed = macro_apply(conversation=conversation, macro=macro, actor=actor)
        if not changed:
            return _("Macro “%(name)s”: nothing to change.") % {"name": macro.name}
        return _("Macro “%(name)s” applied.") % {"name": macro.name}

    return _run_action(request, pk, MacroApplyForm, perform)


@require_POST
@agent_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this conversation into another one the agent can see (same customer)."""
    from kefu.conversations.merge import conversation_merge
    from kefu.conversations.models import parse_reference

    def perform(conversation: Conversation, data: dict[str, Any], actor: Actor) -> str:
        target_pk = parse_reference(data["target"])
        if target_pk is None:
            raise ValidationFailed(
                _("Write a reference such as KF-000123."),
                fields={"target": [_("Write a reference such as KF-000123.")]},
            )
        try:
            target = conversation_get_for_agent(user=current_agent(request), pk=target_pk)
        except NotFound:
            raise ValidationFailed(
                _("No conversation you can see has this reference."),
                fields={"target": [_("No conversation you can see has this reference.")]},
            ) from None
        conversation_merge(source=conversation, target=target, actor=actor)
        return _("Merged into %(ref)s.") % {"ref": target.reference}

    return _run_action(request, pk, MergeForm, perform)
