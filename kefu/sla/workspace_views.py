"""A staff member's own SLA alerts: the list and "mark all read" (issue 9)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kefu.core import clock
from kefu.sla import selectors, services
from kefu.sla.display import deadline
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


@never_cache
@require_GET
@agent_required
def alerts(request: HttpRequest) -> HttpResponse:
    user = current_agent(request)
    now = clock.now()
    context = {
        **page_context(request, "alerts"),
        # Each alert with its conversation's deadline as it is now (time left, or overdue).
        "alerts": [
            (alert, deadline(alert.conversation.sla_due_at, now))
            for alert in selectors.alerts_for_user(user.pk)
        ],
    }
    return TemplateResponse(request, "sla/alerts.html", context)


@require_POST
@agent_required
def alerts_mark_read(request: HttpRequest) -> HttpResponse:
    user = current_agent(request)
    count = services.sla_alerts_mark_read(user=user, actor=current_actor(request))
    messages.success(
        request,
        ngettext("%(count)d alert marked read.", "%(count)d alerts marked read.", count)
        % {"count": count},
    )
    return redirect("agent_alerts:list")
