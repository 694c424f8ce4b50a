"""Staff users: list, create, edit role / teams / name / active flag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts import permissions, services
from kefu.accounts.models import User
from kefu.accounts.twofactor import enrolled_user_ids, two_factor_enabled
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import StaffCreateForm, StaffEditForm
from kefu.backoffice.views.common import bind_form, form_page, page_context


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    staff = list(selectors.staff_list(viewer=me))
    rows = [(user, permissions.can_grant_role(me, user.role)) for user in staff]
    enrolled = enrolled_user_ids(user.pk for user in staff)  # two-factor sign-in on
    return render(
        request,
        "backoffice/staff_list.html",
        page_context(me, "staff", rows=rows, enrolled=enrolled),
    )


def _staff_form_page(
    request: HttpRequest,
    me: User,
    form: forms.Form,
    save: Callable[[dict[str, Any]], str],
    *,
    target: User | None,
) -> HttpResponse:
    two_factor_on = target is not None and two_factor_enabled(target)
    return form_page(
        request,
        form,
        save,
        success_url="backoffice:staff_list",
        template="backoffice/staff_form.html",
        context=page_context(me, "staff", form=form, target=target, two_factor_on=two_factor_on),
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    form = bind_form(request, StaffCreateForm, manager=me)

    def save(data: dict[str, Any]) -> str:
        user = services.staff_create(
            email=data["email"],
            display_name=data["display_name"],
            role=data["role"],
            password=data["password"],
            team_ids=[team.pk for team in data["teams"]],
            language=data["language"],
            actor=actor_for(request, me),
        )
        return _("Staff user %(email)s created.") % {"email": user.email}

    return _staff_form_page(request, me, form, save, target=None)


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
                "chat_capacity": target.chat_capacity,
                "kb_role": target.kb_role,
            },
        )

    def save(data: dict[str, Any]) -> str:
        services.staff_update(
            user=target,
            display_name=data["display_name"],
            role=data["role"],
            team_ids=[team.pk for team in data["teams"]],
            is_active=data["is_active"],
            chat_capacity=data["chat_capacity"],
            kb_role=data["kb_role"],
            actor=actor_for(request, me),
        )
        return _("Staff user %(email)s saved.") % {"email": target.email}

    return _staff_form_page(request, me, form, save, target=target)
