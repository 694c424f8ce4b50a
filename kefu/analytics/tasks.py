"""Background jobs of analytics: the incremental refresh and the weekly report."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_analytics() -> None:
    """Periodic: bring facts and rollups up to date with what changed (kefu.analytics.services)."""
    from kefu.analytics.services import analytics_refresh

    analytics_refresh()
