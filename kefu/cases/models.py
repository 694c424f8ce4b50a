"""Verified cases: a locked-out customer proves who they are (ID document and a selfie), one
staff member prepares the case, a second, senior one approves it, and only then does Kefu ask
the exchange to unlock the account or reset its two-factor authentication.

The case's life is an explicit state machine (``TRANSITIONS``); every change goes through
``kefu.cases.services`` and bumps ``version``, which each form sends back, so a replayed or
stale action is refused instead of applied twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    UNLOCK = "unlock", _("Unlock my account")
    RESET_2FA = "reset_2fa", _("Reset my two-factor authentication")


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for review")
    IN_REVIEW = "in_review", _("In review")
    PREPARED = "prepared", _("Waiting for approval")
    APPROVED = "approved", _("Approved, action pending")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


OPEN_STATES = (CaseState.SUBMITTED, CaseState.IN_REVIEW, CaseState.PREPARED, CaseState.APPROVED)
CLOSED_STATES = (CaseState.COMPLETED, CaseState.REJECTED, CaseState.EXPIRED)

# Every allowed move. Anything else is refused with a clear error and changes nothing.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.SUBMITTED: frozenset({CaseState.IN_REVIEW, CaseState.REJECTED, CaseState.EXPIRED}),
    CaseState.IN_REVIEW: frozenset(
        {CaseState.SUBMITTED, CaseState.PREPARED, CaseState.REJECTED, CaseState.EXPIRED}
    ),
    CaseState.PREPARED: frozenset(
        {CaseState.IN_REVIEW, CaseState.APPROVED, CaseState.REJECTED, CaseState.EXPIRED}
    ),
    # Approved: the exchange is asked to act; a failed call leaves the case here to be retried
    # (the exchange is idempotent per case reference) or rejected.
    CaseState.APPROVED: frozenset({CaseState.COMPLETED, CaseState.REJECTED}),
    CaseState.COMPLETED: frozenset(),
    CaseState.REJECTED: frozenset(),
    CaseState.EXPIRED: frozenset(),
}


class DocumentKind(models.TextChoices):
    ID_DOCUMENT = "id_document", _("Identity document")
    SELFIE = "selfie", _("Selfie holding the document")


class CasePolicy(models.Model):
    """The exchange's rules for verified cases (one row; defaults when there is none)."""

    review_target_hours = models.PositiveIntegerField(
        _("review target (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("Open cases older than this are flagged in the queue."),
    )
    document_retention_days = models.PositiveIntegerField(
        _("document retention (days)"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
        help_text=_("Identity documents are deleted this many days after the case closes."),
    )
    expire_after_days = models.PositiveIntegerField(
        _("expire open cases after (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Cases nobody decided within this time are closed as expired."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("verified-case policy")
        verbose_name_plural = _("verified-case policies")

    def __str__(self) -> str:
        return f"{self.review_target_hours} h / {self.document_retention_days} d"


class VerificationCase(models.Model):
    kind = models.CharField(max_length=16, choices=CaseKind.choices)
    state = models.CharField(
        max_length=16, choices=CaseState.choices, default=CaseState.SUBMITTED, db_index=True
    )
    version = models.PositiveIntegerField(default=1)
    # What the customer typed; the account it matched (None: no account matches, reject it).
    claimed_email = models.CharField(max_length=254, blank=True)
    claimed_phone = models.CharField(max_length=32, blank=True)
    description = models.TextField(max_length=2000)
    language = models.CharField(max_length=8, default="en")
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verification_cases",
    )
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    # The review checklist, filled in by the preparer.
    check_document_name = models.BooleanField(default=False)
    check_selfie = models.BooleanField(default=False)
    check_security_events = models.BooleanField(default=False)
    risk_notes = models.TextField(max_length=2000, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_reason = models.TextField(max_length=1000, blank=True)
    exchange_ref = models.CharField(max_length=120, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    documents_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"VC-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseDocument(models.Model):
    """One uploaded image, re-encoded without metadata and encrypted at rest."""

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()  # of the stored (re-encoded) image, before encryption
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    ciphertext = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("case", "kind"), name="cases_one_document_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}"


class CaseEvent(models.Model):
    """The case's own history, shown on the review page (the audit log has the same facts)."""

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor_ref = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.action}"
