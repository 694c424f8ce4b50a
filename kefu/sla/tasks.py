"""Background jobs of the SLA timers."""

from __future__ import annotations

from django_tasks import task


@task()
def evaluate_sla_timers() -> None:
    """Periodic: warn on and breach the timers whose moment has come (kefu.sla.worker)."""
    from kefu.sla.worker import sla_evaluate

    sla_evaluate()
