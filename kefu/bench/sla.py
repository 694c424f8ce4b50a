"""``kefu bench sla``: the SLA worker over N open conversations with running timers.

Seeds N open conversations (subject ``Bench SLA …``, one bench customer, assigned round-robin
to bench agents) with two running timers each, written in bulk (no services, like
kefu/bench/seed.py): a first-response timer whose deadline has passed for half of them and
whose warning instant has passed for the other half, and a resolution timer due in days. Then it
times ``sla_evaluate`` once with everything due (N claims: N/2 breaches, N/2 warnings, with
their timeline entries, alerts and batch audit rows), and once more with nothing left to do
(the steady-state cost of a worker tick). Escalation on breach is off: it is per-conversation
by design and not what the target measures.

Never run it against a database with real customers; ``--reset`` deletes only ``Bench SLA``
conversations and what hangs off them.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from kefu.accounts.models import Role, Team, User, UserKind
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Status, TimelineEntry
from kefu.core import clock
from kefu.sla.models import SlaAlert, SlaPolicy, SlaTimer, TimerKind, TimerState
from kefu.sla.worker import sla_evaluate

SUBJECT = "Bench SLA"
AGENTS = 20
BATCH = 5_000


@dataclass
class SlaBenchReport:
    conversations: int
    timers: int
    seed_seconds: float
    evaluate_seconds: float
    breached: int
    warned: int
    idle_seconds: float
    alerts: int
    timeline: int
    vendor: str
    cpus: int
    load: tuple[float, float, float]
    machine: str


def _reset() -> None:
    conversations = Conversation.objects.filter(subject__startswith=SUBJECT)
    SlaAlert.objects.filter(conversation__in=conversations)._raw_delete(connection.alias)
    SlaTimer.objects.filter(conversation__in=conversations)._raw_delete(connection.alias)
    TimelineEntry.objects.filter(conversation__in=conversations)._raw_delete(connection.alias)
    conversations._raw_delete(connection.alias)


def _people() -> tuple[Contact, list[User], Team]:
    team, _ = Team.objects.get_or_create(name="Bench: SLA")
    contact, _ = Contact.objects.get_or_create(
        email="bench-sla@example.invalid", defaults={"name": "Bench SLA customer"}
    )
    agents = []
    for i in range(AGENTS):
        agent, created = User.objects.get_or_create(
            email=f"bench-sla-agent-{i}@kefu.bench",
            defaults={
                "kind": UserKind.STAFF,
                "role": Role.AGENT_L1,
                "display_name": f"SLA agent {i}",
            },
        )
        if created:
            agent.teams.add(team)
        agents.append(agent)
    supervisor, created = User.objects.get_or_create(
        email="bench-sla-supervisor@kefu.bench",
        defaults={
            "kind": UserKind.STAFF,
            "role": Role.SUPERVISOR,
            "display_name": "SLA supervisor",
        },
    )
    if created:
        supervisor.teams.add(team)
    return contact, agents, team


def seed(n: int, now: datetime, log: Callable[[str], None]) -> float:
    """N open conversations with a breached-due first response (even ones) or a warning-due
    one (odd ones), and a resolution timer due in three days. Returns the seconds taken."""
    started = time.perf_counter()
    contact, agents, team = _people()
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Bench SLA",
        defaults={
            "active": False,  # only the bench's own timers point at it
            "first_response_minutes": 60,
            "resolution_minutes": 3 * 24 * 60,
            "business_time": False,
        },
    )
    created_at = now - timedelta(minutes=55)
    for offset in range(0, n, BATCH):
        count = min(BATCH, n - offset)
        with transaction.atomic():
            conversations = Conversation.objects.bulk_create(
                [
                    Conversation(
                        contact=contact,
                        subject=f"{SUBJECT} {offset + i}",
                        status=Status.OPEN,
                        team=team,
                        assignee=agents[(offset + i) % len(agents)],
                        created_at=created_at,
                        last_activity_at=created_at,
                        sla_due_at=(
                            now - timedelta(minutes=1)
                            if (offset + i) % 2 == 0
                            else now + timedelta(minutes=5)
                        ),
                    )
                    for i in range(count)
                ]
            )
            timers = []
            for i, conversation in enumerate(conversations):
                late = (offset + i) % 2 == 0
                first_due = now - timedelta(minutes=1) if late else now + timedelta(minutes=5)
                timers.append(
                    SlaTimer(
                        conversation=conversation,
                        kind=TimerKind.FIRST_RESPONSE,
                        policy=policy,
                        target_seconds=3600,
                        business_time=False,
                        warn_percent=80,
                        state=TimerState.RUNNING,
                        started_at=first_due - timedelta(hours=1),
                        due_at=first_due,
                        warn_at=first_due - timedelta(minutes=12),
                    )
                )
                timers.append(
                    SlaTimer(
                        conversation=conversation,
                        kind=TimerKind.RESOLUTION,
                        policy=policy,
                        target_seconds=3 * 86400,
                        business_time=False,
                        warn_percent=80,
                        state=TimerState.RUNNING,
                        started_at=created_at,
                        due_at=created_at + timedelta(days=3),
                        warn_at=created_at + timedelta(days=3) * 0.8,
                    )
                )
            SlaTimer.objects.bulk_create(timers)
        if (offset // BATCH) % 4 == 3:
            log(f"  seeded {offset + count:,} conversations")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SlaTimer._meta.db_table}")
            cursor.execute(f"ANALYZE {Conversation._meta.db_table}")
    return time.perf_counter() - started


def run_sla_bench(*, conversations: int, reset: bool, log: Callable[[str], None]) -> SlaBenchReport:
    now = clock.now()
    if reset:
        log("removing earlier Bench SLA data …")
        _reset()
    log(f"seeding {conversations:,} open conversations with 2 running timers each …")
    seed_seconds = seed(conversations, now, log)
    alerts_before = SlaAlert.objects.count()
    timeline_before = TimelineEntry.objects.count()
    log("evaluating …")
    started = time.perf_counter()
    result = sla_evaluate(now=now)
    evaluate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    idle = sla_evaluate(now=now)
    idle_seconds = time.perf_counter() - started
    if idle.breached or idle.warned:
        raise RuntimeError("a second run found work: a timer was claimed twice")
    return SlaBenchReport(
        conversations=conversations,
        timers=2 * conversations,
        seed_seconds=seed_seconds,
        evaluate_seconds=evaluate_seconds,
        breached=len(result.breached),
        warned=len(result.warned),
        idle_seconds=idle_seconds,
        alerts=SlaAlert.objects.count() - alerts_before,
        timeline=TimelineEntry.objects.count() - timeline_before,
        vendor=connection.vendor,
        cpus=os.cpu_count() or 0,
        load=os.getloadavg(),
        machine=f"{platform.machine()} {platform.system()} {platform.release()}",
    )


def markdown(report: SlaBenchReport) -> str:
    load = " / ".join(f"{x:.2f}" for x in report.load)
    return "\n".join(
        [
            f"| SLA worker, {report.conversations:,} open conversations "
            f"({report.timers:,} running timers), {report.vendor} | value |",
            "|---|---|",
            f"| Evaluate everything due ({report.breached:,} breaches + {report.warned:,} "
            f"warnings, {report.alerts:,} alerts, {report.timeline:,} timeline entries) "
            f"| {report.evaluate_seconds:.2f} s |",
            "| Evaluate again, nothing due (a steady worker tick) "
            f"| {report.idle_seconds * 1000:.1f} ms |",
            f"| Seeding (not part of the target) | {report.seed_seconds:.1f} s |",
            f"| Machine | {report.cpus} CPUs, {report.machine}, load average {load} |",
            "",
        ]
    )
