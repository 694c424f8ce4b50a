"""Send one delivery: claim it, POST the signed body, record what the receiver said.

Status codes: 2xx delivered; 410 Gone turns the endpoint off; 408, 429 and 5xx, timeouts and
network errors are retried with exponential backoff and jitter (MAX_ATTEMPTS over about a
day, then "dead"); any other answer (3xx, 4xx) is a permanent failure. After
DISABLE_AFTER_DEAD dead deliveries in a row the endpoint is turned off.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.db.models import F

from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.integrations import sealing, signing, targets, transport
from kefu.integrations.models import (
    DeliveryState,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_ATTEMPTS = 8
# Wait after attempt 1, 2, ... 7: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h (about 22 h in all).
RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
JITTER = 0.2  # each wait is stretched or shrunk by up to 20%, so retries do not stampede
# A claimed attempt that never reports (the worker died) is sent again after this long.
ATTEMPT_LEASE = timedelta(minutes=2)
DISABLE_AFTER_DEAD = 5
ERROR_MAX = 300
RETRYABLE_STATUSES = frozenset({408, 429})


class Outcome(StrEnum):
    SKIPPED = "skipped"  # not ours to send (stale job, finished, endpoint off)
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    FAILED = "failed"
    DEAD = "dead"


def retry_delay(attempt: int, *, rand: float | None = None) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based)."""
    base = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    r = random.random() if rand is None else rand  # noqa: S311 - jitter, not security
    return timedelta(seconds=base * (1 + JITTER * (2 * r - 1)))


def body_for(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed): the same for every attempt of a delivery."""
    document = {
        "id": str(delivery.delivery_id),
        "type": delivery.event_type,
        "occurred_at": delivery.occurred_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, then the previous one while its grace period lasts."""
    found = [sealing.unseal(endpoint.secret_sealed)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed and expires is not None and expires > clock.now():
        with contextlib.suppress(sealing.SecretUnavailable):  # an old, unreadable one is dropped
            found.append(sealing.unseal(endpoint.previous_secret_sealed))
    return found


def _claim(delivery_pk: int, version: int) -> WebhookDelivery | None:
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_pk,
        version=version,
        state=DeliveryState.PENDING,
        endpoint__is_active=True,
    ).update(
        version=version + 1,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + ATTEMPT_LEASE,
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_pk)


def _disable(endpoint_pk: int, reason: str, **data: object) -> None:
    """Turn an endpoint off on the receiver's behalf, recorded as a system action."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_pk)
        if not endpoint.is_active:
            return
        endpoint.is_active = False
        endpoint.disabled_reason = reason
        endpoint.disabled_at = clock.now()
        endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at", "updated_at"])
        audit_record(
            actor=Actor.system("webhooks"),
            action="webhook.auto_disabled",
            object_type="webhook_endpoint",
            object_id=endpoint.pk,
            data={"reason": reason, **data},
        )


def _finish(
    delivery: WebhookDelivery,
    *,
    state: str,
    status: int | None,
    error: str,
) -> bool:
    """Write the result if the row is still ours; False if someone else moved it on."""
    now = clock.now()
    done = state != DeliveryState.PENDING
    updated = WebhookDelivery.objects.filter(pk=delivery.pk, version=delivery.version).update(
        state=state,
        version=delivery.version + 1,
        last_status_code=status,
        last_error=error[:ERROR_MAX],
        completed_at=now if done else None,
        next_attempt_at=None if done else now + retry_delay(delivery.attempts),
    )
    return updated == 1


def attempt(*, delivery_pk: int, version: int) -> Outcome:
    """Make one attempt at a delivery queued with ``version``.

    Idempotent: a job whose version is stale, or whose delivery is finished or whose endpoint
    is off, does nothing. The HTTP request runs outside any transaction.
    """
    delivery = _claim(delivery_pk, version)
    if delivery is None:
        return Outcome.SKIPPED
    endpoint = delivery.endpoint
    try:
        secrets = signing_secrets(endpoint)
    except sealing.SecretUnavailable:
        _finish(
            delivery,
            state=DeliveryState.FAILED,
            status=None,
            error="the signing secret cannot be read (was SECRET_KEY changed?): rotate it",
        )
        return Outcome.FAILED
    body = body_for(delivery)
    headers = [
        ("Kefu-Event", delivery.event_type),
        ("Kefu-Delivery", str(delivery.delivery_id)),
        ("Kefu-Attempt", str(delivery.attempts)),
        ("Kefu-Signature", signing.header(secrets, int(time.time()), body)),
    ]
    status: int | None = None
    retry = False
    error = ""
    try:
        status = transport.post(
            endpoint.url, body, headers, allow_private=targets.private_allowed()
        ).status
    except transport.AddressRefused:
        error = "the host resolves to a private or loopback address"
    except transport.DeliveryTimeout:
        retry, error = True, "timed out"
    except transport.DeliveryNetworkError as exc:
        retry, error = True, f"connection failed: {exc}"
    if status is not None:
        if 200 <= status < 300:
            if _finish(delivery, state=DeliveryState.SUCCEEDED, status=status, error=""):
                WebhookEndpoint.objects.filter(pk=endpoint.pk, consecutive_dead__gt=0).update(
                    consecutive_dead=0
                )
            return Outcome.SUCCEEDED
        retry = status in RETRYABLE_STATUSES or status >= 500
        error = f"HTTP {status}"
    if not retry:
        _finish(delivery, state=DeliveryState.FAILED, status=status, error=error)
        if status == 410:
            _disable(endpoint.pk, DisabledReason.GONE, delivery=str(delivery.delivery_id))
        return Outcome.FAILED
    if delivery.attempts < MAX_ATTEMPTS:
        _finish(delivery, state=DeliveryState.PENDING, status=status, error=error)
        return Outcome.RETRY
    if _finish(delivery, state=DeliveryState.DEAD, status=status, error=error):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_dead=F("consecutive_dead") + 1
        )
        dead = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list(
            "consecutive_dead", flat=True
        )[0]
        if dead >= DISABLE_AFTER_DEAD:
            _disable(endpoint.pk, DisabledReason.FAILING, dead_in_a_row=dead)
    return Outcome.DEAD
