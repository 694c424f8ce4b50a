"""Writes for business calendars. Supervisors and admins manage them."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, PermissionDenied
from kefu.core.validation import field_error as _field_error
from kefu.sla.hours import HoursError, parse_weekly_hours, weekly_hours_json
from kefu.sla.models import BusinessCalendar


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


def _require_manager(actor: Actor) -> None:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))


def calendar_save(
    *,
    calendar: BusinessCalendar | None = None,
    name: str,
    timezone: str,
    always_open: bool,
    weekly_hours: Mapping[str, Any],
    is_default: bool,
    actor: Actor,
) -> BusinessCalendar:
    """Create a business calendar (calendar=None) or update one.

    ``weekly_hours`` is ``{"mon": [["09:00", "21:00"]], ...}``; a missing day is closed. Errors
    in it are reported under the day's key (``"mon"`` ...). The first (or only) calendar is the
    default whatever ``is_default`` says; making another one the default takes the flag from the
    previous one (all rows locked), and the default cannot give up the flag any other way.
    """
    _require_manager(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _field_error("name", _("Use a name of 1 to 100 characters."))
    timezone = (timezone or "").strip()
    if timezone not in _timezones():
        raise _field_error("timezone", _("Choose a timezone from the list."))
    try:
        week = parse_weekly_hours(weekly_hours)
    except HoursError as exc:
        raise _field_error(exc.day or "weekly_hours", exc.message) from exc
    if not always_open and not any(week):
        raise _field_error(
            "weekly_hours", _("Enter the hours for at least one day, or choose open 24/7.")
        )
    clash = BusinessCalendar.objects.filter(name__iexact=name)
    if calendar is not None:
        clash = clash.exclude(pk=calendar.pk)
    if clash.exists():
        raise Conflict(
            _("A calendar with this name already exists."),
            fields={"name": [_("A calendar with this name already exists.")]},
        )
    with transaction.atomic():
        # Lock every calendar: the default flag moves between rows and exactly one must hold it.
        rows = list(BusinessCalendar.objects.select_for_update().order_by("pk"))
        current_default = next((c for c in rows if c.is_default), None)
        created = calendar is None
        if calendar is not None:
            calendar = next((c for c in rows if c.pk == calendar.pk), None) or calendar
        if current_default is None or (current_default == calendar and len(rows) == 1):
            is_default = True
        elif current_default == calendar and not is_default:
            raise _field_error(
                "is_default",
                _("Make another calendar the default instead; one must always be."),
            )
        if is_default and current_default is not None and current_default != calendar:
            current_default.is_default = False
            current_default.save(update_fields=["is_default", "updated_at"])
            audit_record(
                actor=actor,
                action="calendar.updated",
                object_type="calendar",
                object_id=current_default.pk,
                data={"is_default": False},
            )
        calendar = calendar or BusinessCalendar()
        calendar.name = name
        calendar.timezone = timezone
        calendar.always_open = bool(always_open)
        calendar.weekly_hours = weekly_hours_json(week)
        calendar.is_default = is_default
        calendar.save()
        audit_record(
            actor=actor,
            action="calendar.created" if created else "calendar.updated",
            object_type="calendar",
            object_id=calendar.pk,
            data={
                "name": name,
                "timezone": timezone,
                "always_open": calendar.always_open,
                "weekly_hours": calendar.weekly_hours,
                "is_default": is_default,
            },
        )
    return calendar
