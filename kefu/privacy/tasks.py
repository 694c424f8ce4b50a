"""Privacy jobs: the periodic retention run (kefu.ops.periodic)."""

from __future__ import annotations

import logging

from django_tasks import task

from kefu.core.actor import Actor
from kefu.privacy.services.retention import retention_enforce

log = logging.getLogger(__name__)


@task()
def enforce_retention() -> int:
    """Apply the retention policy (bounded work per run; the next run continues)."""
    report = retention_enforce(actor=Actor.system("retention"))
    if report.changed:
        log.info(
            "retention: %s messages and %s attachments removed",
            report.messages_purged,
            report.attachments_purged,
        )
    return report.messages_purged + report.attachments_purged
