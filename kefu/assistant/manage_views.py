"""Hand-off routes in the backoffice (supervisors and admins): list, add, edit, delete.

Which team gets a chat the assistant hands to people is workspace policy (``HandoffRoute``);
these pages follow the backoffice's house style (its layout, section nav, form page and flash
messages). Writes go through the audited services in kefu.assistant.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
from kefu.assistant import services
from kefu.assistant.agent_assist import INTENT_LABELS
from kefu.assistant.intents import INTENTS
from kefu.assistant.models import ANY, HandoffRoute
from kefu.backoffice.access import actor_for
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context

SECTION = "handoff_routes"
LIST_URL = "backoffice:handoff_routes:list"
LANGUAGE_LABELS = {
    ANY: gettext_lazy("Any language (*)"),
    "en": gettext_lazy("English (en)"),
    "zh-hans": gettext_lazy("Simplified Chinese (zh-hans)"),
}


def intent_label(intent: str) -> str:
    if intent == ANY:
        return _("Any intent (*)")
    return f"{INTENT_LABELS.get(intent, intent)} ({intent})"


def language_label(language: str) -> str:
    return str(LANGUAGE_LABELS.get(language, language))


class HandoffRouteForm(forms.Form):
    intent = forms.ChoiceField(label=gettext_lazy("Intent"))
    language = forms.ChoiceField(label=gettext_lazy("Language"))
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.none(),
        help_text=gettext_lazy("The team that gets these chats when the assistant hands over."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intent"].choices = [(ANY, intent_label(ANY))] + [  # type: ignore[attr-defined]
            (name, intent_label(name)) for name in INTENTS
        ]
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            (code, language_label(code)) for code in services.ROUTE_LANGUAGES
        ]
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]


def _manager_or_404(request: HttpRequest) -> User:
    """The signed-in supervisor or admin; anyone else gets a 404."""
    user = request.user
    if not isinstance(user, User) or not permissions.can_manage_workspace(user):
        raise Http404
    return user


def _get(pk: int) -> HandoffRoute:
    route = HandoffRoute.objects.select_related("team").filter(pk=pk).first()
    if route is None:
        raise Http404
    return route


@login_required
@require_GET
def route_list(request: HttpRequest) -> HttpResponse:
    me = _manager_or_404(request)
    routes = services.handoff_route_list()
    rows = [
        {"route": r, "intent": intent_label(r.intent), "language": language_label(r.language)}
        for r in routes
    ]
    matrix = [
        {"intent": intent_label(intent), "cells": cells}
        for intent, cells in services.handoff_route_matrix(routes)
    ]
    languages = [language_label(code) for code in services.ROUTE_LANGUAGES if code != ANY]
    return render(
        request,
        "assistant/manage_list.html",
        page_context(me, SECTION, rows=rows, matrix=matrix, languages=languages),
    )


def _form(request: HttpRequest, route: HandoffRoute | None) -> HttpResponse:
    me = _manager_or_404(request)
    initial: dict[str, Any] = {"intent": ANY, "language": ANY}
    if route is not None:
        initial = {"intent": route.intent, "language": route.language, "team": route.team_id}
    form = bind_form(request, HandoffRouteForm, initial)

    def save(data: dict[str, Any]) -> str:
        values = {"intent": data["intent"], "language": data["language"], "team": data["team"]}
        actor = actor_for(request, me)
        saved = services.handoff_route_save(route=route, **values, actor=actor)
        return _("Hand-off route saved: %(intent)s, %(language)s → %(team)s.") % {
            "intent": intent_label(saved.intent),
            "language": language_label(saved.language),
            "team": saved.team.name,
        }

    return form_page(
        request,
        form,
        save,
        success_url=LIST_URL,
        template="assistant/manage_form.html",
        context=page_context(me, SECTION, form=form, route=route),
    )


@login_required
@require_http_methods(["GET", "POST"])
def route_create(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def route_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_or_404(request)
    return _form(request, _get(pk))


@login_required
@require_POST
def route_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = _manager_or_404(request)
    route = _get(pk)
    return act_and_redirect(
        request,
        lambda: services.handoff_route_delete(route=route, actor=actor_for(request, me)),
        success=_("Hand-off route deleted: %(intent)s, %(language)s.")
        % {"intent": intent_label(route.intent), "language": language_label(route.language)},
        to=LIST_URL,
    )
