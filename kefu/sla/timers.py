"""SLA timers: which policy applies, and what each conversation event does to its timers.

Everything here runs inside the caller's transaction (the conversation service that changed
the conversation, holding its row lock). The state machine and the time maths are described
in docs/subsystems/sla.md; the calendar arithmetic is kefu.sla.hours.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Min, Q, QuerySet

from kefu.core import policy_cache
from kefu.core.prepared import Prepared
from kefu.sla.hours import (
    ZERO,
    CalendarSpec,
    HoursError,
    add_business_time,
    business_time_between,
)
from kefu.sla.models import (
    BusinessCalendar,
    SlaPolicy,
    SlaTimer,
    TeamCalendar,
    TimerKind,
    TimerState,
)

if TYPE_CHECKING:
    from kefu.conversations.models import Conversation

log = logging.getLogger(__name__)

# The events the conversation services report (kefu.sla.services.sla_on_event).
CREATED = "created"
STAFF_REPLIED = "staff_replied"
CUSTOMER_REPLIED = "customer_replied"
STATUS_CHANGED = "status_changed"
ATTRIBUTES_CHANGED = "attributes_changed"  # priority, tier, team or channel
EVENTS = frozenset({CREATED, STAFF_REPLIED, CUSTOMER_REPLIED, STATUS_CHANGED, ATTRIBUTES_CHANGED})

ALWAYS = CalendarSpec.twenty_four_seven()
# Timers that still count: a breached timer stays "open" until the thing it times happens.
OPEN_Q = Q(state__in=(TimerState.RUNNING, TimerState.PAUSED)) | Q(
    state=TimerState.BREACHED, stopped_at__isnull=True
)
_TARGETS = {
    TimerKind.FIRST_RESPONSE: "first_response_minutes",
    TimerKind.NEXT_RESPONSE: "next_response_minutes",
    TimerKind.RESOLUTION: "resolution_minutes",
}


def _target(policy: SlaPolicy | None, kind: str) -> int | None:
    """The policy's target for ``kind`` in seconds (None: no target)."""
    if policy is None:
        return None
    minutes = getattr(policy, _TARGETS[TimerKind(kind)])
    return None if minutes is None else int(minutes) * 60


# --- policy and calendar ----------------------------------------------------------------------


# The assistant's intents (kefu.assistant.intents, fixed names) as the intent categories a
# policy's ``categories`` condition lists: a chat the assistant handed over is timed by the
# intent it recognised, as a ticket is by the category its customer chose.
INTENT_CATEGORIES = {
    "withdrawal_status": "withdrawal",
    "withdrawal_failed": "withdrawal",
    "deposit_missing": "deposit",
    "deposit_howto": "deposit",
    "fees_limits": "fees",
    "trading": "trading",
    "account_access": "account",
    "account_settings": "account",
    "two_factor": "2fa",
    "kyc": "kyc",
    "security": "security",
    "official_check": "security",
}


def matches(policy: SlaPolicy, conversation: Conversation, vip_tier: int, intent: str = "") -> bool:
    """Whether every non-empty condition of ``policy`` holds for ``conversation`` (``intent``:
    the assistant's last recognised intent, which also satisfies ``categories``)."""
    checks = (
        (policy.priorities, conversation.priority),
        (policy.tiers, conversation.tier),
        (policy.channels, conversation.channel),
        (policy.vip_tiers, vip_tier),
        (policy.conversation_types, conversation.conversation_type),
    )
    if not all(not allowed or value in allowed for allowed, value in checks):
        return False
    return (
        not policy.categories
        or conversation.category in policy.categories
        or INTENT_CATEGORIES.get(intent) in policy.categories
    )


def policy_for(conversation: Conversation) -> SlaPolicy | None:
    """The first active policy, in order, whose conditions the conversation meets."""
    policies = policy_cache.cached("sla.policies", _active_policies)
    if not policies:
        return None
    # The contact's VIP tier and the assistant's last intent, in one query.
    row = (
        type(conversation)
        .objects.filter(pk=conversation.pk)
        .values_list("contact__vip_tier", "assistant_session__last_intent")
        .first()
    )
    vip_tier, intent = (row[0] or 0, row[1] or "") if row is not None else (0, "")
    found = next((p for p in policies if matches(p, conversation, vip_tier, intent)), None)
    return None if found is None else copy.copy(found)  # the cached row stays untouched


def _active_policies() -> tuple[SlaPolicy, ...]:
    return tuple(SlaPolicy.objects.filter(active=True).order_by("position", "id"))


def calendar_for(policy: SlaPolicy, conversation: Conversation) -> BusinessCalendar | None:
    """The calendar a policy's business time is counted in: the policy's own, else the
    conversation's team's, else the default one (None: no calendar at all, so 24/7)."""
    if policy.calendar_id is not None:
        return _calendar(policy.calendar_id)
    if conversation.team_id is not None:
        team_calendar = _team_calendar(conversation.team_id)
        if team_calendar is not None:
            return team_calendar
    return policy_cache.cached(
        "sla.calendar.default", lambda: BusinessCalendar.objects.filter(is_default=True).first()
    )


# Calendars are policy rows too (ADR 0028): cached per process, shared, read-only.


def _calendar(pk: int) -> BusinessCalendar | None:
    return policy_cache.cached(
        f"sla.calendar.{pk}", lambda: BusinessCalendar.objects.filter(pk=pk).first()
    )


def _team_calendar(team_id: int) -> BusinessCalendar | None:
    def load() -> BusinessCalendar | None:
        row = TeamCalendar.objects.filter(team_id=team_id).select_related("calendar").first()
        return None if row is None else row.calendar

    return policy_cache.cached(f"sla.calendar.team.{team_id}", load)


def calendar_spec(calendar: BusinessCalendar) -> CalendarSpec:
    """The hours business time is counted in for ``calendar`` (24/7 if they are unusable)."""
    return _spec(calendar, True)


def _spec(calendar: BusinessCalendar | None, business_time: bool) -> CalendarSpec:
    if not business_time or calendar is None:
        return ALWAYS
    try:
        return calendar.spec()
    except HoursError:
        log.warning("business calendar %s has unusable hours; timing in calendar time", calendar.pk)
        return ALWAYS


def timer_spec(timer: SlaTimer) -> CalendarSpec:
    calendar = None
    if timer.business_time and timer.calendar_id is not None:
        calendar = _calendar(timer.calendar_id)
    return _spec(calendar, timer.business_time)


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


# --- one timer --------------------------------------------------------------------------------


def _warn_offset(target_seconds: int, percent: int) -> timedelta:
    return timedelta(seconds=target_seconds * min(max(percent, 1), 100) / 100)


def start_timer(
    conversation: Conversation,
    kind: str,
    policy: SlaPolicy,
    *,
    at: datetime,
    elapsed: timedelta = ZERO,
) -> SlaTimer | None:
    """Start timing ``kind`` under ``policy`` at ``at`` (``elapsed`` business time already
    spent counts against it). None when the policy sets no target of that kind."""
    target = _target(policy, kind)
    if target is None:
        return None
    calendar = calendar_for(policy, conversation) if policy.business_time else None
    spec = _spec(calendar, policy.business_time)
    timer = SlaTimer(
        conversation=conversation,
        kind=kind,
        policy=policy,
        target_seconds=target,
        business_time=policy.business_time,
        calendar=calendar,
        warn_percent=policy.warn_percent,
        state=TimerState.RUNNING,
        started_at=at,
    )
    _schedule(timer, spec, at, elapsed)
    timer.save()
    return timer


def _schedule(timer: SlaTimer, spec: CalendarSpec, at: datetime, elapsed: timedelta) -> None:
    """Set due_at and warn_at from ``at`` for a timer that has spent ``elapsed`` already."""
    left = timedelta(seconds=timer.target_seconds) - elapsed
    timer.due_at = at if left <= ZERO else add_business_time(spec, at, left)
    if timer.warned_at is None:
        warn_left = _warn_offset(timer.target_seconds, timer.warn_percent) - elapsed
        timer.warn_at = at if warn_left <= ZERO else add_business_time(spec, at, warn_left)


def elapsed_of(timer: SlaTimer, spec: CalendarSpec, at: datetime) -> timedelta:
    """Business time the timer has used by ``at`` (more than its target once overdue)."""
    target = timedelta(seconds=timer.target_seconds)
    if timer.state == TimerState.PAUSED:
        return target - timedelta(seconds=timer.remaining_seconds or 0)
    if timer.due_at is None:  # the calendar never opens: nothing has been used
        return ZERO
    if timer.due_at <= at:
        return target + (at - timer.due_at)
    return target - business_time_between(spec, at, timer.due_at)


def pause(timer: SlaTimer, at: datetime) -> None:
    """Stop the clock, keeping the business time left (and left before the warning)."""
    spec = timer_spec(timer)
    target = timedelta(seconds=timer.target_seconds)
    due = timer.due_at
    remaining = target if due is None else business_time_between(spec, at, due)
    timer.remaining_seconds = _seconds(remaining)
    timer.warn_remaining_seconds = None
    if timer.warned_at is None and timer.warn_at is not None:
        timer.warn_remaining_seconds = _seconds(business_time_between(spec, at, timer.warn_at))
    timer.state = TimerState.PAUSED
    timer.paused_at = at
    timer.save()


def resume(timer: SlaTimer, at: datetime) -> None:
    """Restart the clock: the deadline is ``at`` plus the business time that was left, so it is
    never earlier than the deadline before the pause."""
    spec = timer_spec(timer)
    remaining = timedelta(seconds=timer.remaining_seconds or 0)
    timer.due_at = add_business_time(spec, at, remaining)
    if timer.warned_at is None and timer.warn_remaining_seconds is not None:
        timer.warn_at = add_business_time(spec, at, timedelta(seconds=timer.warn_remaining_seconds))
    timer.state = TimerState.RUNNING
    timer.paused_at = None
    timer.remaining_seconds = None
    timer.warn_remaining_seconds = None
    timer.save()


def stop(timer: SlaTimer, at: datetime) -> None:
    """What the timer times happened at ``at``: met when in time, else breached (a timer the
    worker already breached keeps that state and records when it was finally done)."""
    late_running = (
        timer.state == TimerState.RUNNING and timer.due_at is not None and at > timer.due_at
    )
    late_paused = timer.state == TimerState.PAUSED and (timer.remaining_seconds or 0) <= 0
    if late_running or late_paused:
        timer.state = TimerState.BREACHED
        timer.breached_at = at
    elif timer.state in (TimerState.RUNNING, TimerState.PAUSED):
        timer.state = TimerState.MET
    timer.stopped_at = at
    timer.save()


def cancel(timer: SlaTimer, at: datetime) -> None:
    if timer.state in (TimerState.RUNNING, TimerState.PAUSED):
        timer.state = TimerState.CANCELLED
    timer.stopped_at = at
    timer.save()


def reapply(
    timer: SlaTimer, policy: SlaPolicy | None, conversation: Conversation, at: datetime
) -> None:
    """Move a timer to ``policy`` (the conversation's priority, tier, team or channel changed),
    keeping the business time it has used. A breached timer stays breached."""
    calendar = None
    if policy is not None and policy.business_time:
        calendar = calendar_for(policy, conversation)
    if (
        policy is not None
        and timer.policy_id == policy.pk
        and timer.calendar_id == (calendar.pk if calendar else None)
        and timer.target_seconds == _target(policy, timer.kind)
        and timer.business_time == policy.business_time
        and timer.warn_percent == policy.warn_percent
    ):
        return
    target = _target(policy, timer.kind)
    if policy is None or target is None:
        if timer.state != TimerState.BREACHED:
            cancel(timer, at)
        return
    if timer.state == TimerState.BREACHED:
        timer.policy = policy
        timer.save(update_fields=["policy"])
        return
    elapsed = elapsed_of(timer, timer_spec(timer), at)
    spec = _spec(calendar, policy.business_time)
    timer.policy = policy
    timer.target_seconds = target
    timer.business_time = policy.business_time
    timer.calendar = calendar
    timer.warn_percent = policy.warn_percent
    if timer.state == TimerState.PAUSED:
        timer.remaining_seconds = max(0.0, target - _seconds(elapsed))
        if timer.warned_at is None:
            warn = _warn_offset(target, policy.warn_percent)
            timer.warn_remaining_seconds = max(0.0, _seconds(warn - elapsed))
    else:
        _schedule(timer, spec, at, elapsed)
    timer.save()


# --- the conversation's timers ------------------------------------------------------------------


# Timers that were ever started for a whole conversation (at most one first response; one
# resolution per time it was reopened): read with the open ones, they answer "was it answered?"
# and "was it timed before?" without a query of their own per event.
_ONCE_Q = Q(kind__in=(TimerKind.FIRST_RESPONSE, TimerKind.RESOLUTION))


def _is_open(timer: SlaTimer) -> bool:
    """OPEN_Q, for a row in hand."""
    return timer.state in (TimerState.RUNNING, TimerState.PAUSED) or (
        timer.state == TimerState.BREACHED and timer.stopped_at is None
    )


def _locked_timers(conversation: Conversation) -> tuple[list[SlaTimer], set[str]]:
    """The conversation's open timers (locked, by id) and the kinds of first-response and
    resolution timers it ever had, in one query."""
    rows = _LOCKED_TIMERS(conversation.pk)
    return [t for t in rows if _is_open(t)], {t.kind for t in rows}


# Read on every reply: compiled once per connection (kefu.core.prepared).
_LOCKED_TIMERS = Prepared(
    lambda conversation_id: (
        SlaTimer.objects.select_for_update()
        .filter(OPEN_Q | _ONCE_Q, conversation_id=conversation_id)
        .order_by("id")
    ),
    ids=1,
    name="sla_locked_timers",
)


def on_event(conversation: Conversation, event: str, at: datetime) -> None:
    from kefu.conversations.models import Status

    if event not in EVENTS:
        raise ValueError(f"unknown SLA event {event!r}")
    if event == CREATED:  # a new conversation has no timers yet: nothing to read or lock
        policy = policy_for(conversation)
        if policy is None:
            return
        start_timer(conversation, TimerKind.FIRST_RESPONSE, policy, at=at)
        start_timer(conversation, TimerKind.RESOLUTION, policy, at=at)
        refresh_due(conversation)
        return
    timers, ever = _locked_timers(conversation)
    if not timers and event == STAFF_REPLIED:
        return  # the common case without SLA policies costs one query
    by_kind = {t.kind: t for t in timers}
    done = conversation.status in (Status.SOLVED, Status.CLOSED)
    if event == STAFF_REPLIED:
        for kind in (TimerKind.FIRST_RESPONSE, TimerKind.NEXT_RESPONSE):
            if kind in by_kind:
                stop(by_kind[kind], at)
    elif event == CUSTOMER_REPLIED:
        if TimerKind.FIRST_RESPONSE in by_kind or TimerKind.NEXT_RESPONSE in by_kind or done:
            return  # still waiting for the first answer, or already for the next one
        answered = TimerKind.FIRST_RESPONSE in ever
        policy = policy_for(conversation) if answered else None
        if policy is None:
            return
        timer = start_timer(conversation, TimerKind.NEXT_RESPONSE, policy, at=at)
        if timer is not None and conversation.status == Status.PENDING:
            pause(timer, at)
    elif event == STATUS_CHANGED:
        _on_status(conversation, timers, by_kind, at, ever)
    elif event == ATTRIBUTES_CHANGED:
        policy = policy_for(conversation)
        if (
            not timers
            and policy is not None
            and not done
            and not SlaTimer.objects.filter(conversation_id=conversation.pk).exists()
        ):
            # It now falls under a policy it did not before: timed from its creation.
            from kefu.conversations.models import AuthorKind, MessageKind

            answered = conversation.messages.filter(
                kind=MessageKind.REPLY, author_kind=AuthorKind.AGENT
            ).exists()
            kinds = (
                [TimerKind.RESOLUTION]
                if answered
                else [TimerKind.FIRST_RESPONSE, TimerKind.RESOLUTION]
            )
            for kind in kinds:
                start_timer(conversation, kind, policy, at=conversation.created_at)
        for timer in timers:
            reapply(timer, policy, conversation, at)
    refresh_due(conversation)


def _on_status(
    conversation: Conversation,
    timers: list[SlaTimer],
    by_kind: dict[str, SlaTimer],
    at: datetime,
    ever: set[str],
) -> None:
    from kefu.conversations.models import Status

    status = conversation.status
    if status in (Status.SOLVED, Status.CLOSED):
        for timer in timers:
            if timer.kind == TimerKind.RESOLUTION:
                stop(timer, at)
            else:
                cancel(timer, at)
        return
    if status == Status.PENDING:
        for timer in timers:
            if timer.state == TimerState.RUNNING:
                pause(timer, at)
        return
    for timer in timers:
        if timer.state == TimerState.PAUSED:
            resume(timer, at)
    if TimerKind.RESOLUTION not in by_kind:
        # Reopened after it was solved or closed: the resolution is timed again.
        had_one = TimerKind.RESOLUTION in ever
        policy = policy_for(conversation) if had_one else None
        if policy is not None:
            start_timer(conversation, TimerKind.RESOLUTION, policy, at=at)


def refresh_due(conversation: Conversation) -> None:
    """Store the most urgent open deadline on the conversation (the inbox shows and sorts it)."""
    due = (
        SlaTimer.objects.filter(conversation_id=conversation.pk)
        .filter(Q(state=TimerState.RUNNING) | Q(state=TimerState.BREACHED, stopped_at__isnull=True))
        .aggregate(due=Min("due_at"))["due"]
    )
    if due != conversation.sla_due_at:
        type(conversation).objects.filter(pk=conversation.pk).update(sla_due_at=due)
        conversation.sla_due_at = due


# --- policy and calendar edits move running deadlines --------------------------------------------


def _locked_conversations(conversation_ids: set[int]) -> list[Conversation]:
    """The conversations, locked in id order: the same order (conversation, then its timers)
    as the conversation services, so an edit and a reply never deadlock."""
    from kefu.conversations import models as conversation_models

    rows = conversation_models.Conversation.objects.select_for_update()
    return list(rows.filter(pk__in=conversation_ids).order_by("pk"))


def calendar_changed(calendar_id: int, old: CalendarSpec, at: datetime) -> int:
    """A calendar's hours or dated exceptions changed (already saved): move the deadlines of
    the running timers counted in it. Each keeps the business time it had left at ``at`` under
    the ``old`` hours; that time is now counted from ``at`` in the new hours. Paused timers are
    untouched (they hold the time left and resume under the new hours); overdue ones are left
    to the worker. Returns how many timers moved. Runs inside the edit's transaction."""
    running = SlaTimer.objects.filter(
        calendar_id=calendar_id, business_time=True, state=TimerState.RUNNING
    )
    conversation_ids = set(running.values_list("conversation_id", flat=True))
    if not conversation_ids:
        return 0
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    new = _spec(calendar, True)
    moved = 0
    for conversation in _locked_conversations(conversation_ids):
        for timer in running.select_for_update().filter(conversation_id=conversation.pk):
            if timer.due_at is not None and timer.due_at <= at:
                continue
            target = timedelta(seconds=timer.target_seconds)
            left = target if timer.due_at is None else business_time_between(old, at, timer.due_at)
            timer.due_at = add_business_time(new, at, left)
            if timer.warned_at is None:
                if timer.warn_at is None:
                    warn_left = _warn_offset(timer.target_seconds, timer.warn_percent)
                else:
                    warn_left = business_time_between(old, at, timer.warn_at)
                timer.warn_at = add_business_time(new, at, warn_left)
            timer.save(update_fields=["due_at", "warn_at"])
            moved += 1
        refresh_due(conversation)
    return moved


def policy_changed(policy: SlaPolicy, at: datetime) -> int:
    """A policy changed (already saved): re-match the conversations it times and move their
    open timers to the policy each matches now, keeping the business time each has used
    (``reapply``). Usually that is the same policy with new targets, calendar or warning; a
    deactivated policy, or one whose conditions no longer hold, hands its conversations to the
    next matching policy (or, with none, its response and resolution timers are cancelled). A
    paused timer stays paused with the new time left; a breached one stays breached.
    Conversations timed by other policies are not re-matched. Returns how many timers changed.
    Runs inside the edit's transaction."""
    return _rematch(
        set(
            SlaTimer.objects.filter(OPEN_Q, policy_id=policy.pk).values_list(
                "conversation_id", flat=True
            )
        ),
        at,
    )


def policy_deleted(conversation_ids: set[int], at: datetime) -> int:
    """A policy was deleted (its timers' ``policy`` is now NULL): re-match the conversations it
    timed, as ``policy_changed`` does. Runs inside the delete's transaction."""
    return _rematch(conversation_ids, at)


def _rematch(conversation_ids: set[int], at: datetime) -> int:
    changed = 0
    for conversation in _locked_conversations(conversation_ids):
        policy = policy_for(conversation)
        rows = SlaTimer.objects.select_for_update().filter(OPEN_Q, conversation_id=conversation.pk)
        for timer in rows.order_by("id"):
            before = _moved_fields(timer)
            reapply(timer, policy, conversation, at)
            changed += before != _moved_fields(timer)
        refresh_due(conversation)
    return changed


def _moved_fields(timer: SlaTimer) -> tuple[object, ...]:
    return (
        timer.policy_id,
        timer.state,
        timer.calendar_id,
        timer.due_at,
        timer.warn_at,
        timer.remaining_seconds,
        timer.target_seconds,
    )


def calendars_reassigned(timers: QuerySet[SlaTimer], at: datetime) -> int:
    """Which calendar some conversations work to changed (a team was given another calendar,
    or the default calendar changed): move each running or paused business-time timer in
    ``timers`` to the calendar its policy now picks (``calendar_for``), keeping the business
    time it has used: a running deadline is the time left, measured in the old calendar,
    counted on from ``at`` in the new one; a paused timer keeps its time left and resumes in
    the new calendar. Timers whose policy names its own calendar, overdue ones (left to the
    worker) and breached ones do not move. Returns how many moved. Runs inside the edit's
    transaction."""
    scope = timers.filter(
        business_time=True,
        state__in=(TimerState.RUNNING, TimerState.PAUSED),
        policy__isnull=False,
        policy__calendar__isnull=True,
    )
    conversation_ids = set(scope.values_list("conversation_id", flat=True))
    moved = 0
    for conversation in _locked_conversations(conversation_ids):
        rows = scope.select_for_update(of=("self",)).filter(conversation_id=conversation.pk)
        for timer in rows.select_related("policy").order_by("id"):
            if (
                timer.state == TimerState.RUNNING
                and timer.due_at is not None
                and timer.due_at <= at
            ):
                continue
            before = timer.calendar_id
            reapply(timer, timer.policy, conversation, at)
            moved += before != timer.calendar_id
        refresh_due(conversation)
    return moved
