"""The inbox: views, filters, search, sort and keyset pages of conversations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.accounts import permissions
from kefu.accounts.models import Language
from kefu.contacts.masking import contact_display_name
from kefu.conversations.models import (
    REFERENCE_PREFIX,
    Channel,
    Conversation,
    Priority,
    Status,
    Tier,
    parse_reference,
)
from kefu.conversations.selectors import (
    InboxFilters,
    conversation_get_for_agent,
    conversation_list_for_agent,
)
from kefu.core import clock
from kefu.core.errors import NotFound, ValidationFailed
from kefu.sla.display import Deadline
from kefu.sla.display import deadline as sla_deadline
from kefu.sla.display import paused as sla_paused
from kefu.sla.selectors import paused_left as sla_paused_left
from kefu.workspace.access import agent_required, current_agent, page_context
from kefu.workspace.forms import VIEW_LABELS, InboxFilterForm

PAGE_SIZE = 25
FILTER_FIELDS = ("status", "priority", "channel", "tier", "language", "tag", "team")
CHECKBOX_FIELDS = ("status", "priority", "channel", "tier", "language")


class InboxRow(TypedDict):
    """One conversation of the list with everything the row shows already worked out, so the
    template does no ``get_*_display`` calls, translations or URL reversing per row (a dict:
    the template engine tries a key lookup first, so attributes would cost an exception each)."""

    pk: int
    reference: str
    url: str
    subject: str
    contact: str
    status: str
    status_label: str
    priority: int
    priority_label: str
    tier: int
    tier_label: str
    channel_label: str
    language_label: str
    assignee: str | None
    team: str | None
    tags: list[str]
    security_risk: bool
    last_activity_iso: str
    last_activity: str
    sla: Deadline | None


def _labels(choices: Iterable[tuple[object, object]]) -> dict[object, str]:
    return {value: str(label) for value, label in choices}


def inbox_rows(conversations: list[Conversation]) -> list[InboxRow]:
    """The table's rows, labels translated once per page rather than once per cell."""
    if not conversations:
        return []
    status = _labels(Status.choices)
    priority = _labels(Priority.choices)
    tier = _labels(Tier.choices)
    channel = _labels(Channel.choices)
    language = _labels(Language.choices)
    # Every row links to the same URL pattern: reverse it once and fill in the id.
    url_template = reverse("workspace:conversation", kwargs={"pk": 999999999}).replace(
        "999999999", "{}"
    )
    rows = []
    now = clock.now()
    # Pending conversations have no running deadline (their timers are paused): show the time
    # they will have left when the customer answers (one query, only when the page has any).
    paused_left = sla_paused_left(
        [c.pk for c in conversations if c.status == Status.PENDING and c.sla_due_at is None]
    )
    for c in conversations:
        at = timezone.localtime(c.last_activity_at)  # what the ``date`` filter shows
        rows.append(
            InboxRow(
                pk=c.pk,
                reference=c.reference,
                url=url_template.format(c.pk),
                subject=c.subject,
                contact=contact_display_name(c.contact),
                status=c.status,
                status_label=status.get(c.status, str(c.status)),
                priority=c.priority,
                priority_label=priority.get(c.priority, str(c.priority)),
                tier=c.tier,
                tier_label=tier.get(c.tier, str(c.tier)),
                channel_label=channel.get(c.channel, str(c.channel)),
                language_label=language.get(c.language, c.language),
                assignee=None if c.assignee is None else str(c.assignee),
                team=None if c.team is None else c.team.name,
                tags=[t.name for t in c.tags.all()],
                security_risk=c.security_risk,
                last_activity_iso=at.isoformat(),  # the ``date:"c"`` format
                last_activity=at.strftime("%Y-%m-%d %H:%M"),  # ``date:"Y-m-d H:i"``
                sla=(
                    sla_paused(paused_left[c.pk])
                    if c.pk in paused_left
                    else sla_deadline(c.sla_due_at, now)
                ),
            )
        )
    return rows


def _jump_to_reference(request: HttpRequest, q: str) -> HttpResponse | None:
    """A search for ``KF-000123`` opens that conversation when the agent may see it."""
    if not q.strip().upper().startswith(REFERENCE_PREFIX):
        return None
    pk = parse_reference(q)
    if pk is None:
        return None
    try:
        conversation_get_for_agent(user=current_agent(request), pk=pk)
    except NotFound:
        return None  # the list below then shows no match, revealing nothing
    return redirect("workspace:conversation", pk=pk)


@require_GET
@agent_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox page, or with ``?partial=1`` only its list region (what the live page swaps in
    on ``inbox.changed``), from the same permission-scoped selector and the same filters."""
    user = current_agent(request)
    partial = request.GET.get("partial") == "1"
    form = InboxFilterForm(request.GET, user=user)
    rows: list[Conversation] = []
    next_cursor: str | None = None
    error = ""
    views = [
        (key, label)
        for key, label in VIEW_LABELS.items()
        if key != "all" or permissions.sees_all(user)
    ]
    requested = request.GET.get("view", "")
    view = requested if requested in dict(views) else "mine"  # kept even when a filter is bad
    if form.is_valid():
        data = form.cleaned_data
        view = data["view"]
        jump = None if partial else _jump_to_reference(request, data["q"])
        if jump is not None:
            return jump
        filters = InboxFilters(
            view=view,
            status=data["status"],
            priority=data["priority"],
            channel=data["channel"],
            tier=data["tier"],
            language=data["language"],
            tag=data["tag"] or "",
            team=data["team"].pk if data["team"] else None,
            q=data["q"].strip(),
            sort=data["sort"],
        )
        try:
            page = conversation_list_for_agent(
                user=user, filters=filters, cursor=data["cursor"] or None, limit=PAGE_SIZE
            )
        except ValidationFailed as exc:
            if "cursor" in exc.fields:
                error = _("This page link is no longer valid. Start again from the first page.")
            else:
                error = _("Some filters are not valid. Check them and try again.")
        else:
            rows = page.items
            next_cursor = page.next_cursor
            prefetch_related_objects(rows, "tags")
    elif "cursor" in form.errors:
        error = _("This page link is no longer valid. Start again from the first page.")
    else:
        error = _("Some filters are not valid. Check them and try again.")
    context: dict[str, object] = {
        "form": form,
        "rows": rows,
        "table": inbox_rows(rows),
        "next_cursor": next_cursor,
        "error": error,
    }
    if partial:
        return TemplateResponse(
            request, "workspace/_inbox_list.html", context, status=400 if error else 200
        )
    context |= {
        **page_context(request, "inbox"),
        "checkbox_groups": [form.choice_group(name) for name in CHECKBOX_FIELDS],
        "tag_select": form.choice_group("tag"),
        "team_select": form.choice_group("team"),
        "sort_select": form.choice_group("sort"),
        "view": view,
        "view_label": VIEW_LABELS.get(view, ""),
        "views": views,
        "filtered": any(request.GET.getlist(k) for k in (*FILTER_FIELDS, "q")),
        # Without JavaScript the filter box starts closed unless a filter is in use.
        "filters_open": bool(error) or any(request.GET.getlist(k) for k in FILTER_FIELDS),
    }
    return TemplateResponse(request, "workspace/inbox.html", context, status=400 if error else 200)
