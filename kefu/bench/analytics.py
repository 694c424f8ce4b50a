"""``kefu bench analytics``: dashboard answers over N conversations' analytics facts.

Seeds N ``ConversationFact`` rows (what the analytics worker writes, one per conversation) over
a year in day order (as the worker writes them), with PostgreSQL ``COPY`` (bulk inserts
elsewhere): 9 channels, 9 intents, 2 languages,
6 teams, 60 agents, log-normal durations, 5 % still open. The fact ids start at ``BASE`` so
they never collide with real conversations. Builds the daily rollups from the facts once
(``rollups_rebuild_from_facts``, what ``kefu analytics rebuild`` ends with), then times the
dashboard views end to end in-process (selectors, tables, template rendering) for several date
ranges and filters, and one incremental refresh of ``--changed`` real conversations written
in bulk (messages and timeline rows), the worker's steady-state cost.

Never run it against a database with real customers: ``--reset`` deletes the bench facts and
the ``Bench analytics`` conversations, then rebuilds every rollup row from the facts left.
"""

from __future__ import annotations

import io
import json
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.test import RequestFactory

from kefu.accounts.models import Role, Team, User, UserKind
from kefu.analytics import services, views
from kefu.analytics.facts import FACT_FIELDS
from kefu.analytics.models import ConversationFact, DailyRollup
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message, Status, TimelineEntry
from kefu.core import clock

BASE = 10**12
SUBJECT = "Bench analytics"
CHANNELS = ["web", "chat", "email", "phone", "telegram", "messenger", "whatsapp", "social", "api"]
INTENTS = ["deposit", "withdrawal", "account", "2fa", "kyc", "security", "trading", "fees", "other"]
TEAMS = 6
AGENTS = 60
RUNS = 5


@dataclass
class AnalyticsBenchReport:
    conversations: int
    rollup_rows: int
    seed_seconds: float
    rollup_seconds: float
    timings: list[tuple[str, float, float]] = field(default_factory=list)  # label, median, max
    changed: int = 0
    refresh_seconds: float = 0.0
    vendor: str = ""
    server: str = ""
    cpus: int = 0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    machine: str = ""


def _people() -> tuple[list[int], list[int], User, Contact]:
    teams = [Team.objects.get_or_create(name=f"Bench analytics {i}")[0].pk for i in range(TEAMS)]
    agents = []
    for i in range(AGENTS):
        agent, _ = User.objects.get_or_create(
            email=f"bench-analytics-{i}@kefu.bench",
            defaults={
                "kind": UserKind.STAFF,
                "role": Role.AGENT_L1,
                "display_name": f"Analytics agent {i}",
            },
        )
        agents.append(agent.pk)
    supervisor, _ = User.objects.get_or_create(
        email="bench-analytics-supervisor@kefu.bench",
        defaults={
            "kind": UserKind.STAFF,
            "role": Role.SUPERVISOR,
            "display_name": "Analytics supervisor",
        },
    )
    contact, _ = Contact.objects.get_or_create(
        email="bench-analytics@example.invalid", defaults={"name": "Bench analytics customer"}
    )
    return teams, agents, supervisor, contact


def _fact_row(
    rng: random.Random, i: int, n: int, today: date, teams: list[int], agents: list[int]
) -> tuple[object, ...]:
    # Oldest first, spread evenly over the year: the worker writes facts as conversations are
    # created, so the table is roughly in day order (what the date-bounded reads rely on).
    day = today - timedelta(days=364 - i * 365 // n)
    hour = min(23, max(0, int(rng.gauss(13, 5))))
    created = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC)
    is_open = rng.random() < 0.05
    replied = rng.random() < 0.97
    frt = int(rng.lognormvariate(math.log(600), 1.2)) if replied else None
    res = None if is_open else int(rng.lognormvariate(math.log(6 * 3600), 1.3))
    waits = (
        [
            [w, w // 2]
            for w in (int(rng.lognormvariate(math.log(900), 1)) for _ in range(rng.randrange(3)))
        ]
        if replied
        else []
    )
    reopens = 1 if (not is_open and rng.random() < 0.06) else 0
    replies = 1 + len(waits) if replied else 0
    rating = rng.choice([None, None, 5, 5, 4, 3, 1])
    assisted = rng.random() < 0.3
    outcome = rng.random() if assisted else 1.0
    return (
        BASE + i,
        created,
        day,
        hour,
        rng.choice(CHANNELS),
        rng.choice(INTENTS),
        rng.choice(["en", "zh-hans"]),
        rng.choice(teams),
        rng.choice(agents),
        is_open,
        not is_open,
        frt,
        None if frt is None else frt // 2,
        res,
        None if res is None else res // 3,
        json.dumps(waits),
        replies,
        reopens,
        (not is_open) and reopens == 0 and replies <= 1,
        rating,
        None if rating is None else rating >= 3,
        rng.randrange(3),
        rng.randrange(2) * (rng.random() < 0.1),
        assisted,
        outcome < 0.5,
        0.5 <= outcome < 0.9,
        clock.now(),
    )


COLUMNS = ["conversation_id", *FACT_FIELDS, "computed_at"]


def seed(n: int, log: Callable[[str], None]) -> float:
    """N bench facts; returns the seconds taken."""
    started = time.perf_counter()
    teams, agents, _supervisor, _contact = _people()
    rng = random.Random(7)  # noqa: S311 - synthetic data, not security
    today = clock.now().date()
    start = ConversationFact.objects.filter(conversation_id__gte=BASE).count()
    table = ConversationFact._meta.db_table
    batch = 100_000
    for offset in range(start, n, batch):
        rows = [
            _fact_row(rng, i, n, today, teams, agents)
            for i in range(offset, min(n, offset + batch))
        ]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    raw = cursor.cursor
                    with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                ConversationFact.objects.bulk_create(
                    [
                        ConversationFact(**dict(zip(COLUMNS, _decode(row), strict=True)))
                        for row in rows
                    ],
                    batch_size=2000,
                )
        log(f"  seeded {min(n, offset + batch):,} facts")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # What autovacuum does after a bulk load: statistics and the visibility map (the
            # backlog count is an index-only scan).
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - started


def _decode(row: tuple[object, ...]) -> tuple[object, ...]:
    values = list(row)
    values[COLUMNS.index("next_responses")] = json.loads(
        str(values[COLUMNS.index("next_responses")])
    )
    return tuple(values)


def _reset() -> None:
    ConversationFact.objects.filter(conversation_id__gte=BASE)._raw_delete(connection.alias)
    conversations = Conversation.objects.filter(subject__startswith=SUBJECT)
    ConversationFact.objects.filter(conversation_id__in=conversations.values("pk"))._raw_delete(
        connection.alias
    )
    TimelineEntry.objects.filter(conversation__in=conversations)._raw_delete(connection.alias)
    Message.objects.filter(conversation__in=conversations)._raw_delete(connection.alias)
    conversations._raw_delete(connection.alias)


def _changed_conversations(k: int, contact: Contact, teams: list[int], agents: list[int]) -> None:
    """K solved conversations written in bulk, each with a customer message, an agent reply and
    created/message/status timeline rows: what the refresh will pick up."""
    now = clock.now()
    with transaction.atomic():
        convs = Conversation.objects.bulk_create(
            [
                Conversation(
                    contact=contact,
                    subject=f"{SUBJECT} {i}",
                    status=Status.SOLVED,
                    team_id=teams[i % len(teams)],
                    assignee_id=agents[i % len(agents)],
                    created_at=now - timedelta(hours=2),
                    last_activity_at=now,
                )
                for i in range(k)
            ]
        )
        messages, timeline = [], []
        for c in convs:
            for minutes, author in ((120, "customer"), (100, "agent")):
                messages.append(
                    Message(
                        conversation=c,
                        author_kind=author,
                        body="x",
                        body_html="x",
                        created_at=now - timedelta(minutes=minutes),
                    )
                )
            timeline.append(
                TimelineEntry(
                    conversation=c, kind="created", actor_kind="customer", created_at=c.created_at
                )
            )
            timeline.append(
                TimelineEntry(
                    conversation=c,
                    kind="status",
                    actor_kind="agent",
                    data={"from": "open", "to": "solved"},
                    created_at=now,
                )
            )
        Message.objects.bulk_create(messages, batch_size=2000)
        TimelineEntry.objects.bulk_create(timeline, batch_size=2000)


def _time(fn: Callable[[], object]) -> tuple[float, float]:
    fn()  # warm caches once, as a dashboard being looked at would be
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), max(samples)


def run_analytics_bench(
    *,
    conversations: int,
    changed: int,
    reset: bool,
    reuse: bool = False,
    log: Callable[[str], None],
) -> AnalyticsBenchReport:
    if reset:
        log("removing earlier bench analytics data …")
        _reset()
    seed_seconds = rollup_seconds = 0.0
    if reuse:  # facts and rollups of an earlier run: only time the views
        rollup_rows = DailyRollup.objects.count()
    else:
        log(f"seeding {conversations:,} conversation facts …")
        seed_seconds = seed(conversations, log)
        log("building the daily rollups from the facts …")
        started = time.perf_counter()
        rollup_rows = services.rollups_rebuild_from_facts()
        rollup_seconds = time.perf_counter() - started
    teams, agents, supervisor, contact = _people()
    factory = RequestFactory()
    today = clock.now().date()

    def page(
        path: str, params: dict[str, str], dimension: str | None = None
    ) -> Callable[[], object]:
        def call() -> object:
            request = factory.get(path, params)
            request.user = supervisor
            request.session = {}  # type: ignore[assignment]
            request._messages = []  # type: ignore[attr-defined]
            if dimension is None:
                response = views.overview(request)
            else:
                response = views.breakdown(request, dimension)
            if hasattr(response, "render"):
                response.render()
            assert response.status_code == 200
            return response

        return call

    def span(days: int) -> dict[str, str]:
        return {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}

    cases = [
        ("Overview, last 28 days", page("/agent/analytics/", span(28))),
        ("Overview, last 365 days", page("/agent/analytics/", span(365))),
        (
            "Overview, 90 days, filtered by team",
            page("/agent/analytics/", {**span(90), "team": str(teams[0])}),
        ),
        (
            "Overview, 90 days, filtered by agent",
            page("/agent/analytics/", {**span(90), "agent": str(agents[0])}),
        ),
        (
            "Overview, 90 days, team + channel + language combined (from the facts)",
            page(
                "/agent/analytics/",
                {**span(90), "team": str(teams[0]), "channel": "email", "language": "en"},
            ),
        ),
        (
            "Overview, 365 days, team + intent combined (from the facts)",
            page("/agent/analytics/", {**span(365), "team": str(teams[0]), "intent": "kyc"}),
        ),
        (
            "Drill-down by agent, 90 days, filtered by channel (from the facts)",
            page("/agent/analytics/by/agent/", {**span(90), "channel": "email"}, "agent"),
        ),
        ("Drill-down by agent, 365 days", page("/agent/analytics/by/agent/", span(365), "agent")),
        ("Drill-down by intent, 90 days", page("/agent/analytics/by/intent/", span(90), "intent")),
        (
            "CSV export, by agent, 365 days (audited)",
            page("/agent/analytics/by/agent/", {**span(365), "export": "csv"}, "agent"),
        ),
    ]
    report = AnalyticsBenchReport(
        conversations=conversations,
        rollup_rows=rollup_rows,
        seed_seconds=seed_seconds,
        rollup_seconds=rollup_seconds,
    )
    for label, fn in cases:
        log(f"timing: {label} …")
        median, worst = _time(fn)
        report.timings.append((label, median, worst))
    if changed:
        log(f"incremental refresh of {changed:,} changed conversations …")
        services.analytics_refresh()  # catch up with anything before
        _changed_conversations(changed, contact, teams, agents)
        started = time.perf_counter()
        result = services.analytics_refresh()
        report.refresh_seconds = time.perf_counter() - started
        report.changed = result.changed
    report.vendor = connection.vendor
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            report.server = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("select sqlite_version()")
            report.server = f"SQLite {cursor.fetchone()[0]}"
    report.cpus = os.cpu_count() or 0
    report.load = os.getloadavg()
    report.machine = f"{platform.machine()} {platform.system()} {platform.release()}"
    return report


def markdown(report: AnalyticsBenchReport) -> str:
    load = " / ".join(f"{x:.2f}" for x in report.load)
    out = io.StringIO()
    out.write(
        f"| Analytics dashboards over {report.conversations:,} conversations' facts "
        f"({report.rollup_rows:,} rollup rows), {report.server} | median of {RUNS} | worst |\n"
    )
    out.write("|---|---|---|\n")
    for label, median, worst in report.timings:
        out.write(f"| {label} | {median * 1000:.0f} ms | {worst * 1000:.0f} ms |\n")
    if report.changed:
        out.write(
            f"| Incremental refresh, {report.changed:,} changed conversations "
            f"| {report.refresh_seconds:.2f} s | |\n"
        )
    out.write(f"| Seeding the facts (not part of the target) | {report.seed_seconds:.1f} s | |\n")
    out.write(f"| Rollups rebuilt from all facts (one-off) | {report.rollup_seconds:.1f} s | |\n")
    out.write(f"| Machine | {report.cpus} CPUs, {report.machine}, load average {load} | |\n")
    return out.getvalue()
