"""The audit log: newest first, filtered by action and object, keyset-paginated."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kefu.audit.models import AuditEntry
from kefu.backoffice import selectors
from kefu.backoffice.access import manager_or_404
from kefu.backoffice.forms import AuditFilterForm
from kefu.backoffice.views.common import page_context
from kefu.core.errors import ValidationFailed
from kefu.core.pagination import Page


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    cursor = request.GET.get("cursor") or None
    kwargs = {
        name: filters.get(name, "").strip() for name in ("action", "object_type", "object_id")
    }
    page: Page[AuditEntry]
    try:
        page = selectors.audit_page(viewer=me, cursor=cursor, **kwargs)
    except ValidationFailed:
        # A stale or hand-edited cursor: start again from the newest entry.
        cursor = None
        page = selectors.audit_page(viewer=me, **kwargs)
    names = selectors.audit_actor_names(page.items)
    rows = [
        (
            entry,
            names.get(entry.actor_ref, ""),
            json.dumps(entry.data, ensure_ascii=False, sort_keys=True) if entry.data else "",
        )
        for entry in page.items
    ]
    next_url = ""
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = "?" + params.urlencode()
    first_url = ""
    if cursor:
        params = request.GET.copy()
        params.pop("cursor", None)
        first_url = "?" + params.urlencode()
    return render(
        request,
        "backoffice/audit_list.html",
        page_context(me, "audit", form=form, rows=rows, next_url=next_url, first_url=first_url),
    )
