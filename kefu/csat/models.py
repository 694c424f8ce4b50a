"""Satisfaction surveys (one per solve of a conversation) and the follow-up tasks a low rating
creates for supervisors. See docs/subsystems/csat.md."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Conversation


class SurveyPolicy(models.Model):
    """What an exchange's admins choose about surveys (one row, edited in the backoffice)."""

    enabled = models.BooleanField(_("ask customers to rate solved conversations"), default=True)
    answer_days = models.PositiveSmallIntegerField(
        _("days the customer may answer or change the answer"), default=7
    )
    low_rating_at_most = models.PositiveSmallIntegerField(
        _("ratings at or below this create a follow-up task"), default=2
    )

    class Meta:
        verbose_name = _("survey policy")

    def __str__(self) -> str:
        return "survey policy"

    @classmethod
    def current(cls) -> SurveyPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    @property
    def window(self) -> timedelta:
        return timedelta(days=max(1, self.answer_days))


class Survey(models.Model):
    """The question put to the customer after one solve; the answer (if any) lives here too."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="surveys")
    channel = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    # Answers (and changes) are accepted until then; the signed email links expire then too.
    open_until = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    resolved = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    # Set when a later solve asked again: this one can no longer be answered.
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["conversation", "-created_at"], name="csat_conv_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="csat_rating_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"survey #{self.pk} on {self.conversation_id}"

    @property
    def answered(self) -> bool:
        return self.rating is not None


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class FollowUp(models.Model):
    """A supervisor's task after a low rating: review the conversation and contact the customer."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="followup")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="csat_followups"
    )
    status = models.CharField(
        max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="csat_followups",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["status", "-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="csat_followup_idx")]

    def __str__(self) -> str:
        return f"follow-up #{self.pk}"
