from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation


class RetentionPolicy(models.Model):
    """How long Kefu keeps customer content (one row, edited by administrators).

    Empty means "keep". The audit log is not governed here: it is the legal record and is
    always kept.
    """

    message_days = models.PositiveIntegerField(
        _("message text of closed conversations (days)"), null=True, blank=True
    )
    attachment_days = models.PositiveIntegerField(
        _("attachments of closed conversations (days)"), null=True, blank=True
    )
    # Applies once Kefu stores identity documents (KYC); nothing is enforced for it yet.
    identity_document_days = models.PositiveIntegerField(
        _("identity documents (days)"), null=True, blank=True
    )
    # What an erasure keeps because the exchange must (anti-money-laundering record keeping):
    # the exchange account id links the support history to the exchange's own KYC records, and
    # transaction ids are financial records. Both default to kept; docs/subsystems/privacy.md.
    erasure_keeps_account_id = models.BooleanField(
        _("erasure keeps the exchange account id"), default=True
    )
    erasure_keeps_transaction_ids = models.BooleanField(
        _("erasure keeps transaction ids"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return "retention policy"

    @classmethod
    def load(cls) -> RetentionPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class ConversationPurge(models.Model):
    """What retention has removed from one conversation, and when (makes the job idempotent:
    a conversation reopened and closed again after a purge is purged again)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="retention_purge"
    )
    messages_purged_at = models.DateTimeField(null=True, blank=True)
    attachments_purged_at = models.DateTimeField(null=True, blank=True)
    messages_purged = models.PositiveIntegerField(default=0)
    attachments_purged = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"purge of {self.conversation_id}"


class LegalHold(models.Model):
    """Keep everything about one customer, or one conversation: blocks erasure and retention
    (e.g. an open fraud or security investigation, a court order). Exactly one is set."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="legal_hold"
    )
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="legal_hold"
    )
    reason = models.CharField(_("reason"), max_length=300)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    placed_at = models.DateTimeField()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(contact__isnull=False, conversation__isnull=True)
                    | models.Q(contact__isnull=True, conversation__isnull=False)
                ),
                name="privacy_hold_one_subject",
            )
        ]

    def __str__(self) -> str:
        if self.contact_id is not None:
            return f"hold on contact {self.contact_id}"
        return f"hold on conversation {self.conversation_id}"


class ErasureState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    COMPLETED = "completed", _("Erased")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Declined")


class ErasureRequest(models.Model):
    """A request to erase a customer's personal data. It runs when an administrator executes
    it in the backoffice (or ``kefu privacy erase``); a customer under a legal hold cannot be
    erased until the hold is released."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="erasure_requests")
    state = models.CharField(
        max_length=16, choices=ErasureState.choices, default=ErasureState.PENDING
    )
    requested_by_customer = models.BooleanField(default=True)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)  # counts only, never personal data

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(state="pending"),
                name="privacy_one_pending_erasure",
            )
        ]
        indexes = [models.Index(fields=["state", "requested_at"], name="privacy_erasure_state")]

    def __str__(self) -> str:
        return f"erasure of {self.contact_id} ({self.state})"
