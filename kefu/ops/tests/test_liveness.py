"""Worker liveness: a job claimed by a worker that stopped beating is made ready again; a job
of a live worker, or one claimed less than a lease ago, is left alone (ADR 0027)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kefu.ops import liveness
from kefu.ops.models import WorkerHeartbeat

RUNS: list[int] = []
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def record(*, n: int) -> None:
    RUNS.append(n)


@pytest.fixture(autouse=True)
def _db_backend(settings):
    settings.KEFU_WORKER_LEASE_SECONDS = 60
    RUNS.clear()
    with override_settings(TASKS=DB_TASKS):
        yield
    RUNS.clear()


def running(n: int, *, worker: str, started_ago: float, claims: int = 1) -> DBTaskResult:
    record.enqueue(n=n)
    row = DBTaskResult.objects.get(args_kwargs__kwargs__n=n)
    row.status = "RUNNING"
    row.started_at = timezone.now() - timedelta(seconds=started_ago)
    row.worker_ids = [f"old-{i}" for i in range(claims - 1)] + [worker]
    row.save()
    return row


def beat(worker: str, *, ago: float) -> None:
    seen = timezone.now() - timedelta(seconds=ago)
    WorkerHeartbeat.objects.create(worker_id=worker, started_at=seen, seen_at=seen)


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_beating_is_ready_again():
    beat("dead", ago=61)
    lost = running(1, worker="dead", started_ago=90)
    never_beat = running(2, worker="pre-heartbeat-worker", started_ago=90)

    assert liveness.jobs_reclaim() == (2, 0)

    lost.refresh_from_db()
    never_beat.refresh_from_db()
    assert (lost.status, never_beat.status) == ("READY", "READY")


@pytest.mark.django_db
def test_a_long_job_on_a_live_worker_and_a_fresh_claim_are_left_alone():
    beat("alive", ago=5)
    long_job = running(1, worker="alive", started_ago=3600)
    fresh = running(2, worker="gone", started_ago=10)

    assert liveness.jobs_reclaim() == (0, 0)

    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}
    assert {long_job.pk, fresh.pk} == set(DBTaskResult.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_a_job_that_killed_its_worker_too_often_fails_instead_of_looping():
    poison = running(1, worker="gone", started_ago=90, claims=liveness.MAX_CLAIMS)

    assert liveness.jobs_reclaim() == (0, 1)

    poison.refresh_from_db()
    assert poison.status == "FAILED"
    assert poison.exception_class_path == liveness.LOST


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_dead_workers_job_once_and_leaves_no_heartbeat_behind():
    running(7, worker="killed", started_ago=120)
    record.enqueue(n=8)

    call_command("worker", batch=True, no_schedule=True, verbosity=0)

    assert sorted(RUNS) == [7, 8]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert not WorkerHeartbeat.objects.exists()  # a clean stop removes its heartbeat
