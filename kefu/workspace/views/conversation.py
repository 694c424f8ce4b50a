"""The conversation page: timeline, customer panel, the forms that act on it, and downloads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.accounts import permissions
from kefu.accounts.models import User, UserKind
from kefu.conversations.macros import macro_render
from kefu.conversations.models import Attachment, AuthorKind, Conversation, Macro, Status
from kefu.conversations.selectors import (
    conversation_get_for_agent,
    other_conversations_of_contact,
    timeline_for_agent,
)
from kefu.conversations.services import (
    TRANSITIONS,
    attachment_record_download,
    conversation_record_view,
)
from kefu.core import clock
from kefu.sla.selectors import timers_for_conversation
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context
from kefu.workspace.forms import (
    AssignForm,
    EscalateForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TagsForm,
    TeamForm,
)
from kefu.workspace.timeline import pinned_items, present_timeline


def eligible_agents(conversation: Conversation) -> QuerySet[User]:
    """Active staff who work on the conversation's tier (the people it may be assigned to)."""
    roles = [role for role, tier in permissions.MAX_TIER.items() if tier >= conversation.tier]
    return User.objects.filter(kind=UserKind.STAFF, is_active=True, role__in=roles).order_by(
        "display_name", "email"
    )


def _macros(conversation: Conversation, agent: User) -> list[dict[str, Any]]:
    return [
        {
            "id": m.pk,
            "name": m.name,
            "text": macro_render(macro=m, conversation=conversation, agent=agent),
        }
        for m in Macro.objects.order_by("name")
    ]


def _action_macros() -> list[dict[str, Any]]:
    """Macros that set fields (applied by the "Macro actions" form)."""
    macros = Macro.objects.prefetch_related("add_tags").order_by("name")
    return [
        {"id": m.pk, "name": m.name}
        for m in macros
        if m.set_status
        or m.set_priority is not None
        or m.set_team_id is not None
        or m.assign
        or m.add_tags.all()
    ]


def _status_choices(conversation: Conversation) -> list[tuple[str, str]]:
    """The current status first, then the ones it may move to."""
    allowed = TRANSITIONS.get(conversation.status, set())
    return [
        (s.value, str(s.label)) for s in Status if s == conversation.status or s.value in allowed
    ]


def timeline_context(conversation: Conversation) -> dict[str, Any]:
    """What the timeline region needs: the items and where the customer's read mark goes."""
    items = present_timeline(conversation, timeline_for_agent(conversation))
    # "Seen by customer" goes under the last public reply the customer did not write, once the
    # customer's read mark (a public sequence number) has reached it.
    seen_entry_id = None
    for item in reversed(items):
        message = item.message
        if (
            message is not None
            and message.public_seq is not None
            and message.author_kind != AuthorKind.CUSTOMER
        ):
            if conversation.customer_read_seq >= message.public_seq:
                seen_entry_id = item.entry.pk
            break
    return {
        "conversation": conversation,
        "items": items,
        "pinned": pinned_items(items),
        "seen_entry_id": seen_entry_id,
    }


def state_context(
    request: HttpRequest, conversation: Conversation, bound: dict[str, forms.Form] | None = None
) -> dict[str, Any]:
    """What the header facts and the side panel need (the region refetched on live updates)."""
    agent = current_agent(request)
    current_tags = sorted(t.name for t in conversation.tags.all())
    forms_: dict[str, forms.Form] = {
        "assign_form": AssignForm(),
        "team_form": TeamForm(initial={"team": conversation.team_id}),
        "status_form": StatusForm(initial={"status": conversation.status}),
        "priority_form": PriorityForm(initial={"priority": conversation.priority}),
        "escalate_form": EscalateForm(),
        "tags_form": TagsForm(initial={"tags": current_tags}),
    }
    forms_.update({k: v for k, v in (bound or {}).items() if k in forms_})
    status_field = forms_["status_form"].fields["status"]
    assert isinstance(status_field, forms.ChoiceField)
    status_field.choices = _status_choices(conversation)
    return {
        "conversation": conversation,
        "contact": conversation.contact,
        "others": other_conversations_of_contact(user=agent, conversation=conversation),
        "agents": [a for a in eligible_agents(conversation) if a.pk != conversation.assignee_id],
        "current_tags": current_tags,
        "can_escalate": conversation.tier < 3,
        "sla_timers": timers_for_conversation(conversation, clock.now()),
        **forms_,
    }


def render_conversation(
    request: HttpRequest,
    conversation: Conversation,
    *,
    status: int = 200,
    bound: dict[str, forms.Form] | None = None,
    prefill: str = "",
) -> HttpResponse:
    """Render the page; ``bound`` replaces the empty forms with ones that carry errors."""
    agent = current_agent(request)
    conversation_record_view(conversation=conversation, actor=current_actor(request))
    bound = bound or {}
    context = {
        **page_context(request, "inbox"),
        **timeline_context(conversation),
        **state_context(request, conversation, bound),
        "macros": _macros(conversation, agent),
        "action_macros": _action_macros(),
        "reply_form": bound.get("reply_form") or ReplyForm(initial={"body": prefill}),
        "note_form": bound.get("note_form") or NoteForm(),
        "can_override_guard": permissions.can_override_guard(agent),
        # For live.js, which puts the other agent's name in place of %(name)s.
        "live_texts": {
            "viewing": _("%(name)s is viewing"),
            "replying": _("%(name)s is replying"),
            "noting": _("%(name)s is writing a note"),
        },
    }
    return TemplateResponse(request, "workspace/conversation.html", context, status=status)


@require_GET
@agent_required
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    prefill = ""
    macro_id = request.GET.get("macro", "")
    if macro_id.isdigit():
        # The no-JavaScript way to use a macro: reload with it in the reply box.
        macro = Macro.objects.filter(pk=int(macro_id)).first()
        if macro is not None:
            prefill = macro_render(
                macro=macro, conversation=conversation, agent=current_agent(request)
            )
    return render_conversation(request, conversation, prefill=prefill)


@require_GET
@agent_required
def conversation_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the timeline region, for the live page to swap in (no audit row: the page that
    asks for it recorded the read when it opened)."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    return TemplateResponse(request, "workspace/_timeline.html", timeline_context(conversation))


@require_GET
@agent_required
def conversation_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the header facts and the side panel, for the live page to swap in."""
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    return TemplateResponse(
        request, "workspace/conversation_state.html", state_context(request, conversation)
    )


@require_GET
@agent_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    conversation = conversation_get_for_agent(user=current_agent(request), pk=pk)
    attachment = Attachment.objects.filter(
        pk=attachment_pk, message__conversation=conversation
    ).first()
    if attachment is None:
        raise Http404
    attachment_record_download(attachment=attachment, actor=current_actor(request))
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
