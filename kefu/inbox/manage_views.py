"""The backoffice's inbound page (admins only): failed channel events, recent ones, Replay.

Mounted at /agent/manage/inbound/ by kefu.backoffice.urls; it follows the backoffice's house
style and helpers (layout, section nav, flash messages)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.views.common import act_and_redirect, page_context
from kefu.core.errors import NotFound
from kefu.inbox import inbound, selectors

SECTION = "inbound"
LIST_URL = "backoffice:inbound:list"


@login_required
@require_GET
def inbound_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    context = page_context(
        me,
        SECTION,
        failed=selectors.inbound_failed_list(viewer=me),
        recent=selectors.inbound_recent_list(viewer=me),
    )
    return render(request, "inbox/manage_inbound.html", context)


@login_required
@require_POST
def inbound_replay(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    try:
        event = selectors.inbound_event_get(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    return act_and_redirect(
        request,
        lambda: inbound.inbound_replay(event=event, actor=actor_for(request, me)),
        success=_("Event %(id)s was queued again.") % {"id": event.pk},
        to=LIST_URL,
    )
