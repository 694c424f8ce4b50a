"""Business calendars (service hours): list, create, edit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.forms import BusinessCalendarForm
from kefu.backoffice.views.common import bind_form, form_page, page_context
from kefu.sla import services
from kefu.sla.hours import DAYS, HoursError, describe
from kefu.sla.models import BusinessCalendar

GENERAL_FIELDS = ("name", "timezone", "is_default", "always_open")


def _summary(calendar: BusinessCalendar) -> str:
    try:
        return describe(calendar.spec(), get_language() or "en")
    except HoursError:
        return ""


@login_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    rows = [(calendar, _summary(calendar)) for calendar in selectors.calendar_list(viewer=me)]
    return render(
        request, "backoffice/calendar_list.html", page_context(me, "calendars", rows=rows)
    )


def _calendar_form(request: HttpRequest, calendar: BusinessCalendar | None) -> HttpResponse:
    me = manager_or_404(request)
    initial = BusinessCalendarForm.initial_for(calendar) if calendar is not None else None
    if initial is None:
        initial = {"timezone": "Asia/Shanghai", "is_default": False}
    form = bind_form(request, BusinessCalendarForm, initial)

    def save(data: dict[str, Any]) -> str:
        saved = services.calendar_save(
            calendar=calendar,
            name=data["name"],
            timezone=data["timezone"],
            always_open=data["always_open"],
            weekly_hours=form.weekly_hours(),
            is_default=data["is_default"],
            actor=actor_for(request, me),
        )
        return _("Calendar “%(name)s” saved.") % {"name": saved.name}

    return form_page(
        request,
        form,
        save,
        success_url="backoffice:calendar_list",
        template="backoffice/calendar_form.html",
        context=page_context(
            me,
            "calendars",
            form=form,
            calendar=calendar,
            general_fields=[form[name] for name in GENERAL_FIELDS],
            day_fields=[form[day] for day in DAYS],
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def calendar_create(request: HttpRequest) -> HttpResponse:
    return _calendar_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = selectors.calendar_get(viewer=manager_or_404(request), pk=pk)
    return _calendar_form(request, calendar)
