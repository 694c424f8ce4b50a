"""Background jobs of the trends app."""

from __future__ import annotations

from django_tasks import task


@task()
def evaluate_trends() -> None:
    """Periodic: count new conversations per key and hour, and alert on spikes
    (kefu.trends.worker)."""
    from kefu.trends.worker import trends_run

    trends_run()
