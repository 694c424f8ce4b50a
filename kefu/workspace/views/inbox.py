"""The inbox: views, filters, search, sort and keyset pages of conversations."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.accounts import permissions
from kefu.conversations.models import REFERENCE_PREFIX, Conversation, parse_reference
from kefu.conversations.selectors import (
    InboxFilters,
    conversation_get_for_agent,
    conversation_list_for_agent,
)
from kefu.core.errors import NotFound, ValidationFailed
from kefu.workspace.access import agent_required, current_agent, page_context
from kefu.workspace.forms import VIEW_LABELS, InboxFilterForm

PAGE_SIZE = 25
FILTER_FIELDS = ("status", "priority", "channel", "tier", "language", "tag", "team")


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
    user = current_agent(request)
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
        jump = _jump_to_reference(request, data["q"])
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
    context = {
        **page_context(request, "inbox"),
        "form": form,
        "checkbox_fields": [
            form[name] for name in ("status", "priority", "channel", "tier", "language")
        ],
        "rows": rows,
        "next_cursor": next_cursor,
        "error": error,
        "view": view,
        "view_label": VIEW_LABELS.get(view, ""),
        "views": views,
        "filtered": any(request.GET.getlist(k) for k in (*FILTER_FIELDS, "q")),
        # Without JavaScript the filter box starts closed unless a filter is in use.
        "filters_open": bool(error) or any(request.GET.getlist(k) for k in FILTER_FIELDS),
    }
    return TemplateResponse(request, "workspace/inbox.html", context, status=400 if error else 200)
