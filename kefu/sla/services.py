"""Writes for business calendars. Supervisors and admins manage them."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, PermissionDenied
from kefu.core.validation import field_error as _field_error
from kefu.sla import importing, timers
from kefu.sla.hours import (
    CalendarSpec,
    HoursError,
    format_time,
    parse_weekly_hours,
    weekly_hours_json,
)
from kefu.sla.models import (
    BusinessCalendar,
    CalendarException,
    SlaPolicy,
    SlaTimer,
    TeamCalendar,
)

if TYPE_CHECKING:
    from kefu.conversations.models import Conversation


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
    Editing a calendar moves the deadlines of the running timers counted in it, in the same
    transaction (``timers.calendar_changed``; paused timers stay paused).
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
        old_hours = None if calendar is None else timers.calendar_spec(calendar)
        calendar = calendar or BusinessCalendar()
        calendar.name = name
        calendar.timezone = timezone
        calendar.always_open = bool(always_open)
        calendar.weekly_hours = weekly_hours_json(week)
        calendar.is_default = is_default
        calendar.save()
        if old_hours is not None:  # running deadlines follow the new hours
            timers.calendar_changed(calendar.pk, old_hours, clock.now())
        if is_default and current_default != calendar:
            # The default moved here: timers counted in the old default (or, before any
            # calendar existed, in 24/7) for conversations without a team calendar follow it.
            without_team_calendar = SlaTimer.objects.exclude(
                conversation__team__sla_calendar__isnull=False
            )
            old_default = None if current_default is None else current_default.pk
            timers.calendars_reassigned(
                without_team_calendar.filter(
                    Q(calendar_id=old_default) if old_default else Q(calendar__isnull=True)
                ),
                clock.now(),
            )
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


# --- the hook the conversation services call ---------------------------------------------------


def sla_on_event(*, conversation: Conversation, event: str, at: datetime | None = None) -> None:
    """Update the conversation's SLA timers for ``event`` (one of kefu.sla.timers.EVENTS:
    ``created``, ``staff_replied``, ``customer_replied``, ``status_changed`` (read from
    ``conversation.status``, already saved), ``attributes_changed`` (priority, tier, team or
    channel)). Call it inside the conversation service's transaction, holding the row lock;
    it writes timers and ``Conversation.sla_due_at`` only, never audit rows (the service's own
    row records the change that moved the timers)."""
    timers.on_event(conversation, event, at or clock.now())


# --- dated exceptions, team calendars, import ------------------------------------------------


def _hours_json(kind: str, hours: Any, field: str) -> list[list[str]]:
    if kind == CalendarException.Kind.CLOSED:
        return []
    try:
        week = parse_weekly_hours({"mon": hours or []})
    except HoursError as exc:
        raise _field_error(field, exc.message) from exc
    if not week[0]:
        raise _field_error(field, _("An open day needs its hours, for example 09:00–18:00."))
    return weekly_hours_json(week)["mon"]


def _locked_hours(calendar: BusinessCalendar) -> CalendarSpec:
    """Lock the calendar row and return its hours as they are before an edit (the running
    timers' time left is measured in them; ``timers.calendar_changed``)."""
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    return timers.calendar_spec(row)


def _sync_exceptions(calendar: BusinessCalendar) -> None:
    """Copy the calendar's exception rows into ``exception_hours`` (one-query reads)."""
    calendar.exception_hours = {
        row.date.isoformat(): row.hours
        for row in CalendarException.objects.filter(calendar=calendar).order_by("date")
    }
    calendar.save(update_fields=["exception_hours", "updated_at"])


def calendar_exception_save(
    *,
    calendar: BusinessCalendar,
    day: date,
    kind: str,
    hours: Any = (),
    name: str = "",
    actor: Actor,
) -> CalendarException:
    """Close ``day`` (a holiday) or open it with ``hours`` (a make-up working day), replacing
    any exception the calendar already had for that date."""
    _require_manager(actor)
    if kind not in CalendarException.Kind.values:
        raise _field_error("kind", _("Choose closed or open."))
    stored = _hours_json(kind, list(hours or []), "hours")
    name = (name or "").strip()[:100]
    with transaction.atomic():
        old_hours = _locked_hours(calendar)
        row, _created = CalendarException.objects.update_or_create(
            calendar=calendar, date=day, defaults={"kind": kind, "hours": stored, "name": name}
        )
        _sync_exceptions(calendar)
        timers.calendar_changed(calendar.pk, old_hours, clock.now())
        audit_record(
            actor=actor,
            action="calendar.exception_saved",
            object_type="calendar",
            object_id=calendar.pk,
            data={"date": day.isoformat(), "kind": kind, "hours": stored, "name": name},
        )
    return row


def calendar_exception_delete(*, exception: CalendarException, actor: Actor) -> None:
    _require_manager(actor)
    with transaction.atomic():
        old_hours = _locked_hours(exception.calendar)
        audit_record(
            actor=actor,
            action="calendar.exception_deleted",
            object_type="calendar",
            object_id=exception.calendar_id,
            data={"date": exception.date.isoformat()},
        )
        exception.delete()
        _sync_exceptions(exception.calendar)
        timers.calendar_changed(exception.calendar_id, old_hours, clock.now())


def calendar_import_exceptions(
    *, calendar: BusinessCalendar, content: bytes, actor: Actor, trusted: bool = False
) -> int:
    """Import dated exceptions from CSV or iCalendar (kefu.sla.importing describes both);
    returns how many dates were written. All or nothing: a bad line imports nothing.
    ``trusted`` is for the console command (``kefu sla import-holidays``) only: the operator
    there is not a signed-in manager."""
    if not (trusted and actor.kind == ActorKind.SYSTEM):
        _require_manager(actor)
    try:
        rows = importing.parse(content)
    except importing.ImportFailed as exc:
        raise _field_error("file", str(exc)) from exc
    with transaction.atomic():
        old_hours = _locked_hours(calendar)
        usual = next((r for r in parse_weekly_hours(calendar.weekly_hours) if r), ())
        usual_json = [[format_time(a), format_time(b)] for a, b in usual] or [["09:00", "18:00"]]
        for row in rows:
            hours = usual_json if row.hours is None else row.hours
            stored = _hours_json(row.kind, hours, "file")
            CalendarException.objects.update_or_create(
                calendar=calendar,
                date=row.day,
                defaults={"kind": row.kind, "hours": stored, "name": row.name[:100]},
            )
        _sync_exceptions(calendar)
        timers.calendar_changed(calendar.pk, old_hours, clock.now())
        audit_record(
            actor=actor,
            action="calendar.exceptions_imported",
            object_type="calendar",
            object_id=calendar.pk,
            data={"count": len(rows), "dates": [r.day.isoformat() for r in rows][:400]},
        )
    return len(rows)


def team_calendar_set(*, team: Team, calendar: BusinessCalendar | None, actor: Actor) -> None:
    """Make ``team`` work to ``calendar`` (None: the default calendar). The running and
    paused business-time timers of the team's conversations move to it in the same
    transaction, each keeping the business time it has used (``timers.calendars_reassigned``;
    timers of policies that name their own calendar do not move)."""
    _require_manager(actor)
    with transaction.atomic():
        if calendar is None:
            TeamCalendar.objects.filter(team=team).delete()
        else:
            TeamCalendar.objects.update_or_create(team=team, defaults={"calendar": calendar})
        timers.calendars_reassigned(
            SlaTimer.objects.filter(conversation__team_id=team.pk), clock.now()
        )
        audit_record(
            actor=actor,
            action="team.calendar_set",
            object_type="team",
            object_id=team.pk,
            data={"calendar": calendar.pk if calendar else None},
        )


# --- policies ------------------------------------------------------------------------------


def _choices(value: Any, allowed: Any, field: str, cast: type = str) -> list[Any]:
    try:
        items = [cast(v) for v in (value or [])]
    except (TypeError, ValueError) as exc:
        raise _field_error(field, _("Choose from the list.")) from exc
    if any(v not in allowed for v in items):
        raise _field_error(field, _("Choose from the list."))
    return sorted(set(items))


def _minutes(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError) as exc:
        raise _field_error(field, _("Enter a whole number of minutes.")) from exc
    if not 1 <= minutes <= 60 * 24 * 365:
        raise _field_error(field, _("Enter between 1 minute and 1 year."))
    return minutes


def policy_save(
    *,
    policy: SlaPolicy | None = None,
    name: str,
    position: int = 0,
    active: bool = True,
    priorities: Any = (),
    tiers: Any = (),
    channels: Any = (),
    vip_tiers: Any = (),
    categories: Any = (),
    conversation_types: Any = (),
    first_response_minutes: Any = None,
    next_response_minutes: Any = None,
    resolution_minutes: Any = None,
    business_time: bool = True,
    calendar: BusinessCalendar | None = None,
    warn_percent: int = 80,
    escalate_on_breach: bool = False,
    actor: Actor,
) -> SlaPolicy:
    """Create (policy=None) or update an SLA policy. Updating re-matches the conversations the
    policy times, in the same transaction (``timers.policy_changed``): their open timers take
    the targets, calendar and warning of the policy each matches now (usually this one; the
    next match when it was deactivated or its conditions no longer hold), keeping the business
    time each has used; paused timers stay paused. Conversations timed by other policies are
    re-matched when they next change priority, tier, team or channel."""
    from kefu.contacts.models import VipTier
    from kefu.conversations.models import Category, Channel, ConversationType, Priority, Tier

    _require_manager(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _field_error("name", _("Use a name of 1 to 100 characters."))
    clash = SlaPolicy.objects.filter(name__iexact=name)
    if policy is not None:
        clash = clash.exclude(pk=policy.pk)
    if clash.exists():
        raise Conflict(
            _("A policy with this name already exists."),
            fields={"name": [_("A policy with this name already exists.")]},
        )
    try:
        warn = int(warn_percent)
    except (TypeError, ValueError) as exc:
        raise _field_error("warn_percent", _("Enter a percentage from 1 to 99.")) from exc
    if not 1 <= warn <= 99:
        raise _field_error("warn_percent", _("Enter a percentage from 1 to 99."))
    values = {
        "name": name,
        "position": max(0, int(position or 0)),
        "active": bool(active),
        "priorities": _choices(priorities, Priority.values, "priorities", int),
        "tiers": _choices(tiers, Tier.values, "tiers", int),
        "channels": _choices(channels, Channel.values, "channels"),
        "vip_tiers": _choices(vip_tiers, VipTier.values, "vip_tiers", int),
        "categories": _choices(categories, Category.values, "categories"),
        "conversation_types": _choices(
            conversation_types, ConversationType.values, "conversation_types"
        ),
        "first_response_minutes": _minutes(first_response_minutes, "first_response_minutes"),
        "next_response_minutes": _minutes(next_response_minutes, "next_response_minutes"),
        "resolution_minutes": _minutes(resolution_minutes, "resolution_minutes"),
        "business_time": bool(business_time),
        "warn_percent": warn,
        "escalate_on_breach": bool(escalate_on_breach),
    }
    created = policy is None
    with transaction.atomic():
        policy = policy or SlaPolicy()
        for key, value in values.items():
            setattr(policy, key, value)
        policy.calendar = calendar
        policy.save()
        if not created:
            timers.policy_changed(policy, clock.now())
        audit_record(
            actor=actor,
            action="sla_policy.created" if created else "sla_policy.updated",
            object_type="sla_policy",
            object_id=policy.pk,
            data={**values, "calendar": calendar.pk if calendar else None},
        )
    return policy


def policy_delete(*, policy: SlaPolicy, actor: Actor) -> None:
    """Delete a policy. The conversations it timed are re-matched in the same transaction
    (``timers.policy_deleted``): their open timers move to the policy each matches now,
    keeping the business time used, or are cancelled when none matches (breached timers stay
    breached)."""
    _require_manager(actor)
    with transaction.atomic():
        timed = set(
            SlaTimer.objects.filter(timers.OPEN_Q, policy_id=policy.pk).values_list(
                "conversation_id", flat=True
            )
        )
        audit_record(
            actor=actor,
            action="sla_policy.deleted",
            object_type="sla_policy",
            object_id=policy.pk,
            data={"name": policy.name, "conversations": len(timed)},
        )
        policy.delete()
        timers.policy_deleted(timed, clock.now())


def sla_alerts_mark_read(*, user: User, actor: Actor) -> int:
    """Mark every unread SLA alert of ``user`` read; only that user may. Returns how many."""
    from kefu.sla.models import SlaAlert

    if actor.user_id != user.pk:
        raise PermissionDenied(_("Only the recipient can mark their alerts read."))
    with transaction.atomic():
        count = SlaAlert.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=clock.now()
        )
        if count:
            audit_record(
                actor=actor,
                action="sla.alerts_read",
                object_type="user",
                object_id=user.pk,
                data={"count": count},
            )
    return count


def staff_alert_notify(*, conversation: Conversation, text: str, actor: Actor) -> list[int]:
    """Notify the conversation's assignee and its team's supervisors (every active supervisor
    when the team has none, or there is no team) with ``text``: an alert on their alerts page,
    the live badge pushed to each one's own sockets on commit. Used by automation rules'
    "notify" action; only the system (a rule) or staff may. Returns the recipients' ids.

    One audit row (``alert.notified``) lists the recipients. The alerts are the recipients'
    own: nobody else lists them (``selectors.alerts_for_user``)."""
    from kefu.sla.models import SlaAlert
    from kefu.sla.worker import announce_alerts, supervisors_by_team

    if actor.kind not in (ActorKind.SYSTEM, ActorKind.AGENT):
        raise PermissionDenied(_("You do not have permission to do that."))
    text = " ".join((text or "").split())[:600]
    if not text:
        raise _field_error("text", _("Write what to tell them."))
    with transaction.atomic():
        recipients = set(supervisors_by_team({conversation.team_id}).get(conversation.team_id, []))
        if conversation.assignee_id is not None:
            recipients.add(conversation.assignee_id)
        active = set(
            User.objects.filter(pk__in=recipients, is_active=True).values_list("pk", flat=True)
        )
        now = clock.now()
        SlaAlert.objects.bulk_create(
            [
                SlaAlert(
                    recipient_id=user_id,
                    conversation_id=conversation.pk,
                    kind=SlaAlert.Kind.RULE,
                    note=text,
                    created_at=now,
                )
                for user_id in sorted(active)
            ]
        )
        audit_record(
            actor=actor,
            action="alert.notified",
            object_type="conversation",
            object_id=conversation.pk,
            data={"recipients": sorted(active)},
        )
        announce_alerts(active)
    return sorted(active)
