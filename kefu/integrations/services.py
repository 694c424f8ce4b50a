"""Writes for outbound webhooks: endpoints (admins), deliveries (the event hook, the worker).

Endpoints are managed by administrators only. Each endpoint gets a signing secret made by
Kefu, returned once by ``endpoint_create`` / ``endpoint_rotate_secret`` and stored sealed.
Deliveries are created after the change that caused the event has committed
(``emit.on_committed_event``) and sent by the worker (``delivery.attempt``); the periodic
``deliveries_dispatch_due`` sends retries that fell due and recovers lost jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.core.jobs import enqueue_on_commit
from kefu.core.validation import clean_text, field_error
from kefu.integrations import sealing, targets
from kefu.integrations.models import (
    PING,
    DeliveryState,
    DisabledReason,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)

# A queued job has this long to start before the periodic dispatcher queues the delivery again.
QUEUE_LEASE = timedelta(minutes=5)
# After a rotation the old secret keeps signing (next to the new one) for this long.
ROTATION_GRACE = timedelta(hours=24)
# Delivered and abandoned deliveries are kept this long for the admin page, then deleted.
DELIVERY_KEEP = timedelta(days=30)
DISPATCH_BATCH = 200
PRUNE_BATCH = 1000
ENDPOINTS_MAX = 50


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    """An endpoint and its new signing secret, which is never shown again."""

    endpoint: WebhookEndpoint
    secret: str


# --- helpers ---------------------------------------------------------------------------------


def _require_admin(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not user.is_agent:
        raise PermissionDenied(_("You do not have permission to do that."))
    if user.role != Role.ADMIN:
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(e) for e in events))
    unknown = [e for e in chosen if e not in EventType.values]
    if unknown:
        raise field_error("events", _("Unknown event type: %(name)s.") % {"name": unknown[0][:40]})
    if not chosen:
        raise field_error("events", _("Choose at least one event."))
    return [e for e in EventType.values if e in chosen]  # a stable order


def _url_for_audit(url: str) -> str:
    """The URL without its query string: receivers sometimes put tokens there."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _audit(endpoint: WebhookEndpoint, action: str, actor: Actor, **data: Any) -> None:
    audit_record(
        actor=actor, action=action, object_type="webhook_endpoint", object_id=endpoint.pk, data=data
    )


def _lock(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


def _queue(delivery: WebhookDelivery) -> None:
    from kefu.integrations.tasks import deliver_webhook

    enqueue_on_commit(deliver_webhook, delivery_pk=delivery.pk, version=delivery.version)


# --- endpoints -------------------------------------------------------------------------------


def endpoint_create(
    *, url: str, description: str = "", events: Sequence[str], actor: Actor
) -> EndpointWithSecret:
    """Register a receiver URL for ``events`` and make its signing secret (admins only).

    The secret is returned here once; only its sealed form is stored.
    """
    user = _require_admin(actor)
    url = targets.clean_url(url)
    description = clean_text("description", description, limit=200, required=False)
    chosen = _clean_events(events)
    secret = sealing.new_secret()
    with transaction.atomic():
        if WebhookEndpoint.objects.count() >= ENDPOINTS_MAX:
            raise InvalidTransition(
                _("There are already %(max)d endpoints: delete one first.") % {"max": ENDPOINTS_MAX}
            )
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            description=description,
            events=chosen,
            secret_sealed=sealing.seal(secret),
            created_by=user,
        )
        _audit(endpoint, "webhook.created", actor, url=_url_for_audit(url), events=chosen)
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, description: str, events: Sequence[str], actor: Actor
) -> WebhookEndpoint:
    """Change an endpoint's URL, description or events (admins only). The secret stays."""
    _require_admin(actor)
    url = targets.clean_url(url)
    description = clean_text("description", description, limit=200, required=False)
    chosen = _clean_events(events)
    with transaction.atomic():
        locked = _lock(endpoint)
        changes: dict[str, Any] = {}
        if locked.url != url:
            changes["url"] = _url_for_audit(url)
        if locked.events != chosen:
            changes["events"] = chosen
        if locked.description != description:
            changes["description"] = True
        if not changes:
            return locked
        locked.url, locked.description, locked.events = url, description, chosen
        locked.save(update_fields=["url", "description", "events", "updated_at"])
        _audit(locked, "webhook.updated", actor, **changes)
    return locked


def endpoint_set_active(
    *, endpoint: WebhookEndpoint, active: bool, actor: Actor
) -> WebhookEndpoint:
    """Turn an endpoint on or off (admins only). Turning it on clears the failure count;
    deliveries still pending resume on their schedule."""
    _require_admin(actor)
    with transaction.atomic():
        locked = _lock(endpoint)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        if active:
            locked.disabled_reason, locked.disabled_at, locked.consecutive_dead = "", None, 0
        else:
            locked.disabled_reason, locked.disabled_at = DisabledReason.MANUAL, clock.now()
        locked.save(
            update_fields=[
                "is_active",
                "disabled_reason",
                "disabled_at",
                "consecutive_dead",
                "updated_at",
            ]
        )
        _audit(locked, "webhook.enabled" if active else "webhook.disabled", actor)
    return locked


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: Actor) -> str:
    """Give the endpoint a new signing secret and return it (shown once; admins only).

    The previous secret keeps signing alongside it for ROTATION_GRACE so receivers can switch
    without dropping events. Rotating again within the grace period drops the older one.
    """
    _require_admin(actor)
    secret = sealing.new_secret()
    now = clock.now()
    with transaction.atomic():
        locked = _lock(endpoint)
        locked.previous_secret_sealed = locked.secret_sealed
        locked.previous_secret_expires_at = now + ROTATION_GRACE
        locked.secret_sealed = sealing.seal(secret)
        locked.secret_rotated_at = now
        locked.save(
            update_fields=[
                "previous_secret_sealed",
                "previous_secret_expires_at",
                "secret_sealed",
                "secret_rotated_at",
                "updated_at",
            ]
        )
        _audit(locked, "webhook.secret_rotated", actor)
    return secret


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    """Delete an endpoint and its delivery history (admins only)."""
    _require_admin(actor)
    with transaction.atomic():
        locked = _lock(endpoint)
        _audit(locked, "webhook.deleted", actor, url=_url_for_audit(locked.url))
        locked.delete()


def endpoint_send_ping(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookDelivery:
    """Queue a ``ping`` event to the endpoint, to test the receiver (admins only; the
    endpoint must be on)."""
    user = _require_admin(actor)
    now = clock.now()
    with transaction.atomic():
        locked = _lock(endpoint)
        if not locked.is_active:
            raise InvalidTransition(_("Turn the endpoint on before sending a test event."))
        delivery = WebhookDelivery.objects.create(
            endpoint=locked,
            event_type=PING,
            payload={"endpoint_id": locked.pk, "sent_by": user.pk},
            occurred_at=now,
            created_at=now,
            next_attempt_at=now + QUEUE_LEASE,
        )
        _audit(locked, "webhook.pinged", actor, delivery=str(delivery.delivery_id))
        _queue(delivery)
    return delivery


# --- deliveries ------------------------------------------------------------------------------


def delivery_redeliver(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a delivery again with the same ``Kefu-Delivery`` id and payload (admins only).

    Its attempts start again from zero. The endpoint must be on.
    """
    _require_admin(actor)
    now = clock.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        endpoint = WebhookEndpoint.objects.get(pk=locked.endpoint_id)
        if not endpoint.is_active:
            raise InvalidTransition(_("Turn the endpoint on before sending again."))
        locked.state = DeliveryState.PENDING
        locked.attempts = 0
        locked.version += 1
        locked.next_attempt_at = now + QUEUE_LEASE
        locked.completed_at = None
        locked.save(
            update_fields=["state", "attempts", "version", "next_attempt_at", "completed_at"]
        )
        _audit(endpoint, "webhook.redelivered", actor, delivery=str(locked.delivery_id))
        _queue(locked)
    return locked


def deliveries_create_for_event(
    *,
    event_type: str,
    payload: dict[str, Any],
    occurred_at: datetime,
    conversation_id: int | None,
    endpoints: Sequence[WebhookEndpoint],
) -> list[WebhookDelivery]:
    """Record one pending delivery per endpoint and queue them on commit (the event hook).

    Callers pass only active endpoints subscribed to ``event_type``.
    """
    now = clock.now()
    with transaction.atomic():
        created = [
            WebhookDelivery.objects.create(
                endpoint=endpoint,
                event_type=event_type,
                payload=payload,
                conversation_id=conversation_id,
                occurred_at=occurred_at,
                created_at=now,
                next_attempt_at=now + QUEUE_LEASE,
            )
            for endpoint in endpoints
        ]
        for delivery in created:
            _queue(delivery)
    return created


def deliveries_dispatch_due(*, limit: int = DISPATCH_BATCH) -> int:
    """Queue every pending delivery whose next attempt is due (retries, lost jobs).

    Each is claimed by bumping its version, so a delivery queued twice is sent once.
    """
    from kefu.integrations.tasks import deliver_webhook

    now = clock.now()
    due = list(
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "version")[:limit]
    )
    queued = 0
    for pk, version in due:
        claimed = WebhookDelivery.objects.filter(
            pk=pk, version=version, state=DeliveryState.PENDING
        ).update(version=version + 1, next_attempt_at=now + QUEUE_LEASE)
        if claimed:
            deliver_webhook.enqueue(delivery_pk=pk, version=version + 1)
            queued += 1
    return queued


def deliveries_prune(*, limit: int = PRUNE_BATCH) -> int:
    """Delete finished deliveries older than DELIVERY_KEEP (they hold copies of event data)."""
    cutoff = clock.now() - DELIVERY_KEEP
    old = list(
        WebhookDelivery.objects.filter(completed_at__lt=cutoff)
        .exclude(state=DeliveryState.PENDING)
        .values_list("pk", flat=True)[:limit]
    )
    if not old:
        return 0
    deleted, _counts = WebhookDelivery.objects.filter(pk__in=old).delete()
    return deleted


def deliveries_redact_for_conversations(*, conversation_ids: Sequence[int], actor: Actor) -> int:
    """Delete the stored payloads of deliveries about these conversations (erasure and
    retention call this; caller holds the transaction and writes the audit row).

    Pending ones are stopped: their content is what is being erased.
    """
    if not conversation_ids:
        return 0
    matching = WebhookDelivery.objects.filter(conversation_id__in=list(conversation_ids))
    matching.filter(state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED,
        next_attempt_at=None,
        completed_at=clock.now(),
        last_error="payload erased",
    )
    return matching.update(payload={"redacted": True})
