"""Reads of business calendars."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Min

from kefu.sla.display import Deadline, deadline, paused
from kefu.sla.hours import CalendarSpec, HoursError
from kefu.sla.models import BusinessCalendar, SlaTimer, TimerKind, TimerState

if TYPE_CHECKING:
    from kefu.conversations.models import Conversation

log = logging.getLogger(__name__)


def default_calendar() -> CalendarSpec:
    """The default calendar's hours; 24/7 in UTC when none is configured (or, logged, when the
    stored hours cannot be read: better to show "open" than to break the chat widget)."""
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        return CalendarSpec.twenty_four_seven()
    try:
        return calendar.spec()
    except HoursError:
        log.warning("business calendar %s has unusable hours; using 24/7", calendar.pk)
        return CalendarSpec.twenty_four_seven()


@dataclass(frozen=True, slots=True)
class TimerRow:
    kind: str
    kind_label: str
    state: str
    state_label: str
    due_at: datetime | None
    deadline: Deadline | None  # running or missed-and-unanswered timers: time left / overdue
    policy: str


def timers_for_conversation(conversation: Conversation, now: datetime) -> list[TimerRow]:
    """Every SLA timer of a conversation the viewer already may see, oldest first, for the
    conversation page (the caller checked access to ``conversation``)."""
    rows = []
    for timer in SlaTimer.objects.filter(conversation_id=conversation.pk).select_related("policy"):
        live = timer.state == TimerState.RUNNING or (
            timer.state == TimerState.BREACHED and timer.stopped_at is None
        )
        rows.append(
            TimerRow(
                kind=timer.kind,
                kind_label=str(TimerKind(timer.kind).label),
                state=timer.state,
                state_label=str(TimerState(timer.state).label),
                # A paused timer's due_at is the deadline it had before the pause: not shown.
                due_at=None if timer.state == TimerState.PAUSED else timer.due_at,
                deadline=(
                    paused(timer.remaining_seconds)
                    if timer.state == TimerState.PAUSED
                    else deadline(timer.due_at, now)
                    if live
                    else None
                ),
                policy=timer.policy.name if timer.policy else "",
            )
        )
    return rows


def paused_left(conversation_ids: list[int]) -> dict[int, float]:
    """For conversations with paused timers (pending on the customer): the business time the
    most urgent paused timer has left, by conversation id. One query (the inbox page's)."""
    if not conversation_ids:
        return {}
    rows = (
        SlaTimer.objects.filter(conversation_id__in=conversation_ids, state=TimerState.PAUSED)
        .values("conversation_id")
        .annotate(left=Min("remaining_seconds"))
        .order_by()
    )
    return {r["conversation_id"]: float(r["left"] or 0.0) for r in rows}


def alerts_for_user(user_id: int) -> list[Any]:
    """One staff member's own SLA alerts, newest first (the alerts page)."""
    from kefu.sla.models import SlaAlert

    return list(
        SlaAlert.objects.filter(recipient_id=user_id)
        .select_related("conversation", "timer")
        .order_by("-created_at", "-id")[:200]
    )


def alerts_unread_count(user_id: int) -> int:
    """Unread alerts of one staff member: one count on the recipient index (the nav badge)."""
    from kefu.sla.models import SlaAlert

    return SlaAlert.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
