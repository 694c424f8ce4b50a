"""The trend worker (periodic job ``trends.evaluate``, every 5 minutes): count new
conversations per key and hour, then look for spikes in the current and the previous hour.

- **Tally**: conversations after the watermark (the one ``TrendState`` row) are read in id
  order, BATCH at a time, at most BATCHES per run, and each one's keys (``kefu.trends.keys``)
  are added to ``TrendCount`` for the hour it was created in; ``TrendMember`` remembers which
  conversation it was. The batch is written under the state row's lock only if the watermark
  has not moved since it was read (overlapping runs never count twice). The first run starts
  at the beginning of the baseline span, not at conversation 1.
- **Detect**: every key whose count in the hour reaches the policy's minimum is assessed
  against its baseline hours (``kefu.trends.detection``). Hours before counting began are not
  history (unknown is not zero); fewer than MIN_HISTORY known hours: no verdict.
- **Alert**: a spike creates one ``TrendAlert`` per key and hour (a later run only updates its
  count), at most ALERTS_PER_RUN new ones per run, the strongest first; one ``trends.alerted``
  audit row per batch; after commit each supervisor and admin gets a ``trends.alerts`` push
  with the number of open alerts (their navigation badge).
- **Prune**: counts older than the baseline span (plus a day) and members older than
  MEMBER_DAYS go, bounded per run.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import Min, OuterRef, Subquery

from kefu.accounts.models import Role, User
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.trends import keys as trend_keys
from kefu.trends.detection import Thresholds, Verdict, assess
from kefu.trends.models import TrendAlert, TrendCount, TrendMember, TrendPolicy, TrendState

log = logging.getLogger(__name__)

ACTOR_LABEL: Final = "trends"
BATCH: Final = 2000
BATCHES: Final = 5
ALERTS_PER_RUN: Final = 20
MIN_HISTORY: Final = 3
MEMBER_DAYS: Final = 3
PRUNE_LIMIT: Final = 5000
HOUR: Final = timedelta(hours=1)


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def baseline_hours(hour: datetime, *, weeks: int, days: int) -> list[datetime]:
    """The same hour of the week over ``weeks`` weeks and of the day over ``days`` days,
    newest first, without repeats (day 7 is week 1)."""
    found = [hour - timedelta(weeks=k) for k in range(1, weeks + 1)]
    found += [hour - timedelta(days=k) for k in range(1, days + 1)]
    return sorted(set(found), reverse=True)


def span(policy: TrendPolicy) -> timedelta:
    return timedelta(days=max(policy.baseline_weeks * 7, policy.baseline_days, 1))


@dataclass
class RunResult:
    counted: int = 0
    new_alerts: list[int] = field(default_factory=list)
    updated_alerts: list[int] = field(default_factory=list)


def trends_run(*, now: datetime | None = None) -> RunResult:
    """Tally new conversations, then raise alerts for the hours that spiked (see module)."""
    now = now or clock.now()
    policy = TrendPolicy.current()
    result = RunResult()
    for _batch in range(BATCHES):
        counted = tally(now=now, policy=policy)
        result.counted += counted
        if counted < BATCH:
            break
    if policy.enabled:
        new, updated = detect(now=now, policy=policy)
        result.new_alerts, result.updated_alerts = new, updated
    prune(now=now, policy=policy)
    return result


# --- tally ---------------------------------------------------------------------------------


def _intent_and_language(session_intent: str, text: str, stored_language: str) -> tuple[str, str]:
    """The live-chat session's intent when it found one, else the intent model's on ``text``;
    the language the text is written in (``zh``/``en``), else the conversation's."""
    from kefu.assistant.intents import OTHER
    from kefu.assistant.language import detect_language
    from kefu.assistant.model import ModelMissing, classify

    detected = detect_language(text)
    language = detected if detected in ("zh", "en") else trend_keys.language_code(stored_language)
    if session_intent and session_intent != OTHER:
        return trend_keys.clean_intent(session_intent), language
    if not text.strip():
        return OTHER, language
    try:
        prediction = classify(text)
    except ModelMissing:  # no trained model shipped: count by language and channel only
        return OTHER, language
    if prediction.confidence < trend_keys.MIN_INTENT_CONFIDENCE:
        return OTHER, language
    return trend_keys.clean_intent(prediction.intent), language


def tally(*, now: datetime, policy: TrendPolicy) -> int:
    """Count one batch of new conversations; how many were counted.

    Reading and classifying happen outside any transaction (the intent model takes a moment
    per conversation, and SQLite would hold its write lock meanwhile); the write transaction
    then locks the state row and applies the batch only if the watermark has not moved, so a
    run that overlapped another counts nothing twice (it returns 0 and the next run goes on).
    """
    from kefu.assistant.models import AssistantSession
    from kefu.conversations.models import AuthorKind, Conversation, Message

    try:
        state, _created = TrendState.objects.get_or_create(pk=1)
    except IntegrityError:  # two first runs at once: the other created it
        state = TrendState.objects.get(pk=1)
    seen = state.last_conversation_id
    start = hour_of(now) - span(policy)
    after = seen
    if state.last_run_at is None and seen == 0:
        # First run: start at the beginning of the baseline span, not at conversation 1.
        first = Conversation.objects.filter(created_at__gte=start).aggregate(first=Min("pk"))
        after = (first["first"] or 1) - 1
    first_body = (
        Message.objects.filter(conversation=OuterRef("pk"), author_kind=AuthorKind.CUSTOMER)
        .order_by("created_at", "id")
        .values("body")[:1]
    )
    rows = list(
        Conversation.objects.filter(pk__gt=after, created_at__lte=now)
        .exclude(created_at__lt=start)  # e.g. imported history: older than any baseline
        .order_by("pk")
        .annotate(first_body=Subquery(first_body))
        .values(
            "pk", "channel", "language", "subject", "asset", "network", "created_at",
            "first_body",
        )[:BATCH]
    )  # fmt: skip
    sessions = dict(
        AssistantSession.objects.filter(conversation_id__in=[r["pk"] for r in rows]).values_list(
            "conversation_id", "last_intent"
        )
    )
    counts: Counter[tuple[str, datetime]] = Counter()
    members: list[TrendMember] = []
    for row in rows:
        text = f"{row['subject']}\n{row['first_body'] or ''}"
        intent, language = _intent_and_language(sessions.get(row["pk"], ""), text, row["language"])
        terms = trend_keys.extract_terms(row["asset"], row["network"], text)
        hour = hour_of(row["created_at"])
        for key in trend_keys.conversation_keys(
            intent=intent, language=language, channel=row["channel"], terms=terms
        ):
            counts[(key, hour)] += 1
            members.append(TrendMember(key=key, hour=hour, conversation_id=row["pk"]))
    with transaction.atomic():
        locked = TrendState.objects.select_for_update().get(pk=1)
        if locked.last_conversation_id != seen:  # another run counted meanwhile
            return 0
        if rows:
            _add_counts(counts)
            TrendMember.objects.bulk_create(members, ignore_conflicts=True, batch_size=1000)
            locked.last_conversation_id = rows[-1]["pk"]
        else:
            locked.last_conversation_id = after
        locked.last_run_at = now
        locked.save(update_fields=["last_conversation_id", "last_run_at"])
    return len(rows)


def _add_counts(counts: Counter[tuple[str, datetime]]) -> None:
    """Add ``counts`` to the stored rows (the caller holds the state lock, so no other tally
    inserts the same rows meanwhile)."""
    hours = {hour for _key, hour in counts}
    keys = {key for key, _hour in counts}
    existing = {
        (row.key, row.hour): row for row in TrendCount.objects.filter(hour__in=hours, key__in=keys)
    }
    changed, created = [], []
    for (key, hour), n in counts.items():
        row = existing.get((key, hour))
        if row is None:
            created.append(TrendCount(key=key, hour=hour, count=n))
        else:
            row.count += n
            changed.append(row)
    TrendCount.objects.bulk_update(changed, ["count"], batch_size=500)
    TrendCount.objects.bulk_create(created, batch_size=500)


# --- detect ----------------------------------------------------------------------------------


def _counting_since() -> datetime | None:
    """The first hour with counts: history before it is unknown, not zero."""
    return TrendCount.objects.order_by("hour").values_list("hour", flat=True).first()


def detect(*, now: datetime, policy: TrendPolicy) -> tuple[list[int], list[int]]:
    """Assess the current and the previous hour; (new alert ids, updated alert ids)."""
    thresholds = Thresholds(
        min_count=policy.min_count,
        min_increase_percent=policy.min_increase_percent,
        min_score=policy.min_score,
    )
    since = _counting_since()
    if since is None:
        return [], []
    spikes: list[tuple[str, datetime, Verdict]] = []
    current = hour_of(now)
    for hour in (current - HOUR, current):
        candidates = dict(
            TrendCount.objects.filter(hour=hour, count__gte=max(1, policy.min_count)).values_list(
                "key", "count"
            )
        )
        if not candidates:
            continue
        history_hours = [
            h
            for h in baseline_hours(hour, weeks=policy.baseline_weeks, days=policy.baseline_days)
            if h >= since
        ]
        if len(history_hours) < MIN_HISTORY:
            continue
        known: dict[tuple[str, datetime], int] = {
            (key, h): n
            for key, h, n in TrendCount.objects.filter(
                key__in=list(candidates), hour__in=history_hours
            ).values_list("key", "hour", "count")
        }
        for key, count in candidates.items():
            history = [known.get((key, h), 0) for h in history_hours]
            verdict = assess(count, history, thresholds)
            if verdict.spike:
                spikes.append((key, hour, verdict))
    if not spikes:
        return [], []
    return _raise_alerts(spikes, now)


def _raise_alerts(
    spikes: list[tuple[str, datetime, Verdict]], now: datetime
) -> tuple[list[int], list[int]]:
    spikes.sort(key=lambda s: s[2].score, reverse=True)
    new: list[TrendAlert] = []
    updated: list[int] = []
    with transaction.atomic():
        existing = {
            (a.key, a.window_start): a
            for a in TrendAlert.objects.select_for_update().filter(
                key__in={k for k, _h, _v in spikes}, window_start__in={h for _k, h, _v in spikes}
            )
        }
        for key, hour, verdict in spikes:
            alert = existing.get((key, hour))
            if alert is not None:
                if verdict.count > alert.count:  # the spike grew: new numbers, no new notice
                    alert.count, alert.baseline = verdict.count, verdict.baseline
                    alert.score, alert.updated_at = verdict.score, now
                    alert.save(update_fields=["count", "baseline", "score", "updated_at"])
                    updated.append(alert.pk)
                continue
            if len(new) >= ALERTS_PER_RUN:
                continue
            try:
                with transaction.atomic():  # a savepoint: an overlapping run may insert it first
                    alert = TrendAlert.objects.create(
                        key=key,
                        window_start=hour,
                        count=verdict.count,
                        baseline=verdict.baseline,
                        score=round(verdict.score, 2),
                        created_at=now,
                        updated_at=now,
                    )
            except IntegrityError:
                continue  # the other run alerted (and notified) for this key and hour
            new.append(alert)
        if new:
            audit_record(
                actor=Actor.system(ACTOR_LABEL),
                action="trends.alerted",
                object_type="trend_alert",
                object_id=new[0].pk,
                data={
                    "alerts": [a.pk for a in new],
                    "keys": [a.key for a in new],
                    "counts": [a.count for a in new],
                    "baselines": [a.baseline for a in new],
                },
            )
            announce()
    return [a.pk for a in new], updated


def recipients() -> list[int]:
    """Who hears of spikes: every active supervisor and admin."""
    return list(
        User.objects.filter(role__in=(Role.SUPERVISOR, Role.ADMIN), is_active=True).values_list(
            "pk", flat=True
        )
    )


def announce() -> None:
    """Push, after commit, the number of open alerts to every supervisor's and admin's own
    workspace sockets (their badge)."""
    from kefu.realtime.events import TrendAlertsRaised
    from kefu.realtime.publish import publish
    from kefu.trends.selectors import open_alert_count

    open_count = open_alert_count()
    for user_id in recipients():
        publish(TrendAlertsRaised(recipient_id=user_id, open=open_count))


# --- prune -----------------------------------------------------------------------------------


def prune(*, now: datetime, policy: TrendPolicy) -> int:
    """Delete counts past the baseline span and members past MEMBER_DAYS (bounded)."""
    removed = 0
    old_counts = TrendCount.objects.filter(hour__lt=now - span(policy) - timedelta(days=1))
    ids = list(old_counts.values_list("pk", flat=True)[:PRUNE_LIMIT])
    if ids:
        removed += TrendCount.objects.filter(pk__in=ids).delete()[0]
    old_members = TrendMember.objects.filter(hour__lt=now - timedelta(days=MEMBER_DAYS))
    ids = list(old_members.values_list("pk", flat=True)[:PRUNE_LIMIT])
    if ids:
        removed += TrendMember.objects.filter(pk__in=ids).delete()[0]
    return removed
