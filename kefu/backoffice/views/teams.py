"""Teams: list with member counts, create, edit name / languages / skills."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts import services
from kefu.accounts.models import Team
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import TeamForm
from kefu.backoffice.views.common import bind_form, form_page, page_context


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    teams = selectors.team_list(viewer=me)
    return render(request, "backoffice/team_list.html", page_context(me, "teams", teams=teams))


def _team_form(request: HttpRequest, team: Team | None) -> HttpResponse:
    me = manager_or_404(request)
    initial = None
    if team is not None:
        initial = {"name": team.name, "languages": team.languages, "skills": ", ".join(team.skills)}
    form = bind_form(request, TeamForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = services.team_save(
            team=team,
            name=data["name"],
            languages=data["languages"],
            skills=data["skills"],
            actor=actor_for(request, me),
        )
        return _("Team “%(name)s” saved.") % {"name": saved.name}

    return form_page(
        request,
        form,
        save,
        success_url="backoffice:team_list",
        template="backoffice/team_form.html",
        context=page_context(me, "teams", form=form, team=team),
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    return _team_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(viewer=manager_or_404(request), pk=pk)
    return _team_form(request, team)
