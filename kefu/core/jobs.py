"""Background jobs on Django's tasks API (django-tasks, database backend), with bounded retries.

The database backend is durable (jobs are rows) and lets several workers share one queue
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL). It has no automatic retry, so a job that
raises RetryableError is enqueued again with an exponential delay, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction

from kefu.core import clock
from kefu.core.errors import RetryableError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 5


def backoff_delay(attempt: int) -> timedelta:
    """Delay before attempt ``attempt + 1``: 5 s, 10 s, 20 s, ... capped at one hour."""
    return timedelta(seconds=min(BASE_DELAY_SECONDS * 2 ** (attempt - 1), 3600))


def enqueue_on_commit(task: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` once the current transaction commits (never for rolled-back work)."""
    transaction.on_commit(lambda: task.enqueue(**kwargs))


def run_with_retry(task: Any, func: Callable[[], None], *, attempt: int, **kwargs: Any) -> None:
    """Run ``func``; on RetryableError re-enqueue ``task`` with backoff, up to MAX_ATTEMPTS."""
    try:
        func()
    except RetryableError:
        if attempt >= MAX_ATTEMPTS:
            log.warning("job %s gave up after %s attempts", task.name, attempt)
            raise
        delay = backoff_delay(attempt)
        log.info("job %s attempt %s failed; retrying in %s", task.name, attempt, delay)
        task.using(run_after=clock.now() + delay).enqueue(attempt=attempt + 1, **kwargs)
