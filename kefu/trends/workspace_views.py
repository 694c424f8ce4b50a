"""Spike alerts in the agent workspace (supervisors and admins): the list, one alert with its
conversations and a pre-filled incident, acknowledge, and open the incident."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error
from kefu.trends import keys as trend_keys
from kefu.trends import selectors, services
from kefu.trends.forms import IncidentFromAlertForm
from kefu.trends.models import TrendAlert
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


def _manager(request: HttpRequest) -> User:
    user = current_agent(request)
    if not permissions.can_manage_workspace(user):
        raise Http404
    return user


def _row(alert: TrendAlert) -> dict[str, Any]:
    return {"alert": alert, "label": trend_keys.describe_key(alert.key)}


@never_cache
@require_GET
@agent_required
def alerts(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    rows = [_row(a) for a in selectors.alerts_for_manager(viewer=user)]
    context = {**page_context(request, "trends"), "rows": rows}
    return TemplateResponse(request, "trends/alerts.html", context)


def _format_affected(entries: list[dict[str, str]]) -> str:
    return "\n".join(f"{e.get('asset', '')} {e.get('network', '')}".strip() for e in entries)


@never_cache
@require_GET
@agent_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    alert = selectors.alert_get_for_manager(viewer=user, pk=pk)
    return _detail(request, alert, None)


def _detail(
    request: HttpRequest, alert: TrendAlert, form: IncidentFromAlertForm | None
) -> HttpResponse:
    if form is None and alert.incident_id is None:
        suggestion = selectors.incident_suggestion(alert)
        form = IncidentFromAlertForm(
            initial={**suggestion, "affected": _format_affected(suggestion["affected"])}
        )
    context = {
        **page_context(request, "trends"),
        **_row(alert),
        "conversations": selectors.alert_conversations(alert),
        "linkable": len(selectors.alert_conversation_ids(alert)),
        "form": form,
    }
    return TemplateResponse(request, "trends/alert.html", context)


@require_POST
@agent_required
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    alert = selectors.alert_get_for_manager(viewer=user, pk=pk)
    services.trend_alert_acknowledge(alert=alert, actor=current_actor(request))
    messages.success(request, _("Alert acknowledged."))
    return redirect("agent_trends:list")


@require_POST
@agent_required
def alert_open_incident(request: HttpRequest, pk: int) -> HttpResponse:
    from kefu.backoffice.views.incidents import parse_affected

    user = _manager(request)
    alert = selectors.alert_get_for_manager(viewer=user, pk=pk)
    form = IncidentFromAlertForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.trend_alert_open_incident(
                alert=alert,
                title_en=data["title_en"],
                title_zh=data["title_zh"],
                impact=data["impact"],
                affected=parse_affected(data["affected"]),
                body_en=data["body_en"],
                body_zh=data["body_zh"],
                is_public=data["is_public"],
                link_conversations=data["link_conversations"],
                actor=current_actor(request),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Incident opened."))
            return redirect(reverse("backoffice:incident_detail", args=[incident.pk]))
    return _detail(request, alert, form)
