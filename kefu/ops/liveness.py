"""Worker liveness: jobs claimed by a worker that died are run again (ADR 0027).

The database task backend marks a job RUNNING when a worker claims it and nothing ever
un-claims it: a worker killed with SIGKILL (or on a machine that lost power) left its job
RUNNING for ever, and a job without a domain-level lease of its own (e.g. a reply
notification email) was lost. Every ``kefu worker`` therefore runs a ``Heartbeat`` thread that
records that it is alive every quarter of ``KEFU_WORKER_LEASE_SECONDS`` and, on the same tick,
makes ready again every RUNNING job whose worker has not beaten for a whole lease. Handlers
are idempotent (docs/subsystems/jobs.md), so running a job again is safe. A job that has been
taken back ``MAX_CLAIMS`` times (it kills its worker every time) is marked failed instead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kefu.core import clock
from kefu.ops.models import WorkerHeartbeat

log = logging.getLogger(__name__)

MAX_CLAIMS = 5
RECLAIM_BATCH = 200
LOST = "kefu.ops.liveness.WorkerLost"


def new_worker_id() -> str:
    """A worker id unique across machines and restarts (at most 64 characters)."""
    host = socket.gethostname()[:30]
    return f"{host}-{os.getpid()}-{get_random_string(12)}"


def lease() -> timedelta:
    return timedelta(seconds=float(settings.KEFU_WORKER_LEASE_SECONDS))


def worker_beat(*, worker_id: str, started_at: datetime) -> None:
    """Record that ``worker_id`` is alive now."""
    now = clock.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id, defaults={"started_at": started_at, "seen_at": now}
        )


def worker_forget(*, worker_id: str) -> None:
    """A worker that stops cleanly removes its heartbeat."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def jobs_reclaim(*, now: datetime | None = None) -> tuple[int, int]:
    """Make ready again the RUNNING jobs whose worker is gone; (made ready, marked failed).

    A job is taken back only when it started more than a lease ago and its last worker has no
    heartbeat within the lease. Each change is a conditional UPDATE on the claim it saw
    (``started_at``), so two workers reclaiming at once, or a worker that finishes the job
    meanwhile, never make it run twice.
    """
    now = now or clock.now()
    cutoff = now - lease()
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    stale = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        .order_by("started_at")
        .values_list("pk", "started_at", "worker_ids")[:RECLAIM_BATCH]
    )
    ready = failed = 0
    for pk, started_at, worker_ids in stale:
        if worker_ids and worker_ids[-1] in alive:
            continue  # a long job on a live worker
        claim = DBTaskResult.objects.filter(
            pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at
        )
        if len(worker_ids or []) >= MAX_CLAIMS:
            failed += claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LOST,
                traceback=f"its worker died {len(worker_ids)} times while running it",
            )
            log.error("job %s failed: its worker died %s times", pk, len(worker_ids))
            continue
        moved = claim.update(status=TaskResultStatus.READY)
        ready += moved
        if moved:
            log.warning("job %s: worker %s is gone; the job is ready again", pk, worker_ids[-1:])
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return ready, failed


class Heartbeat(threading.Thread):
    """The worker's liveness thread: beat, then take back dead workers' jobs, every quarter
    of the lease, until stopped."""

    def __init__(self, *, worker_id: str) -> None:
        super().__init__(name="kefu-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.started_at = clock.now()
        self.stopped = threading.Event()

    def tick(self) -> None:
        worker_beat(worker_id=self.worker_id, started_at=self.started_at)
        jobs_reclaim()

    def run(self) -> None:
        interval = max(float(settings.KEFU_WORKER_LEASE_SECONDS) / 4, 0.2)
        while not self.stopped.is_set():
            close_old_connections()
            try:
                self.tick()
            except Exception:  # e.g. the database is briefly unavailable: try next tick
                log.exception("worker heartbeat failed")
            self.stopped.wait(interval)
        try:
            worker_forget(worker_id=self.worker_id)
        except Exception:
            log.exception("worker heartbeat could not be removed")
        connection.close()

    def stop(self) -> None:
        self.stopped.set()
