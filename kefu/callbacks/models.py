"""Phone callbacks: a signed-in customer books a slot, and both sides prove who they are.

A callback holds a seat in its slot while it is requested, verified or completed; cancelling or
missing it frees the seat. Two unique constraints make the limits hold under concurrent
bookings on any database: one open callback per customer, and one callback per (slot, seat).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CallbackStatus(models.TextChoices):
    REQUESTED = "requested", _("Booked")
    VERIFIED = "verified", _("Verified")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


# The only transitions there are. Everything else is refused with a clear error.
TRANSITIONS: dict[str, frozenset[str]] = {
    CallbackStatus.REQUESTED: frozenset(
        {CallbackStatus.VERIFIED, CallbackStatus.CANCELLED, CallbackStatus.MISSED}
    ),
    CallbackStatus.VERIFIED: frozenset({CallbackStatus.COMPLETED}),
    CallbackStatus.COMPLETED: frozenset(),
    CallbackStatus.CANCELLED: frozenset(),
    CallbackStatus.MISSED: frozenset(),
}
OPEN_STATUSES = (CallbackStatus.REQUESTED, CallbackStatus.VERIFIED)


class CallbackSource(models.TextChoices):
    BOOKED = "booked", _("Booked by the customer")
    # A call to a hotline nobody answered (kefu.inbox.calls): the agents owe a call back. It
    # holds no seat in its slot (it was never booked), so it does not limit bookings.
    MISSED_CALL = "missed_call", _("Missed call")


class CallbackPolicy(models.Model):
    """How callbacks are offered (one row; without it the defaults apply). The hours come from
    a business calendar (kefu.sla): the chosen one, else the default calendar."""

    enabled = models.BooleanField(_("offer callbacks"), default=True)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar",
        verbose_name=_("service hours"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    capacity = models.PositiveSmallIntegerField(_("callbacks per slot"), default=2)
    days_ahead = models.PositiveSmallIntegerField(_("days ahead"), default=7)
    lead_minutes = models.PositiveSmallIntegerField(_("minimum notice (minutes)"), default=30)
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace after the slot (minutes)"), default=15
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                name="callbacks_policy_slot_minutes",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=100), name="callbacks_policy_capacity"
            ),
            models.CheckConstraint(
                condition=Q(days_ahead__gte=1, days_ahead__lte=60),
                name="callbacks_policy_days_ahead",
            ),
        ]

    def __str__(self) -> str:
        return "callback policy"


class Callback(models.Model):
    """One booked phone call from an agent to a customer."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="callbacks"
    )
    phone = models.CharField(_("phone number"), max_length=32)  # E.164, validated by the service
    topic = models.CharField(_("topic"), max_length=300)
    language = models.CharField(_("language"), max_length=8, default="en")
    slot_start = models.DateTimeField(_("slot start"))
    slot_end = models.DateTimeField(_("slot end"))
    # 1..capacity while the callback holds a place in its slot; None once cancelled or missed.
    seat = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CallbackStatus.choices, default=CallbackStatus.REQUESTED
    )
    source = models.CharField(
        _("source"), max_length=16, choices=CallbackSource.choices, default=CallbackSource.BOOKED
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Both secrets are sealed (kefu.core.secretbox), not hashed: the portal shows them again
    # every time the customer opens the page, and the workspace shows the phrase to the agent.
    customer_code_sealed = models.TextField()
    agent_phrase_sealed = models.TextField()
    code_attempts = models.PositiveSmallIntegerField(default=0)
    code_renewals = models.PositiveSmallIntegerField(default=0)
    code_expires_at = models.DateTimeField()
    outcome_note = models.TextField(blank=True)
    cancelled_by = models.CharField(max_length=16, blank=True)  # "customer" or "agent"
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot_start", "id"]
        indexes = [models.Index(fields=["status", "slot_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(status__in=["requested", "verified"]),
                name="callbacks_one_open_per_contact",
            ),
            models.UniqueConstraint(
                fields=["slot_start", "seat"],
                condition=Q(seat__isnull=False),
                name="callbacks_one_booking_per_seat",
            ),
        ]

    def __str__(self) -> str:
        return f"callback {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
