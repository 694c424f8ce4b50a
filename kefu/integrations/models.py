from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """What an endpoint may subscribe to. Only public facts: internal notes never leave."""

    CONVERSATION_CREATED = "conversation.created", _("Conversation created")
    CONVERSATION_STATUS_CHANGED = "conversation.status_changed", _("Conversation status changed")
    CONVERSATION_ASSIGNED = "conversation.assigned", _("Conversation assigned")
    MESSAGE_CREATED = "message.created", _("Public reply added")


PING = "ping"  # the test event an admin sends by hand; needs no subscription


class DisabledReason(models.TextChoices):
    NONE = "", _("Active")
    MANUAL = "manual", _("Turned off by an administrator")
    GONE = "gone", _("The receiver answered 410 Gone")
    FAILING = "failing", _("Too many deliveries failed in a row")


class WebhookEndpoint(models.Model):
    """Where Kefu POSTs signed events. The signing secret is stored sealed (AES-GCM with a
    key derived from SECRET_KEY, see ``sealing``), never in plain text."""

    url = models.CharField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)  # EventType values
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(
        max_length=16, choices=DisabledReason.choices, blank=True, default=""
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    secret_sealed = models.TextField()
    # After a rotation the previous secret also signs, until it expires (zero-downtime rollover).
    previous_secret_sealed = models.TextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    consecutive_dead = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # a permanent refusal (4xx), not retried
    DEAD = "dead", _("Gave up")  # retryable failures until the attempt bound


class WebhookDelivery(models.Model):
    """One event for one endpoint. ``delivery_id`` is sent as ``Kefu-Delivery`` and stays the
    same across retries and redeliveries, so receivers can drop duplicates.

    ``version`` is a claim token: a job carries the version it was queued with and only acts
    if the row still has it, so a duplicated or stale job never sends twice.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    # The conversation the payload is about, so erasure and retention can find its copies.
    conversation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    occurred_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id} ({self.state})"
