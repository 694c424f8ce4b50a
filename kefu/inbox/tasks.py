"""Channel jobs: one attempt at an inbound event or an outbound delivery, and the periodic
dispatcher that re-drives retries that fell due (kefu.ops.periodic)."""

from __future__ import annotations

import logging

from django_tasks import task

from kefu.inbox import delivery, inbound, mailboxes

log = logging.getLogger(__name__)


@task()
def process_inbound_event(*, event_pk: int, attempts: int) -> str:
    """Process a stored inbound event once (a stale or duplicated job does nothing)."""
    return inbound.inbound_process(event_pk=event_pk, attempts=attempts)


@task()
def deliver_outbound(*, delivery_pk: int, attempts: int) -> str:
    """Make one attempt at an outbound delivery (a stale or duplicated job does nothing)."""
    return delivery.delivery_attempt(delivery_pk=delivery_pk, attempts=attempts)


@task()
def dispatch_due_channels() -> int:
    """Periodic: queue inbound events and outbound deliveries whose next attempt is due,
    and prune old finished events and unclaimed early receipts."""
    queued = 0
    for pk, attempts in inbound.events_due():
        process_inbound_event.enqueue(event_pk=pk, attempts=attempts)
        queued += 1
    for pk, attempts in delivery.deliveries_due():
        deliver_outbound.enqueue(delivery_pk=pk, attempts=attempts)
        queued += 1
    pruned = inbound.inbound_prune() + delivery.early_receipts_prune()
    if queued or pruned:
        log.info("channels: %s due attempts queued, %s old rows pruned", queued, pruned)
    return queued


@task()
def poll_mailboxes() -> int:
    """Periodic: poll every IMAP mailbox that is due (each claimed, so workers never overlap)."""
    return len(mailboxes.mailboxes_poll_due())


@task()
def poll_mailbox(*, mailbox_pk: int) -> str:
    """Poll one mailbox now (the backoffice's "poll now"); nothing if another worker is on it."""
    outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox_pk)
    if outcome is None:
        return "not claimed"
    return "ok" if outcome.ok else "failed"
