"""The ``demo`` adapter's own tables (a small stand-in for an exchange's back office) and the
diagnosis policy (``DiagnosisPolicy``: the service levels an exchange's admins choose).

Only ``kefu.exchange.adapters.demo`` and the demo seed (``demo_data``) touch the demo tables;
everything else reads the exchange through the connector (``registry.get_connector()``), so
swapping in the ``http`` adapter changes nothing above it. Values mirror
``kefu.exchange.connector``.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.exchange import service_levels
from kefu.exchange.connector import (
    AccountStatus,
    Direction,
    FailureReason,
    FundStatus,
    SecurityEventKind,
)


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(str(m), str(m)) for m in enum]  # type: ignore[attr-defined]


class DemoAccount(models.Model):
    uid = models.CharField(max_length=64, unique=True)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True)
    name = models.CharField(max_length=120, blank=True)
    kyc_level = models.PositiveSmallIntegerField(default=0)
    country = models.CharField(max_length=2, blank=True)
    status = models.CharField(
        max_length=16, choices=_choices(AccountStatus), default=AccountStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=200, blank=True)
    status_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    two_factor_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["uid"]

    def __str__(self) -> str:
        return self.uid


class DemoFundRecord(models.Model):
    ref = models.CharField(max_length=40, unique=True)  # the exchange's record id
    account = models.ForeignKey(DemoAccount, on_delete=models.CASCADE, related_name="fund_records")
    direction = models.CharField(max_length=16, choices=_choices(Direction))
    asset = models.CharField(max_length=16)
    network = models.CharField(max_length=16)
    amount = models.DecimalField(max_digits=36, decimal_places=18)
    fee = models.DecimalField(max_digits=36, decimal_places=18, default=0)
    address = models.CharField(max_length=128)
    memo = models.CharField(max_length=64, blank=True)
    txid = models.CharField(max_length=128, blank=True, db_index=True)
    status = models.CharField(max_length=24, choices=_choices(FundStatus))
    failure_reason = models.CharField(max_length=32, choices=_choices(FailureReason), blank=True)
    confirmations = models.PositiveIntegerField(default=0)
    required_confirmations = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return self.ref


class DemoSecurityEvent(models.Model):
    ref = models.CharField(max_length=40, unique=True)
    account = models.ForeignKey(
        DemoAccount, on_delete=models.CASCADE, related_name="security_events"
    )
    kind = models.CharField(max_length=24, choices=_choices(SecurityEventKind))
    at = models.DateTimeField()
    ip = models.CharField(max_length=45, blank=True)
    device = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=2, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    # The verified case an action came from: actions are idempotent per case reference.
    case_ref = models.CharField(max_length=40, blank=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.ref


def _bounded(name: str) -> list[MinValueValidator | MaxValueValidator]:
    low, high = service_levels.BOUNDS[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


class DiagnosisPolicy(models.Model):
    """The service levels a diagnosis quotes to customers and checks records against. One row
    (pk 1), written by ``services.diagnosis_policy_save``; until then the defaults of
    ``service_levels.DEFAULT`` apply. Read through ``selectors.diagnosis_policy_get``."""

    review_hours = models.PositiveSmallIntegerField(
        _("review time (hours)"),
        default=service_levels.DEFAULT.review_hours,
        validators=_bounded("review_hours"),
    )
    processing_minutes = models.PositiveSmallIntegerField(
        _("sending time (minutes)"),
        default=service_levels.DEFAULT.processing_minutes,
        validators=_bounded("processing_minutes"),
    )
    whitelist_lock_hours = models.PositiveSmallIntegerField(
        _("new whitelist address lock (hours)"),
        default=service_levels.DEFAULT.whitelist_lock_hours,
        validators=_bounded("whitelist_lock_hours"),
    )
    recovery_days = models.PositiveSmallIntegerField(
        _("deposit recovery time (working days)"),
        default=service_levels.DEFAULT.recovery_days,
        validators=_bounded("recovery_days"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("diagnosis policy")
        verbose_name_plural = _("diagnosis policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": low, f"{name}__lte": high}),
                name=f"exchange_policy_{name}_range",
            )
            for name, (low, high) in service_levels.BOUNDS.items()
        ]

    def __str__(self) -> str:
        return "diagnosis policy"

    def levels(self) -> service_levels.ServiceLevels:
        return service_levels.ServiceLevels(
            **{name: getattr(self, name) for name in service_levels.FIELDS}
        )
