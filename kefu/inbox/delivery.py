"""Outbound: public replies on a channel with an adapter, queued then delivered by the worker.

``delivery_queue`` runs inside ``message_reply``'s transaction (through
``conversations.services._notify_customer``): it creates the ``OutboundDelivery`` row, marks
the message ``queued`` and enqueues ``deliver_outbound`` on commit. Only public replies by
staff, the assistant or the system are delivered: internal notes never reach an adapter, and a
message that came from a channel (it has an ``external_id``) is never echoed back.

``delivery_attempt`` makes one attempt: claimed by a conditional UPDATE on ``attempts`` (a
duplicated or stale job does nothing), sent outside any transaction, then recorded. Retryable
failures wait (the provider's ``retry_after`` when it gives one, else exponential backoff) and
the periodic ``dispatch_due_channels`` job sends them again, up to ``MAX_ATTEMPTS``; a
permanent failure, or the last attempt, marks it ``failed`` with the reason, shown on the
message in the agent workspace. ``delivery_receipt`` applies what the provider later says
about a sent message (delivered, read, failed), for any part of it (``DeliveryPart``), even
when it arrives before the send was recorded (``EarlyReceipt``). Every change of a message's
delivery state is published on commit to the conversation's staff audience
(``message.delivery``), so open workspace pages update the label without a reload; customers
never hear it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from kefu.audit.services import audit_record
from kefu.conversations.models import (
    AuthorKind,
    Channel,
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
)
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import PermanentError, RetryableError
from kefu.core.jobs import enqueue_on_commit
from kefu.core.observability import metrics
from kefu.inbox.adapters import get_adapter
from kefu.inbox.adapters.base import (
    DeliveryReceipt,
    OutboundAttachment,
    OutboundMessage,
    RateLimitedError,
)
from kefu.inbox.models import (
    ChannelIdentity,
    DeliveryPart,
    EarlyReceipt,
    OutboundDelivery,
    OutboundState,
)
from kefu.realtime import events
from kefu.realtime.publish import publish

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Wait after attempt 1, 2, ...: 30 s, 2 min, 10 min, 30 min, 2 h.
RETRY_DELAYS = (30, 120, 600, 1800, 7200)


# A claimed attempt that never reports (the worker died) is tried again after this long.
def attempt_lease() -> timedelta:
    """How long a claimed attempt may run before it is presumed lost (default two minutes)."""
    return timedelta(seconds=float(settings.KEFU_CHANNEL_ATTEMPT_LEASE_SECONDS))


ERROR_MAX = 300
# A receipt for an id no delivery has recorded yet waits this long for it.
EARLY_RECEIPT_HOURS = 24


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])


def delivery_queue(*, conversation: Conversation, message: Message) -> bool:
    """Queue ``message`` for the conversation's channel; False if no adapter serves it.

    Call inside the transaction that stored the message; the job is enqueued on commit.
    """
    adapter = get_adapter(conversation.channel)
    if adapter is None or not getattr(adapter, "sends_replies", True):
        return False  # e.g. phone: the customer is answered by email
    if (
        message.kind != MessageKind.REPLY
        or message.author_kind == AuthorKind.CUSTOMER
        or message.external_id
    ):
        return True  # nothing to send, and no email either: the channel is the customer's
    delivery = OutboundDelivery.objects.create(
        message=message,
        channel=conversation.channel,
        created_at=clock.now(),
        next_attempt_at=clock.now() + attempt_lease(),
    )
    Message.objects.filter(pk=message.pk).update(delivery_status=DeliveryStatus.QUEUED)
    message.delivery_status = DeliveryStatus.QUEUED
    from kefu.inbox.tasks import deliver_outbound

    enqueue_on_commit(deliver_outbound, delivery_pk=delivery.pk, attempts=0)
    return True


def _claim(delivery_pk: int, attempts: int) -> OutboundDelivery | None:
    now = clock.now()
    claimed = OutboundDelivery.objects.filter(
        pk=delivery_pk, attempts=attempts, state=OutboundState.QUEUED
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + attempt_lease())
    if not claimed:
        return None
    return OutboundDelivery.objects.select_related("message__conversation").get(pk=delivery_pk)


def _outbound(delivery: OutboundDelivery) -> OutboundMessage:
    message = delivery.message
    identity = (
        ChannelIdentity.objects.filter(
            channel=delivery.channel, contact_id=message.conversation.contact_id
        )
        .exclude(thread_key="")
        .order_by("-linked", "-pk")
        .first()
    )
    thread_key = identity.thread_key if identity is not None else ""
    if not thread_key and delivery.channel == Channel.EMAIL:
        thread_key = message.conversation.contact.email or ""  # e.g. a web form's address
    if not thread_key:
        raise PermanentError("the customer has no chat on this channel")
    files = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            files.append(
                OutboundAttachment(attachment.filename, attachment.content_type, handle.read())
            )
    return OutboundMessage(
        thread_key=thread_key,
        text=message.body,
        attachments=tuple(files),
        conversation_id=message.conversation_id,
        message_id=message.pk,
    )


def _publish_state(message: Message, status: str) -> None:
    """Tell the staff watching the conversation that the message's delivery state changed."""
    publish(
        events.MessageDeliveryChanged(
            conversation_id=message.conversation_id,
            message_id=message.pk,
            status=status,  # type: ignore[arg-type]  # a DeliveryStatus value
        )
    )


def _record(
    delivery: OutboundDelivery, *, state: str, error: str = "", wait: timedelta | None = None
) -> None:
    now = clock.now()
    with transaction.atomic():
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            state=state,
            last_error=error[:ERROR_MAX],
            next_attempt_at=now + wait if wait is not None else None,
        )
        statuses: dict[str, str] = {
            OutboundState.SENT: DeliveryStatus.SENT,
            OutboundState.FAILED: DeliveryStatus.FAILED,
        }
        status = statuses.get(state, DeliveryStatus.QUEUED)
        Message.objects.filter(pk=delivery.message_id).update(delivery_status=status)
        if status != delivery.message.delivery_status:
            _publish_state(delivery.message, status)
        if state == OutboundState.FAILED:
            audit_record(
                actor=Actor.system("channels"),
                action="message.delivery_failed",
                object_type="conversation",
                object_id=delivery.message.conversation_id,
                data={"message": delivery.message_id, "channel": delivery.channel, "error": error},
            )


def delivery_attempt(*, delivery_pk: int, attempts: int) -> str:
    """Make one attempt at a delivery queued after ``attempts`` attempts; return the outcome.

    Idempotent: a stale or duplicated job (the row moved on) does nothing ("skipped").
    """
    delivery = _claim(delivery_pk, attempts)
    if delivery is None:
        return "skipped"
    adapter = get_adapter(delivery.channel)
    try:
        if adapter is None or not adapter.is_configured():
            raise PermanentError(f"the {delivery.channel} channel is not configured")
        result = adapter.send(_outbound(delivery))
    except PermanentError as exc:
        _record(delivery, state=OutboundState.FAILED, error=str(exc))
        metrics.delivery_attempted(channel=delivery.channel, outcome="failed")
        return "failed"
    except Exception as exc:  # retryable, or a bug (e.g. a missing file): retried with a bound
        error = str(exc) if isinstance(exc, RetryableError) else repr(exc)
        if not isinstance(exc, RetryableError):
            log.exception("delivery %s: sending failed", delivery.pk)
        if delivery.attempts >= MAX_ATTEMPTS:
            _record(delivery, state=OutboundState.FAILED, error=error)
            metrics.delivery_attempted(channel=delivery.channel, outcome="failed")
            return "failed"
        wait = retry_delay(delivery.attempts)
        if isinstance(exc, RateLimitedError):
            wait = max(timedelta(seconds=exc.retry_after), timedelta(seconds=1))
        _record(delivery, state=OutboundState.QUEUED, error=error, wait=wait)
        metrics.delivery_attempted(channel=delivery.channel, outcome="retry")
        log.info("delivery %s attempt %s failed; retrying in %s", delivery.pk, attempts + 1, wait)
        return "retry"
    with transaction.atomic():
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            state=OutboundState.SENT,
            provider_message_id=result.provider_message_id[:128],
            sent_at=clock.now(),
            next_attempt_at=None,
            last_error="",
        )
        DeliveryPart.objects.bulk_create(
            DeliveryPart(delivery=delivery, channel=delivery.channel, provider_message_id=pid[:128])
            for pid in dict.fromkeys(result.other_ids)
        )
        # A receipt may have raced ahead of this update (the provider answered, then called
        # the webhook): only a queued message becomes "sent".
        moved = Message.objects.filter(
            pk=delivery.message_id, delivery_status=DeliveryStatus.QUEUED
        ).update(delivery_status=DeliveryStatus.SENT, customer_notified_at=clock.now())
        if moved:
            _publish_state(delivery.message, DeliveryStatus.SENT)
        _apply_early_receipts(delivery.channel, [result.provider_message_id, *result.other_ids])
    metrics.delivery_attempted(channel=delivery.channel, outcome="sent")
    return "sent"


# How far a message has got; a receipt never moves it back (they may arrive out of order).
_PROGRESS: dict[str, int] = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}
_RECEIPTS: dict[str, str] = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def _delivery_for(channel: str, provider_message_id: str) -> OutboundDelivery | None:
    """The delivery (locked, with its message) that sent this provider id, as its first part
    or a later one."""
    found = (
        OutboundDelivery.objects.select_for_update()
        .select_related("message")
        .filter(channel=channel, provider_message_id=provider_message_id)
        .first()
    )
    if found is not None:
        return found
    part = DeliveryPart.objects.filter(
        channel=channel, provider_message_id=provider_message_id
    ).first()
    if part is None:
        return None
    return (
        OutboundDelivery.objects.select_for_update()
        .select_related("message")
        .filter(pk=part.delivery_id)
        .first()
    )


def delivery_receipt(
    *, channel: str, receipt: DeliveryReceipt, keep_if_unknown: bool = True
) -> OutboundDelivery | None:
    """Apply the provider's status for a message we sent; the delivery, or None if unknown.

    Matched on the provider's message ids stored when it was sent (every part of it). Sent,
    delivered and read only move forward; "failed" (before the customer got it) marks the
    delivery failed with the provider's reason, audited like a failed attempt. A receipt for
    an id not recorded yet is kept (``EarlyReceipt``) and applied when it is.
    """
    status = _RECEIPTS.get(receipt.status)
    if status is None or not receipt.provider_message_id:
        return None
    provider_message_id = receipt.provider_message_id[:128]
    with transaction.atomic():
        row = _delivery_for(channel, provider_message_id)
        if row is None:
            if keep_if_unknown:
                EarlyReceipt.objects.create(
                    channel=channel,
                    provider_message_id=provider_message_id,
                    status=receipt.status,
                    error=(receipt.error or "")[:300],
                    received_at=clock.now(),
                )
            return None
        message = row.message
        current = message.delivery_status
        if status == DeliveryStatus.FAILED:
            if current in (DeliveryStatus.FAILED, DeliveryStatus.DELIVERED, DeliveryStatus.READ):
                return row
            error = receipt.error or "the network reported that the message was not delivered"
            _record(row, state=OutboundState.FAILED, error=error)
            return row
        if current == DeliveryStatus.FAILED or _PROGRESS[status] <= _PROGRESS.get(current, 0):
            return row
        Message.objects.filter(pk=message.pk).update(delivery_status=status)
        message.delivery_status = status
        _publish_state(message, status)
    return row


def _apply_early_receipts(channel: str, provider_message_ids: list[str]) -> None:
    """Apply, in the order they came, the receipts that arrived before these ids were
    recorded, and forget them. Runs in the transaction that records the ids."""
    ids = [pid[:128] for pid in provider_message_ids if pid]
    early = list(
        EarlyReceipt.objects.filter(channel=channel, provider_message_id__in=ids).order_by(
            "received_at", "pk"
        )
    )
    for item in early:
        receipt = DeliveryReceipt(item.provider_message_id, item.status, error=item.error)
        delivery_receipt(channel=channel, receipt=receipt, keep_if_unknown=False)
    if early:
        EarlyReceipt.objects.filter(pk__in=[item.pk for item in early]).delete()


def early_receipts_prune() -> int:
    """Forget receipts kept longer than ``EARLY_RECEIPT_HOURS`` (for messages Kefu did not
    send, e.g. from the provider's own app). Periodic."""
    cutoff = clock.now() - timedelta(hours=EARLY_RECEIPT_HOURS)
    deleted, _detail = EarlyReceipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def delivery_bounced(*, channel: str, provider_message_id: str, reason: str) -> bool:
    """A delivery report (an email bounce) says a sent message never arrived: mark its delivery
    failed, with the reason, on the message the agent sees. False if no delivery has that id."""
    receipt = DeliveryReceipt(provider_message_id, "failed", error=f"bounced: {reason}")
    return (
        bool(provider_message_id)
        and delivery_receipt(channel=channel, receipt=receipt, keep_if_unknown=False) is not None
    )


def deliveries_due(limit: int = 100) -> list[tuple[int, int]]:
    """(pk, attempts) of queued deliveries whose next attempt is due."""
    return list(
        OutboundDelivery.objects.filter(
            state=OutboundState.QUEUED, next_attempt_at__lte=clock.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    )
