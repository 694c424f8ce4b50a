"""The assistant acting in live chat: one session per conversation, and where hand-offs go.

The dialogue itself (``dialogue.respond``) is pure and keeps its memory in ``state``; these rows
hold that state between turns plus what analytics needs (turns, outcome). Hand-off routing is
policy an exchange's admins choose, so it lives here in the database, not in settings.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.conversations.models import Conversation

ANY = "*"


class Outcome(models.TextChoices):
    NONE = "", _("In progress")
    RESOLVED = "resolved", _("Resolved by the assistant")
    HANDED_OFF = "handed_off", _("Handed to a person")
    ABANDONED = "abandoned", _("Abandoned")


class AssistantSession(models.Model):
    """The assistant's handling of one live-chat conversation. Written by ``services`` only."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="assistant_session"
    )
    state = models.JSONField(default=dict, blank=True)  # the dialogue's memory (JSON-safe)
    active = models.BooleanField(default=True)
    last_intent = models.CharField(max_length=64, blank=True)
    turns = models.PositiveIntegerField(default=0)
    clarifications = models.PositiveIntegerField(default=0)  # turns that offered intent choices
    answered = models.BooleanField(default=False)  # at least one turn answered (not a hand-off)
    # Idempotency: the newest customer message a turn was taken for (a retried job skips it).
    last_message_id = models.BigIntegerField(null=True, blank=True)
    last_turn_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_at = models.DateTimeField(null=True, blank=True)
    handoff_reason = models.CharField(max_length=32, blank=True)
    handoff_summary = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["active", "updated_at"], name="assistant_sess_active_idx")]

    def __str__(self) -> str:
        return f"assistant session for conversation {self.conversation_id}"


class HandoffRoute(models.Model):
    """Which team gets a hand-off of ``intent`` in ``language`` ("*" matches any).

    The most specific row wins: exact intent and language, then exact intent, then exact
    language, then ``*``/``*``; with no row the chat site's own team takes it.
    """

    intent = models.CharField(
        _("intent"), max_length=64, default=ANY, help_text=_("An intent name, or * for any.")
    )
    language = models.CharField(
        _("language"), max_length=8, default=ANY, help_text=_("zh-hans, en, or * for any.")
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )

    class Meta:
        verbose_name = _("hand-off route")
        verbose_name_plural = _("hand-off routes")
        ordering = ["intent", "language"]
        constraints = [
            models.UniqueConstraint(fields=["intent", "language"], name="assistant_route_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.intent} / {self.language} -> {self.team_id}"
