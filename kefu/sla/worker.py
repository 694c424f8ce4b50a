"""The SLA worker: claim timers whose warning or deadline has come, and act on them once.

Claims are set-based SQL: one ``UPDATE ... WHERE state = 'running' AND ... <= now RETURNING``
per batch moves a batch of timers to their next state and hands back exactly the rows this
worker changed. On PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED`` so
two workers take disjoint batches without waiting on each other, and the outer ``WHERE`` is
re-checked on the current row version, so a row another worker already moved is not returned
twice. SQLite runs one writer at a time, so the conditional UPDATE alone is atomic there.

What follows a claim is also done in bulk, in the same transaction: one timeline entry per
timer (``bulk_create``), one alert per recipient and timer, one audit row per batch listing the
timers. Only the optional automatic escalation goes conversation by conversation, after the
batch commits, through the ordinary ``conversation_escalate`` service.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from kefu.accounts.models import Role, User
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.sla.models import SlaAlert, SlaPolicy, SlaTimer, TimerState

log = logging.getLogger(__name__)

BATCH = 20_000
MAX_BATCHES = 50  # bounded work per run; the next run carries on
ACTOR_LABEL = "SLA"


@dataclass
class Evaluation:
    warned: list[int] = field(default_factory=list)  # timer ids
    breached: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)  # conversation ids


def _claim_sql(kind: str) -> str:
    table = SlaTimer._meta.db_table
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    if kind == "breach":
        condition = "state = 'running' AND due_at <= %s"
        change = "state = 'breached', breached_at = %s"
        order = "due_at"
    else:
        condition = "state = 'running' AND warned_at IS NULL AND warn_at <= %s AND due_at > %s"
        change = "warned_at = %s"
        order = "warn_at"
    return (
        f"UPDATE {table} SET {change} "  # noqa: S608 - no user input; identifiers are ours
        f"WHERE id IN (SELECT id FROM {table} WHERE {condition} ORDER BY {order} LIMIT %s{lock}) "
        f"AND {condition} "
        "RETURNING id, conversation_id, kind, policy_id"
    )


def _claim(kind: str, now: datetime, limit: int) -> list[tuple[int, int, str, int | None]]:
    inner: list[datetime | int] = [now] if kind == "breach" else [now, now]
    params: list[datetime | int] = [now, *inner, limit, *inner]
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(kind), params)
        return [(int(r[0]), int(r[1]), str(r[2]), r[3]) for r in cursor.fetchall()]


def _claim_and_act_postgres(
    kind: str, now: datetime, limit: int, actor: Actor, notified: set[int]
) -> list[tuple[int, int, str, int | None]]:
    """PostgreSQL: the claim, its timeline entries and its alerts in one statement
    (data-modifying CTEs), so a batch costs one round trip and no per-row Python."""
    from kefu.conversations.models import Conversation, TimelineEntry, TimelineKind

    timers = SlaTimer._meta.db_table
    conversations = Conversation._meta.db_table
    timeline = TimelineEntry._meta.db_table
    alerts = SlaAlert._meta.db_table
    if kind == "breach":
        condition = "state = 'running' AND due_at <= %(now)s"
        change = "state = 'breached', breached_at = %(now)s"
        order = "due_at"
        by_team = supervisors_by_team(None)
        recipients = (
            "FROM owners o CROSS JOIN LATERAL jsonb_array_elements_text("
            "COALESCE(%(teams)s::jsonb -> (o.team_id::text), %(everyone)s::jsonb)) AS r(value)"
        )
        recipient = "r.value::bigint"
    else:
        condition = (
            "state = 'running' AND warned_at IS NULL AND warn_at <= %(now)s AND due_at > %(now)s"
        )
        change = "warned_at = %(now)s"
        order = "warn_at"
        by_team = {}
        recipients = "FROM owners o WHERE o.assignee_id IS NOT NULL"
        recipient = "o.assignee_id"
    everyone = by_team.pop(None, [])
    sql = f"""
        WITH claimed AS (
            UPDATE {timers} SET {change}
            WHERE id IN (
                SELECT id FROM {timers} WHERE {condition}
                ORDER BY {order} LIMIT %(limit)s FOR UPDATE SKIP LOCKED
            ) AND {condition}
            RETURNING id, conversation_id, kind, policy_id
        ), owners AS (
            SELECT claimed.id, claimed.conversation_id, c.assignee_id, c.team_id
            FROM claimed JOIN {conversations} c ON c.id = claimed.conversation_id
        ), entries AS (
            INSERT INTO {timeline} (conversation_id, kind, actor_kind, actor_user_id,
                actor_label, message_id, data, public, created_at)
            SELECT conversation_id, %(timeline_kind)s, %(actor_kind)s, NULL, %(actor_label)s,
                NULL, jsonb_build_object('event', %(event)s, 'timer', id, 'timer_kind', kind),
                false, %(now)s
            FROM claimed
        ), notices AS (
            INSERT INTO {alerts} (recipient_id, conversation_id, timer_id, kind, created_at)
            SELECT {recipient}, o.conversation_id, o.id, %(event)s, %(now)s {recipients}
            RETURNING recipient_id
        )
        SELECT id, conversation_id, kind, policy_id, (SELECT count(*) FROM notices),
            (SELECT array_agg(DISTINCT recipient_id) FROM notices)
        FROM claimed
    """  # noqa: S608 - identifiers are our own table names; values are parameters
    params: dict[str, datetime | int | str] = {
        "now": now,
        "limit": limit,
        "timeline_kind": str(TimelineKind.SLA),
        "actor_kind": str(actor.kind),
        "actor_label": actor.label,
        "event": kind,
        "teams": json.dumps({str(k): v for k, v in by_team.items()}),
        "everyone": json.dumps(everyone),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    claimed = [(int(r[0]), int(r[1]), str(r[2]), r[3]) for r in rows]
    if rows:
        notified.update(int(u) for u in rows[0][5] or [])
    if claimed:
        audit_record(
            actor=actor,
            action="sla.warned" if kind == "warning" else "sla.breached",
            object_type="sla_timer",
            object_id=claimed[0][0] if len(claimed) == 1 else "batch",
            data={"timers": sorted(row[0] for row in claimed), "alerts": int(rows[0][4])},
        )
    return claimed


def supervisors_by_team(team_ids: set[int | None] | None) -> dict[int | None, list[int]]:
    """Each team's supervisors (members with the supervisor role); for conversations without a
    team, or a team without one, every active supervisor (also under the key None). With
    ``team_ids`` None: every team that has a supervisor."""
    supervisors = User.objects.filter(role=Role.SUPERVISOR, is_active=True)
    everyone = list(supervisors.values_list("pk", flat=True))
    members: dict[int | None, list[int]] = {}
    in_teams = supervisors.filter(teams__isnull=False)
    if team_ids is not None:
        in_teams = in_teams.filter(teams__in=[t for t in team_ids if t])
    for user_id, team_id in in_teams.values_list("pk", "teams"):
        members.setdefault(team_id, []).append(user_id)
    if team_ids is None:
        return {**members, None: everyone}
    return {team_id: members.get(team_id) or everyone for team_id in team_ids}


def _act(
    kind: str,
    claimed: list[tuple[int, int, str, int | None]],
    now: datetime,
    actor: Actor,
    recipients: set[int],
) -> None:
    """Timeline entries, alerts and one audit row for a claimed batch (same transaction)."""
    from kefu.conversations.models import Conversation, TimelineEntry, TimelineKind

    conversation_ids = {row[1] for row in claimed}
    owners = dict(
        Conversation.objects.filter(pk__in=conversation_ids).values_list(
            "pk", "assignee_id" if kind == "warning" else "team_id"
        )
    )
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                conversation_id=conversation_id,
                kind=TimelineKind.SLA,
                actor_kind=str(actor.kind),
                actor_label=actor.label,
                data={"event": kind, "timer": timer_id, "timer_kind": timer_kind},
                public=False,
                created_at=now,
            )
            for timer_id, conversation_id, timer_kind, _policy in claimed
        ],
        batch_size=5000,
    )
    alerts: list[SlaAlert] = []
    if kind == "warning":
        for timer_id, conversation_id, _kind, _policy in claimed:
            assignee = owners.get(conversation_id)
            if assignee is not None:
                alerts.append(_alert(assignee, conversation_id, timer_id, kind, now))
    else:
        supervisors = supervisors_by_team(set(owners.values()))
        for timer_id, conversation_id, _kind, _policy in claimed:
            for user_id in supervisors.get(owners.get(conversation_id), []):
                alerts.append(_alert(user_id, conversation_id, timer_id, "breach", now))
    SlaAlert.objects.bulk_create(alerts, batch_size=5000)
    recipients.update(a.recipient_id for a in alerts)
    audit_record(
        actor=actor,
        action="sla.warned" if kind == "warning" else "sla.breached",
        object_type="sla_timer",
        object_id=claimed[0][0] if len(claimed) == 1 else "batch",
        data={"timers": sorted(row[0] for row in claimed), "alerts": len(alerts)},
    )


def _alert(user_id: int, conversation_id: int, timer_id: int, kind: str, now: datetime) -> SlaAlert:
    return SlaAlert(
        recipient_id=user_id,
        conversation_id=conversation_id,
        timer_id=timer_id,
        kind=kind,
        created_at=now,
    )


def sla_evaluate(
    *, now: datetime | None = None, batch: int = BATCH, parallel: int | None = None
) -> Evaluation:
    """Breach every running timer whose deadline has passed and warn on every one whose
    warning instant has come, each exactly once across workers. Policies that say so escalate
    breached conversations (one tier, through conversation_escalate).

    On PostgreSQL, called outside a transaction, ``parallel`` connections (default
    ``KEFU_SLA_PARALLEL``, 2) claim and act on batches at once: the claims skip each other's
    locked rows, so they take disjoint batches, and the database's cores share the writes.
    Inside a transaction (a caller that must see its own writes) or on SQLite, one connection."""
    now = now or clock.now()
    actor = Actor.system(ACTOR_LABEL)
    threads = settings.KEFU_SLA_PARALLEL if parallel is None else parallel
    if connection.vendor != "postgresql" or connection.in_atomic_block or threads <= 1:
        passes = [_evaluate_pass(now, batch, actor)]
    else:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sla") as pool:
            runs = [pool.submit(_in_own_connection, now, batch, actor) for _ in range(threads)]
            passes = [run.result() for run in runs]
    result = Evaluation()
    to_escalate: set[int] = set()
    for one, escalating in passes:
        result.breached.extend(one.breached)
        result.warned.extend(one.warned)
        to_escalate |= escalating
    result.breached.sort()
    result.warned.sort()
    for conversation_id in sorted(to_escalate):
        if _escalate(conversation_id, actor):
            result.escalated.append(conversation_id)
    return result


def _in_own_connection(now: datetime, batch: int, actor: Actor) -> tuple[Evaluation, set[int]]:
    try:
        return _evaluate_pass(now, batch, actor)
    finally:
        connection.close()  # this thread's own connection


def _evaluate_pass(now: datetime, batch: int, actor: Actor) -> tuple[Evaluation, set[int]]:
    """Claim and act on batches until none is left (or MAX_BATCHES): the timers this
    connection claimed, and the conversations whose breached policy asks for escalation."""
    result = Evaluation()
    to_escalate: set[int] = set()
    for kind in ("breach", "warning"):
        for _ in range(MAX_BATCHES):
            with transaction.atomic():
                recipients: set[int] = set()
                if connection.vendor == "postgresql":
                    claimed = _claim_and_act_postgres(kind, now, batch, actor, recipients)
                else:
                    claimed = _claim(kind, now, batch)
                    if claimed:
                        _act(kind, claimed, now, actor, recipients)
                announce_alerts(recipients)
            ids = [row[0] for row in claimed]
            if kind == "breach":
                result.breached.extend(ids)
                policy_ids = {row[3] for row in claimed if row[3] is not None}
                escalating = set(
                    SlaPolicy.objects.filter(
                        pk__in=policy_ids, escalate_on_breach=True
                    ).values_list("pk", flat=True)
                )
                to_escalate |= {row[1] for row in claimed if row[3] in escalating}
            else:
                result.warned.extend(ids)
            if len(claimed) < batch:
                break
    return result, to_escalate


def announce_alerts(recipients: set[int]) -> None:
    """Tell each recipient's own workspace sockets, after commit, how many alerts they have
    unread (one grouped count on the recipient index for the whole batch)."""
    if not recipients:
        return
    from django.db.models import Count

    from kefu.realtime.events import SlaAlertsCreated
    from kefu.realtime.publish import publish

    unread = dict(
        SlaAlert.objects.filter(recipient_id__in=recipients, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    for user_id in sorted(recipients):
        publish(SlaAlertsCreated(recipient_id=user_id, unread=unread.get(user_id, 0)))


def _escalate(conversation_id: int, actor: Actor) -> bool:
    from kefu.conversations.models import Conversation, Status
    from kefu.conversations.services import conversation_escalate
    from kefu.core.errors import InvalidTransition

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or conversation.status in (Status.SOLVED, Status.CLOSED):
        return False
    if conversation.tier >= 3:
        return False
    try:
        conversation_escalate(conversation=conversation, reason="SLA deadline missed", actor=actor)
    except InvalidTransition:  # another worker or an agent escalated it to the top meanwhile
        return False
    return True


def running_count() -> int:
    return SlaTimer.objects.filter(state=TimerState.RUNNING).count()
