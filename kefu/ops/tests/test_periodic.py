"""The worker's periodic scheduler: each due job is enqueued once, then again after its period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from kefu.core import clock
from kefu.ops import periodic
from kefu.ops.models import PeriodicJobState

RUNS: list[str] = []


@task()
def record_run() -> None:
    RUNS.append("ran")


JOB = periodic.PeriodicJob("test.record", f"{__name__}.record_run", timedelta(minutes=10))


@pytest.fixture(autouse=True)
def _reset_runs():
    RUNS.clear()
    yield
    RUNS.clear()


@pytest.fixture
def at(monkeypatch):
    current = {"now": timezone.now()}
    monkeypatch.setattr(clock, "now", lambda: current["now"])

    def move(**delta: float):
        current["now"] += timedelta(**delta)
        return current["now"]

    return move


def test_a_new_job_runs_at_once_and_then_once_per_period(db, at):
    assert periodic.run_due([JOB]) == ["test.record"]
    assert periodic.run_due([JOB]) == []
    at(minutes=9)
    assert periodic.run_due([JOB]) == []
    at(minutes=1)
    assert periodic.run_due([JOB]) == ["test.record"]
    assert RUNS == ["ran", "ran"]


def test_two_workers_claiming_the_same_run_get_it_once(db, at):
    now = at()
    assert periodic.claim(JOB, now) is True
    assert periodic.claim(JOB, now) is False
    state = PeriodicJobState.objects.get(name="test.record")
    assert state.next_run_at == now + JOB.every
    assert state.last_enqueued_at == now


def test_a_job_that_cannot_be_loaded_does_not_stop_the_others(db, at):
    missing = periodic.PeriodicJob("test.missing", "kefu.ops.tests.nowhere.task", timedelta(1))

    assert periodic.run_due([missing, JOB]) == ["test.record"]
    assert RUNS == ["ran"]


def test_every_scheduled_job_names_a_task_that_takes_no_arguments():
    for job in periodic.SCHEDULE:
        loaded = import_string(job.task)
        assert hasattr(loaded, "enqueue"), job.task
        assert job.every >= timedelta(seconds=10)
    assert len({job.name for job in periodic.SCHEDULE}) == len(periodic.SCHEDULE)


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_thread_enqueues_due_jobs_until_stopped():
    scheduler = periodic.Scheduler(interval=0.05, schedule=[JOB])
    scheduler.start()
    try:
        for _ in range(100):
            if RUNS:
                break
            scheduler.stopped.wait(0.05)
    finally:
        scheduler.stop()
        scheduler.join(timeout=5)
    assert RUNS == ["ran"]
    assert not scheduler.is_alive()
