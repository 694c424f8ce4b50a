"""One small POST view per action on a conversation: form -> selector -> service -> redirect.

The selector runs first, so an agent who cannot see the conversation gets a 404 and nothing
changes. Service errors come back as an error flash, or, for the forms with text worth keeping
(reply, note, escalation reason), as the page re-rendered with the errors next to the fields.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import User, UserKind
from kefu.conversations.models import Conversation, Priority, Status
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
from kefu.core.errors import KefuError, NotFound, ValidationFailed
from kefu.core.forms import add_service_error
from kefu.workspace.access import agent_required, current_actor, current_agent
from kefu.workspace.forms import (
    AssignForm,
    EscalateForm,
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


def _back(request: HttpRequest, conversation: Conversation) -> HttpResponse:
    """Back to the conversation, or to the inbox when the change took it out of the agent's view
    (escalated above their tier, routed to another team)."""
    visible = conversations_visible_to_agent(current_agent(request)).filter(pk=conversation.pk)
    if visible.exists():
        return redirect("workspace:conversation", pk=conversation.pk)
    messages.info(
        request,
        _("%(reference)s is no longer in your view.") % {"reference": conversation.reference},
    )
    return redirect("workspace:inbox")


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


@require_POST
@agent_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message_reply(
                conversation=conversation,
                body=data["body"],
                attachments=read_uploads(data["attachments"]),
                set_status=data["set_status"] or None,
                actor=current_actor(request),
            )
        except NotFound:
            raise
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Reply sent to the customer."))
            return _back(request, conversation)
    return render_conversation(request, conversation, status=400, bound={"reply_form": form})


@require_POST
@agent_required
def note(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            note_add(
                conversation=conversation,
                body=form.cleaned_data["body"],
                attachments=read_uploads(form.cleaned_data["attachments"]),
                actor=current_actor(request),
            )
        except NotFound:
            raise
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Internal note added."))
            return _back(request, conversation)
    return render_conversation(request, conversation, status=400, bound={"note_form": form})


@require_POST
@agent_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _form_failed(request, conversation, form)
    value = form.cleaned_data["assignee"]
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
            messages.error(request, _("Choose an agent."))
            return redirect("workspace:conversation", pk=conversation.pk)
    try:
        conversation_assign(
            conversation=conversation, assignee=assignee, actor=current_actor(request)
        )
    except NotFound:
        raise
    except KefuError as exc:
        return _service_failed(request, conversation, exc)
    if assignee is None:
        messages.success(request, _("The conversation is now unassigned."))
    else:
        messages.success(request, _("Assigned to %(name)s.") % {"name": assignee})
    return _back(request, conversation)


@require_POST
@agent_required
def set_team(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = TeamForm(request.POST)
    if not form.is_valid():
        return _form_failed(request, conversation, form)
    team = form.cleaned_data["team"]
    try:
        conversation_set_team(conversation=conversation, team=team, actor=current_actor(request))
    except NotFound:
        raise
    except KefuError as exc:
        return _service_failed(request, conversation, exc)
    if team is None:
        messages.success(request, _("The conversation is no longer routed to a team."))
    else:
        messages.success(request, _("Routed to team %(team)s.") % {"team": team.name})
    return _back(request, conversation)


@require_POST
@agent_required
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _form_failed(request, conversation, form)
    status = form.cleaned_data["status"]
    try:
        conversation_set_status(
            conversation=conversation, status=status, actor=current_actor(request)
        )
    except NotFound:
        raise
    except KefuError as exc:
        return _service_failed(request, conversation, exc)
    messages.success(request, _("Status set to %(status)s.") % {"status": Status(status).label})
    return _back(request, conversation)


@require_POST
@agent_required
def set_priority(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _form_failed(request, conversation, form)
    priority = form.cleaned_data["priority"]
    try:
        conversation_set_priority(
            conversation=conversation, priority=priority, actor=current_actor(request)
        )
    except NotFound:
        raise
    except KefuError as exc:
        return _service_failed(request, conversation, exc)
    messages.success(
        request, _("Priority set to %(priority)s.") % {"priority": Priority(priority).label}
    )
    return _back(request, conversation)


@require_POST
@agent_required
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            conversation = conversation_escalate(
                conversation=conversation,
                reason=form.cleaned_data["reason"],
                actor=current_actor(request),
            )
        except NotFound:
            raise
        except ValidationFailed as exc:
            add_service_error(form, exc)
        except KefuError as exc:
            return _service_failed(request, conversation, exc)
        else:
            messages.success(
                request, _("Escalated to tier %(tier)s.") % {"tier": conversation.tier}
            )
            return _back(request, conversation)
    return render_conversation(request, conversation, status=400, bound={"escalate_form": form})


@require_POST
@agent_required
def set_tags(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = _load(request, pk)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return _form_failed(request, conversation, form)
    try:
        conversation_set_tags(
            conversation=conversation, names=form.cleaned_data["tags"], actor=current_actor(request)
        )
    except NotFound:
        raise
    except KefuError as exc:
        return _service_failed(request, conversation, exc)
    messages.success(request, _("Tags saved."))
    return _back(request, conversation)
