"""Webhook jobs: one attempt at one delivery, and the periodic dispatcher."""

from __future__ import annotations

import logging

from django_tasks import task

from kefu.integrations import delivery, services

log = logging.getLogger(__name__)


@task()
def deliver_webhook(*, delivery_pk: int, version: int) -> str:
    """Make one attempt at a delivery (a stale or duplicated job does nothing)."""
    return str(delivery.attempt(delivery_pk=delivery_pk, version=version))


@task()
def dispatch_due_webhooks() -> int:
    """Periodic (kefu.ops.periodic): queue retries that fell due, and prune old deliveries."""
    queued = services.deliveries_dispatch_due()
    pruned = services.deliveries_prune()
    if queued or pruned:
        log.info("webhooks: %s deliveries queued, %s old ones pruned", queued, pruned)
    return queued
