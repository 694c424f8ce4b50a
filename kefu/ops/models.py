from __future__ import annotations

from django.db import models


class PeriodicJobState(models.Model):
    """When a periodic job (``kefu.ops.periodic.SCHEDULE``) is next due, shared by every worker.

    Workers claim a run with one conditional UPDATE on ``next_run_at``, so however many
    workers poll, each due run is enqueued once.
    """

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.next_run_at:%Y-%m-%d %H:%M:%S}"


class WorkerHeartbeat(models.Model):
    """A running ``kefu worker``'s last sign of life (``kefu.ops.liveness``).

    A job whose worker has not beaten for ``KEFU_WORKER_LEASE_SECONDS`` is presumed lost
    (the process was killed or its machine died) and is made ready again.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
