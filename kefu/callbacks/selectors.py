"""Reads of callbacks and of the slots a customer may book."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from kefu.accounts.models import User
from kefu.callbacks.models import OPEN_STATUSES, Callback, CallbackPolicy
from kefu.callbacks.slots import SlotRules, first_bookable, last_bookable, slot_starts
from kefu.contacts.models import Contact
from kefu.core.errors import NotFound
from kefu.sla.hours import HoursError
from kefu.sla.selectors import default_calendar

log = logging.getLogger(__name__)


def policy_current() -> CallbackPolicy:
    """The stored policy, or an unsaved one with the defaults."""
    return CallbackPolicy.objects.select_related("calendar").first() or CallbackPolicy()


def rules_for(policy: CallbackPolicy) -> SlotRules:
    """The policy's slot rules, with its calendar's hours (the default calendar when it names
    none, or, logged, when its hours cannot be read)."""
    spec = None
    if policy.calendar is not None:
        try:
            spec = policy.calendar.spec()
        except HoursError:
            log.warning("callback calendar %s has unusable hours", policy.calendar_id)
    return SlotRules(
        calendar=spec or default_calendar(),
        slot_minutes=policy.slot_minutes,
        capacity=policy.capacity,
        days_ahead=policy.days_ahead,
        lead_minutes=policy.lead_minutes,
        grace_minutes=policy.grace_minutes,
    )


def seats_taken(start: datetime, stop: datetime) -> dict[datetime, int]:
    """How many seats are held in each slot starting in [start, stop)."""
    rows = (
        Callback.objects.filter(slot_start__gte=start, slot_start__lt=stop, seat__isnull=False)
        .values("slot_start")
        .annotate(n=Count("id"))
    )
    return {row["slot_start"]: row["n"] for row in rows}


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    free: int


def slots_available(*, now: datetime) -> list[Slot]:
    """The slots a customer may book at ``now`` that still have a free seat."""
    policy = policy_current()
    if not policy.enabled:
        return []
    rules = rules_for(policy)
    taken = seats_taken(first_bookable(rules, now), last_bookable(rules, now))
    slots = []
    for start in slot_starts(rules, now):
        free = rules.capacity - taken.get(start, 0)
        if free > 0:
            slots.append(Slot(start=start, end=start + rules.length, free=free))
    return slots


# --- customers -------------------------------------------------------------------------------


def callback_open_for_customer(contact: Contact) -> Callback | None:
    return (
        Callback.objects.filter(contact=contact, status__in=OPEN_STATUSES)
        .select_related("agent")
        .first()
    )


def callback_list_for_customer(contact: Contact, *, limit: int = 10) -> list[Callback]:
    return list(Callback.objects.filter(contact=contact).order_by("-slot_start", "-id")[:limit])


# --- staff -----------------------------------------------------------------------------------


def callback_get_for_agent(*, user: User, pk: int) -> Callback:
    """A callback any active staff member may open; NotFound for everyone else."""
    if not (user.is_active and user.is_agent):
        raise NotFound()
    callback = Callback.objects.select_related("contact", "agent").filter(pk=pk).first()
    if callback is None:
        raise NotFound()
    return callback


def callback_queue(*, user: User, now: datetime) -> QuerySet[Callback]:
    """The workspace queue: every open callback (overdue ones too) and the rest of today's and
    upcoming callbacks, by slot."""
    if not (user.is_active and user.is_agent):
        return Callback.objects.none()
    since = now - timedelta(hours=24)
    return (
        Callback.objects.filter(Q(status__in=OPEN_STATUSES) | Q(slot_start__gte=since))
        .select_related("agent")
        .order_by("slot_start", "id")[:300]
    )
