"""Callback slots as pure functions of service hours, a slot length and an explicit moment.

Slots start on multiples of the slot length counted from the Unix epoch (so 30-minute slots
start at :00 and :30 UTC). A slot is offered only when the calendar is open for the whole of
it, checked every five minutes and at its last minute; a 24/7 calendar is open for every slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kefu.sla.hours import CalendarSpec, is_open

_STEP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SlotRules:
    """What decides which slots exist (detached from the CallbackPolicy row)."""

    calendar: CalendarSpec
    slot_minutes: int = 30
    capacity: int = 2
    days_ahead: int = 7
    lead_minutes: int = 30
    grace_minutes: int = 15

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


def is_aligned(rules: SlotRules, start: datetime) -> bool:
    """Whether ``start`` (aware) is the start of a slot."""
    seconds = start.timestamp()
    return seconds == int(seconds) and int(seconds) % (rules.slot_minutes * 60) == 0


def within_hours(rules: SlotRules, start: datetime) -> bool:
    """Whether the calendar is open for the whole slot starting at ``start``."""
    end = start + rules.length
    moment = start
    while moment < end:
        if not is_open(rules.calendar, moment):
            return False
        moment += _STEP
    return is_open(rules.calendar, end - timedelta(minutes=1))


def first_bookable(rules: SlotRules, now: datetime) -> datetime:
    """The earliest slot start a booking made at ``now`` may take (after the notice)."""
    earliest = now + timedelta(minutes=rules.lead_minutes)
    step = rules.slot_minutes * 60
    seconds = -(-int(earliest.timestamp()) // step) * step  # round up to a slot start
    return datetime.fromtimestamp(seconds, tz=UTC)


def last_bookable(rules: SlotRules, now: datetime) -> datetime:
    """Slots must start before this moment."""
    return now + timedelta(days=rules.days_ahead)


def slot_starts(rules: SlotRules, now: datetime) -> list[datetime]:
    """Every slot start that may be booked at ``now`` (ignoring how full the slots are)."""
    start, stop = first_bookable(rules, now), last_bookable(rules, now)
    starts: list[datetime] = []
    while start < stop:
        if within_hours(rules, start):
            starts.append(start)
        start += rules.length
    return starts
