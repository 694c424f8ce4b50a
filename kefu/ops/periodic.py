"""Periodic jobs: what the worker enqueues on a schedule, and the claim that makes it once.

The schedule is one explicit list below: an app that needs periodic work defines a
``@task()`` in its ``tasks.py`` (no arguments, idempotent, bounded work per run) and adds a
line here. ``kefu worker`` runs a small scheduler thread that calls ``run_due`` every few
seconds; each due job is claimed with a conditional UPDATE on its ``PeriodicJobState`` row
(several workers may poll; only one wins a run) and its task is enqueued on the normal job
queue, where any worker runs it. A job that is still queued when its next run falls due is
simply enqueued again, so jobs must tolerate overlapping runs (lock or claim what they touch).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils.module_loading import import_string

from kefu.core import clock
from kefu.ops.models import PeriodicJobState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    task: str  # dotted path of a django-tasks Task that takes no arguments
    every: timedelta


SCHEDULE: tuple[PeriodicJob, ...] = (
    # Outbound webhooks: retries that fell due, and deliveries whose first job was lost.
    PeriodicJob(
        "webhooks.dispatch_due",
        "kefu.integrations.tasks.dispatch_due_webhooks",
        timedelta(seconds=30),
    ),
    # Channels (Telegram, ...): inbound events and outbound replies whose retry fell due.
    PeriodicJob(
        "channels.dispatch_due",
        "kefu.inbox.tasks.dispatch_due_channels",
        timedelta(seconds=30),
    ),
    # Email: poll the IMAP mailboxes that are due (each mailbox keeps its own interval).
    PeriodicJob("email.poll_mailboxes", "kefu.inbox.tasks.poll_mailboxes", timedelta(seconds=30)),
    # Data retention: purge what the policy says is past its time (bounded per run).
    PeriodicJob("privacy.retention", "kefu.privacy.tasks.enforce_retention", timedelta(hours=1)),
    # Verified cases: expire undecided ones, delete identity documents past their retention.
    PeriodicJob("cases.housekeep", "kefu.cases.tasks.housekeep_cases", timedelta(hours=1)),
    # Automation rules with time conditions ("waiting longer than N minutes").
    PeriodicJob(
        "automation.waiting",
        "kefu.automation.tasks.evaluate_waiting_rules",
        timedelta(minutes=1),
    ),
    # The assistant in live chat: idle sessions become resolved or abandoned (analytics).
    PeriodicJob(
        "assistant.close_idle",
        "kefu.assistant.tasks.close_idle_assistant_sessions",
        timedelta(minutes=5),
    ),
    # SLA timers: warnings and breaches whose moment has come (claimed once across workers).
    PeriodicJob("sla.evaluate", "kefu.sla.tasks.evaluate_sla_timers", timedelta(seconds=30)),
    # Trends: hourly counts of new conversations per key, spike alerts to supervisors.
    PeriodicJob("trends.evaluate", "kefu.trends.tasks.evaluate_trends", timedelta(minutes=5)),
    # Routing: re-offer conversations whose agent has not answered; serve waiting queues.
    PeriodicJob(
        "routing.reoffer", "kefu.routing.tasks.reoffer_stale_conversations", timedelta(seconds=30)
    ),
    # Analytics: facts and rollups for what changed since the last run (bounded per run).
    PeriodicJob(
        "analytics.refresh", "kefu.analytics.tasks.refresh_analytics", timedelta(minutes=1)
    ),
    # Analytics: the weekly PDF report to supervisors (sent once per week, claimed by a row).
    PeriodicJob(
        "analytics.weekly_report", "kefu.analytics.tasks.send_weekly_reports", timedelta(hours=1)
    ),
)


def _ensure_row(job: PeriodicJob, now: datetime) -> None:
    if PeriodicJobState.objects.filter(name=job.name).exists():
        return
    try:
        with transaction.atomic():
            PeriodicJobState.objects.create(name=job.name, next_run_at=now)
    except IntegrityError:  # another worker created it first
        pass


def claim(job: PeriodicJob, now: datetime) -> bool:
    """Take the run of ``job`` that is due at ``now``; False if it is not due or another
    worker took it."""
    _ensure_row(job, now)
    claimed = PeriodicJobState.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.every, last_enqueued_at=now
    )
    return claimed == 1


def run_due(schedule: Sequence[PeriodicJob] = SCHEDULE) -> list[str]:
    """Enqueue every job of ``schedule`` that is due now; return the names enqueued."""
    now = clock.now()
    enqueued: list[str] = []
    for job in schedule:
        try:
            if not claim(job, now):
                continue
            import_string(job.task).enqueue()
        except Exception:  # one broken job must not stop the others
            log.exception("periodic job %s could not be enqueued", job.name)
            continue
        enqueued.append(job.name)
    return enqueued


class Scheduler(threading.Thread):
    """The worker's scheduler thread: ``run_due`` every ``interval`` seconds until stopped."""

    def __init__(self, *, interval: float, schedule: Sequence[PeriodicJob] = SCHEDULE) -> None:
        super().__init__(name="kefu-scheduler", daemon=True)
        self.interval = interval
        self.schedule = schedule
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                names = run_due(self.schedule)
                if names:
                    log.info("periodic jobs enqueued: %s", ", ".join(names))
            except Exception:  # e.g. the database is briefly unavailable: try next tick
                log.exception("periodic scheduler tick failed")
            self.stopped.wait(self.interval)
        connection.close()

    def stop(self) -> None:
        self.stopped.set()
