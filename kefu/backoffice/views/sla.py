"""SLA policies (list, create, edit) and a calendar's holidays, make-up days and teams."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts.models import Team
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.sla_forms import (
    CalendarExceptionForm,
    HolidayImportForm,
    SlaPolicyForm,
    TeamCalendarForm,
)
from kefu.backoffice.views.common import bind_form, form_page, page_context
from kefu.core.errors import KefuError, NotFound
from kefu.core.forms import add_service_error
from kefu.sla import services
from kefu.sla.models import CalendarException, SlaPolicy, TeamCalendar


@login_required
@require_GET
def sla_policy_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    policies = SlaPolicy.objects.select_related("calendar").order_by("position", "id")
    return render(
        request, "backoffice/sla_policy_list.html", page_context(me, "sla", policies=policies)
    )


def _policy_form(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    me = manager_or_404(request)
    initial = SlaPolicyForm.initial_for(policy) if policy is not None else None
    form = bind_form(request, SlaPolicyForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = services.policy_save(policy=policy, actor=actor_for(request, me), **data)
        return _("Policy “%(name)s” saved.") % {"name": saved.name}

    return form_page(
        request,
        form,
        save,
        success_url="backoffice:sla_policy_list",
        template="backoffice/sla_policy_form.html",
        context=page_context(me, "sla", form=form, policy=policy),
    )


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    manager_or_404(request)
    policy = SlaPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise NotFound()
    return _policy_form(request, policy)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_exceptions(request: HttpRequest, pk: int) -> HttpResponse:
    """One calendar's dated exceptions: add or replace one, delete one, import a file, and
    choose the teams that work to it. Every POST names its ``action``."""
    me = manager_or_404(request)
    calendar = selectors.calendar_get(viewer=me, pk=pk)
    actor = actor_for(request, me)
    here = redirect("backoffice:calendar_exceptions", pk=calendar.pk)
    team_ids = list(
        TeamCalendar.objects.filter(calendar=calendar).values_list("team_id", flat=True)
    )
    action = request.POST.get("action") if request.method == "POST" else None
    add_form = CalendarExceptionForm(request.POST if action == "add" else None)
    import_form = HolidayImportForm(
        request.POST if action == "import" else None,
        request.FILES if action == "import" else None,
    )
    teams_form = TeamCalendarForm(
        request.POST if action == "teams" else None, initial={"teams": team_ids}
    )
    try:
        if action == "add" and add_form.is_valid():
            data = add_form.cleaned_data
            services.calendar_exception_save(
                calendar=calendar,
                day=data["date"],
                kind=data["kind"],
                hours=data["hours"],
                name=data["name"],
                actor=actor,
            )
            messages.success(request, _("Date saved."))
            return here
        if action == "delete":
            row = CalendarException.objects.filter(
                calendar=calendar, pk=request.POST.get("exception") or 0
            ).first()
            if row is not None:
                services.calendar_exception_delete(exception=row, actor=actor)
                messages.success(request, _("Date removed."))
            return here
        if action == "import" and import_form.is_valid():
            upload = import_form.cleaned_data["file"]
            count = services.calendar_import_exceptions(
                calendar=calendar, content=upload.read(2_000_000), actor=actor
            )
            messages.success(request, _("%(count)d dates imported.") % {"count": count})
            return here
        if action == "teams" and teams_form.is_valid():
            chosen = set(teams_form.cleaned_data["teams"])
            for team in Team.objects.all():
                if team in chosen and team.pk not in team_ids:
                    services.team_calendar_set(team=team, calendar=calendar, actor=actor)
                elif team not in chosen and team.pk in team_ids:
                    services.team_calendar_set(team=team, calendar=None, actor=actor)
            messages.success(request, _("Teams saved."))
            return here
    except KefuError as exc:
        form = {"add": add_form, "import": import_form, "teams": teams_form}.get(action or "")
        if form is not None:
            add_service_error(form, exc)
        else:
            messages.error(request, exc.message)
    rows = CalendarException.objects.filter(calendar=calendar).order_by("date")
    return render(
        request,
        "backoffice/calendar_exceptions.html",
        page_context(
            me,
            "calendars",
            calendar=calendar,
            rows=rows,
            add_form=add_form,
            import_form=import_form,
            teams_form=teams_form,
        ),
    )
