"""The analytics write path: the worker's incremental refresh, a full rebuild, and the audited
export record.

The refresh finds the conversations that changed since its cursor (new timeline rows: every
message, status, assignment, survey and SLA change writes one; assistant sessions by their
``updated_at``), recomputes their facts from the raw rows, and moves each changed fact's
contribution in the rollups: the old contribution out, the new one in. Recomputing a fact is
idempotent, so the cursor re-reads a small overlap to catch rows whose transaction committed
after a later id was seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max

from kefu.analytics import sql
from kefu.analytics.facts import (
    FACT_FIELDS,
    RollupKey,
    aggregate,
    compute,
    contribution,
    rollup_keys,
)
from kefu.analytics.models import ConversationFact, DailyRollup, RefreshCursor, WeeklyReport
from kefu.analytics.sources import Calendars, load_inputs
from kefu.assistant.models import AssistantSession
from kefu.audit.services import audit_record
from kefu.conversations.models import Conversation, TimelineEntry
from kefu.core import clock
from kefu.core.actor import Actor

# Timeline ids re-read on every run (a transaction may commit after a higher id was seen).
OVERLAP_IDS = 500
SESSION_OVERLAP = timedelta(minutes=2)
BATCH = 2_000


@dataclass(frozen=True, slots=True)
class RefreshResult:
    examined: int
    changed: int
    timeline_id: int


def fact_values(fact: ConversationFact) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in FACT_FIELDS}


def _apply(delta: dict[RollupKey, Counter[str]], now: datetime) -> None:
    """Add the signed ``delta`` to the rollup rows (locked), creating and deleting rows."""
    if not delta:
        return
    days = sorted({key[1] for key in delta})
    existing = {
        (row.span, row.day, row.dimension, row.value): row
        for row in DailyRollup.objects.select_for_update()
        .filter(day__in=days, dimension__in={key[2] for key in delta})
        .order_by("pk")
    }
    creates, updates, deletes = [], [], []
    for key, change in delta.items():
        row = existing.get(key)
        counts: Counter[str] = Counter(row.counts if row is not None else {})
        for name, amount in change.items():
            counts[name] += amount
        if any(v < 0 for v in counts.values()):
            raise RuntimeError(f"analytics rollup {key} went negative")
        clean = {name: value for name, value in sorted(counts.items()) if value}
        if row is None:
            if clean:
                creates.append(
                    DailyRollup(
                        span=key[0],
                        day=key[1],
                        dimension=key[2],
                        value=key[3],
                        counts=clean,
                        updated_at=now,
                    )
                )
        elif clean:
            row.counts = clean
            row.updated_at = now
            updates.append(row)
        else:
            deletes.append(row.pk)
    DailyRollup.objects.bulk_create(creates, batch_size=1000)
    DailyRollup.objects.bulk_update(updates, ["counts", "updated_at"], batch_size=1000)
    if deletes:
        DailyRollup.objects.filter(pk__in=deletes).delete()


def _add(delta: dict[RollupKey, Counter[str]], fact: dict[str, Any], sign: int) -> None:
    add = contribution(fact)
    for key in rollup_keys(fact):
        bucket = delta.setdefault(key, Counter())
        for name, amount in add.items():
            bucket[name] += sign * amount


def facts_refresh(*, conversation_ids: Iterable[int], now: datetime | None = None) -> int:
    """Recompute the facts of ``conversation_ids`` and move their rollup contributions.

    Call inside a transaction holding the refresh cursor's lock (``analytics_refresh`` and
    ``analytics_rebuild`` do), so two refreshes never move the same counters at once.
    Conversations that no longer exist keep their fact. Returns how many facts changed."""
    now = now or clock.now()
    calendars = Calendars()
    ids = sorted(set(conversation_ids))
    changed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        new = {inp.conversation_id: compute(inp) for inp in load_inputs(chunk, calendars)}
        old = {f.conversation_id: f for f in ConversationFact.objects.filter(pk__in=list(new))}
        delta: dict[RollupKey, Counter[str]] = {}
        creates, updates = [], []
        for pk, values in new.items():
            row = old.get(pk)
            if row is not None:
                before = fact_values(row)
                if before == values:
                    continue
                _add(delta, before, -1)
                for name, value in values.items():
                    setattr(row, name, value)
                row.computed_at = now
                updates.append(row)
            else:
                creates.append(ConversationFact(conversation_id=pk, computed_at=now, **values))
            _add(delta, values, +1)
            changed += 1
        _apply({k: v for k, v in delta.items() if any(v.values())}, now)
        ConversationFact.objects.bulk_create(creates, batch_size=1000)
        ConversationFact.objects.bulk_update(
            updates, [*FACT_FIELDS, "computed_at"], batch_size=1000
        )
    return changed


def _cursor() -> RefreshCursor:
    RefreshCursor.objects.get_or_create(pk=1)
    return RefreshCursor.objects.select_for_update().get(pk=1)


def analytics_refresh(*, now: datetime | None = None, limit: int = 20_000) -> RefreshResult:
    """Bring facts and rollups up to date with what changed since the last run.

    Bounded: reads at most ``limit`` timeline rows per run (the next run continues). Holds the
    cursor row's lock for the whole run, so overlapping worker runs wait instead of double
    counting."""
    now = now or clock.now()
    with transaction.atomic():
        cursor = _cursor()
        low = max(0, cursor.timeline_id - OVERLAP_IDS)
        rows = list(
            TimelineEntry.objects.filter(id__gt=low)
            .order_by("id")
            .values_list("id", "conversation_id")[:limit]
        )
        ids = {conv_id for _id, conv_id in rows}
        top = max([cursor.timeline_id, *(row_id for row_id, _c in rows)])
        sessions = AssistantSession.objects.all()
        if cursor.sessions_at is not None:
            sessions = sessions.filter(updated_at__gte=cursor.sessions_at - SESSION_OVERLAP)
        ids.update(sessions.values_list("conversation_id", flat=True))
        changed = facts_refresh(conversation_ids=ids, now=now)
        cursor.timeline_id = top
        cursor.sessions_at = now
        cursor.refreshed_at = now
        cursor.save(update_fields=["timeline_id", "sessions_at", "refreshed_at"])
    return RefreshResult(examined=len(ids), changed=changed, timeline_id=top)


def analytics_rebuild(*, now: datetime | None = None) -> int:
    """Recompute every fact and every rollup from scratch (after a definition change or to
    repair). Returns the number of facts."""
    now = now or clock.now()
    with transaction.atomic():
        cursor = _cursor()
        top = TimelineEntry.objects.aggregate(m=Max("id"))["m"] or 0
        calendars = Calendars()
        ConversationFact.objects.all().delete()
        DailyRollup.objects.all().delete()
        ids = list(Conversation.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            inputs = load_inputs(ids[start : start + BATCH], calendars)
            ConversationFact.objects.bulk_create(
                [
                    ConversationFact(
                        conversation_id=inp.conversation_id, computed_at=now, **compute(inp)
                    )
                    for inp in inputs
                ],
                batch_size=1000,
            )
        rollups_rebuild_from_facts(now=now)
        cursor.timeline_id = top
        cursor.sessions_at = now
        cursor.refreshed_at = now
        cursor.save(update_fields=["timeline_id", "sessions_at", "refreshed_at"])
    return len(ids)


def rollups_rebuild_from_facts(*, now: datetime | None = None, in_sql: bool | None = None) -> int:
    """Replace every rollup row by the sum of the stored facts' contributions. On PostgreSQL
    set-based in SQL (``sql.rebuild_rollups``; ``in_sql=False`` forces the portable Python
    path, which the tests compare it with). Returns the number of rollup rows."""
    now = now or clock.now()
    if in_sql is None:
        in_sql = sql.available()
    if in_sql:
        with transaction.atomic():
            return sql.rebuild_rollups(now)
    fields = ["conversation_id", *FACT_FIELDS]
    rows = aggregate(
        dict(zip(fields, values, strict=True))
        for values in ConversationFact.objects.values_list(*fields).iterator(chunk_size=5000)
    )
    DailyRollup.objects.all().delete()
    DailyRollup.objects.bulk_create(
        [
            DailyRollup(
                span=span,
                day=day,
                dimension=dim,
                value=value,
                counts=dict(sorted(c.items())),
                updated_at=now,
            )
            for (span, day, dim, value), c in rows.items()
        ],
        batch_size=2000,
    )
    return len(rows)


def analytics_export_record(*, actor: Actor, table: str, fmt: str, filters: dict[str, str]) -> None:
    """Audit an export of per-agent numbers (a sensitive read: staff performance data)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="analytics.exported",
            object_type="analytics_table",
            object_id=table,
            data={"format": fmt, **filters},
        )


def analytics_view_record(*, actor: Actor, view: str, filters: dict[str, str]) -> None:
    """Audit that staff looked at per-agent numbers (the agent drill-down, or a view filtered on
    an agent): staff performance data is a sensitive read, like an export of it."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="analytics.viewed",
            object_type="analytics_view",
            object_id=view,
            data=dict(filters),
        )


def weekly_report_claim(*, week_start: date, now: datetime | None = None) -> list[int]:
    """Claim the sending of the report of ``week_start`` (once ever per week, whichever worker
    comes first) and return the supervisors and admins to mail it to; [] when already sent."""
    from kefu.accounts.models import Role, User

    now = now or clock.now()
    recipients = list(
        User.objects.filter(role__in=(Role.SUPERVISOR, Role.ADMIN), is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        _row, created = WeeklyReport.objects.get_or_create(
            week_start=week_start, defaults={"sent_at": now, "recipients": len(recipients)}
        )
    return recipients if created else []
