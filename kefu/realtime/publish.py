"""Publish events after the transaction that caused them commits (only services call this)."""

from __future__ import annotations

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from kefu.realtime import audiences
from kefu.realtime.events import Event

log = logging.getLogger(__name__)


def publish(event: Event) -> None:
    """Deliver ``event`` to its audiences once the current transaction commits.

    Delivery is best effort: a failure is logged and clients catch up from the database.
    """
    transaction.on_commit(partial(_deliver, event))


def _deliver(event: Event) -> None:
    _push(event)
    # Outbound webhooks hear the same committed events (docs/subsystems/webhooks.md). Imported
    # here: integrations reads conversations, which publish through this module.
    from kefu.integrations.emit import on_committed_event

    on_committed_event(event)


def _push(event: Event) -> None:
    try:
        deliveries = audiences.route(event)
        layer = get_channel_layer()
        if layer is None or not deliveries:
            return
        async_to_sync(_send_all)(layer, deliveries)
    except Exception:  # the write already committed; never fail the caller over a push
        log.warning("real-time delivery of %s failed", event.name, exc_info=True)


async def _send_all(layer: object, deliveries: list[audiences.Delivery]) -> None:
    for group, payload in deliveries:
        await layer.group_send(group, {"type": "rt.push", "payload": payload})  # type: ignore[attr-defined]


async def publish_ephemeral(event: Event) -> None:
    """Send a transient signal (typing, viewing) now; nothing is stored."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await _send_all(layer, audiences.route(event))
    except Exception:
        log.warning("real-time signal %s failed", event.name, exc_info=True)
