"""Teams: list with member counts, create, edit name / languages / skills."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts import services
from kefu.accounts.models import Team
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import TeamForm
from kefu.backoffice.views.common import page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    teams = selectors.team_list(viewer=me)
    return render(request, "backoffice/team_list.html", page_context(me, "teams", teams=teams))


def _team_form(request: HttpRequest, team: Team | None) -> HttpResponse:
    me = manager_or_404(request)
    if request.method == "POST":
        form = TeamForm(request.POST)
    elif team is not None:
        form = TeamForm(
            initial={
                "name": team.name,
                "languages": team.languages,
                "skills": ", ".join(team.skills),
            }
        )
    else:
        form = TeamForm()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.team_save(
                team=team,
                name=data["name"],
                languages=data["languages"],
                skills=data["skills"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": saved.name})
            return redirect("backoffice:team_list")
    return render(
        request, "backoffice/team_form.html", page_context(me, "teams", form=form, team=team)
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
