"""Staff users: list, create, edit role / teams / name / active flag."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts import permissions, services
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import StaffCreateForm, StaffEditForm
from kefu.backoffice.views.common import page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    rows = [
        (user, permissions.can_grant_role(me, user.role))
        for user in selectors.staff_list(viewer=me)
    ]
    return render(request, "backoffice/staff_list.html", page_context(me, "staff", rows=rows))


@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    form = StaffCreateForm(request.POST if request.method == "POST" else None, manager=me)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.staff_create(
                email=data["email"],
                display_name=data["display_name"],
                role=data["role"],
                password=data["password"],
                team_ids=[team.pk for team in data["teams"]],
                language=data["language"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Staff user %(email)s created.") % {"email": user.email})
            return redirect("backoffice:staff_list")
    return render(
        request, "backoffice/staff_form.html", page_context(me, "staff", form=form, target=None)
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    target = selectors.staff_get(viewer=me, pk=pk)
    if request.method == "POST":
        form = StaffEditForm(request.POST, manager=me)
    else:
        form = StaffEditForm(
            manager=me,
            initial={
                "display_name": target.display_name,
                "role": target.role,
                "teams": list(target.teams.all()),
                "is_active": target.is_active,
            },
        )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.staff_update(
                user=target,
                display_name=data["display_name"],
                role=data["role"],
                team_ids=[team.pk for team in data["teams"]],
                is_active=data["is_active"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Staff user %(email)s saved.") % {"email": target.email})
            return redirect("backoffice:staff_list")
    return render(
        request, "backoffice/staff_form.html", page_context(me, "staff", form=form, target=target)
    )
