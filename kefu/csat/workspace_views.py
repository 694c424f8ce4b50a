"""Supervisors' follow-up tasks after low ratings: the list, assign, complete with a note."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts import permissions
from kefu.accounts.models import Role, User
from kefu.core.errors import KefuError
from kefu.csat import selectors, services
from kefu.csat.forms import FollowUpCompleteForm
from kefu.csat.models import FollowUpStatus
from kefu.workspace.access import agent_required, current_actor, current_agent, page_context


def _require_supervisor(request: HttpRequest) -> User:
    user = current_agent(request)
    if not permissions.sees_all(user):
        raise Http404
    return user


@never_cache
@require_GET
@agent_required
def followups(request: HttpRequest) -> HttpResponse:
    user = _require_supervisor(request)
    done = request.GET.get("status") == FollowUpStatus.DONE
    tasks = selectors.followups_for_supervisor(
        user=user, status=FollowUpStatus.DONE if done else FollowUpStatus.OPEN
    )[:200]
    context = {
        **page_context(request, "followups"),
        "tasks": tasks,
        "done": done,
        "complete_form": FollowUpCompleteForm(),
        "supervisors": User.objects.filter(role__in=(Role.SUPERVISOR, Role.ADMIN), is_active=True),
        "me": user,
    }
    return TemplateResponse(request, "csat/followups.html", context)


@require_POST
@agent_required
def followup_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_supervisor(request)
    task = selectors.followup_get_for_supervisor(user=user, pk=pk)
    raw = request.POST.get("assignee", "")
    assignee = None
    if raw:
        assignee = User.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
        if assignee is None:
            messages.error(request, _("Choose a supervisor."))
            return redirect("agent_csat:followups")
    try:
        services.followup_assign(task=task, assignee=assignee, actor=current_actor(request))
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The task was assigned."))
    return redirect("agent_csat:followups")


@require_POST
@agent_required
def followup_complete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_supervisor(request)
    task = selectors.followup_get_for_supervisor(user=user, pk=pk)
    form = FollowUpCompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you did."))
        return redirect("agent_csat:followups")
    try:
        services.followup_complete(
            task=task, note=form.cleaned_data["note"], actor=current_actor(request)
        )
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The task is done."))
    return redirect("agent_csat:followups")
