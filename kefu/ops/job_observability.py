"""Every background job's log lines carry its job id, and its outcome and duration are counted.

Hooked on django-tasks' ``task_started`` / ``task_finished`` (infrastructure, not domain logic:
the jobs themselves stay explicit calls). A worker runs one job at a time in its thread, so the
context variable set at the start is the one its log records see until the end.
"""

from __future__ import annotations

import logging
import time
from contextvars import Token
from typing import Any

from django_tasks.signals import task_finished, task_started

from kefu.core.observability import metrics
from kefu.core.observability.context import job_id_var

log = logging.getLogger("kefu.jobs")

_running: dict[str, tuple[float, Token[str]]] = {}


def _task_name(task_result: Any) -> str:
    task = getattr(task_result, "task", None)
    return str(getattr(task, "name", "") or getattr(task, "module_path", "") or "unknown")


def on_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    job_id = str(task_result.id)
    _running[job_id] = (time.perf_counter(), job_id_var.set(job_id))


def on_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    job_id = str(task_result.id)
    name = _task_name(task_result)
    outcome = str(getattr(task_result.status, "value", task_result.status))
    metrics.JOBS.labels(task=name, outcome=outcome).inc()
    started = _running.pop(job_id, None)
    if started is None:  # failed before it started (e.g. its function is gone)
        return
    began, token = started
    metrics.JOB_DURATION.labels(task=name).observe(time.perf_counter() - began)
    try:
        job_id_var.reset(token)
    except ValueError:  # finished in another context than it started: just clear
        job_id_var.set("")


def connect() -> None:
    task_started.connect(on_started, dispatch_uid="kefu.ops.job_started")
    task_finished.connect(on_finished, dispatch_uid="kefu.ops.job_finished")
