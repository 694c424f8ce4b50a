"""Routing policy (rules, assignment settings, escalation teams), agents' routing profiles,
assignment offers (for the re-offer job) and customers' escalation requests.

Everything here is policy an exchange's admins choose, so it lives in the database
(docs/subsystems/routing.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import Team
from kefu.conversations.models import Conversation, Priority


class RoutingRule(models.Model):
    """Ordered rule: the first active rule whose conditions all hold picks the team.

    An empty condition list matches anything. ``intents`` match the conversation's category
    (``deposit``, ``withdrawal``, ...) or the assistant's intent label on a hand-off."""

    position = models.PositiveIntegerField(_("position"), default=100)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    intents = models.JSONField(_("intents or categories"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    vip_tiers = models.JSONField(_("VIP tiers"), default=list, blank=True)
    conversation_types = models.JSONField(_("conversation types"), default=list, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )
    priority = models.PositiveSmallIntegerField(
        _("raise priority to"), choices=Priority.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.position}. {self.name} -> {self.team_id}"


class RoutingPolicy(models.Model):
    """The one row (pk 1) of assignment and escalation policy, created on first read."""

    auto_assign_channels = models.JSONField(_("channels assigned automatically"), default=list)
    reoffer_after_seconds = models.PositiveIntegerField(
        _("re-offer when the agent has not answered after (seconds)"), default=180
    )
    l2_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("L2 (senior) team"),
    )
    l3_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("L3 (management) team"),
    )
    customer_escalation_after_hours = models.PositiveIntegerField(
        _("customers may ask to escalate after (hours unsolved)"), default=24
    )
    customer_escalation_cooldown_hours = models.PositiveIntegerField(
        _("hours between a customer's escalation requests"), default=24
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "routing policy"


class AgentRoutingProfile(models.Model):
    """What routing knows about an agent: language skills and the round-robin cursor."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="routing_profile",
    )
    # Language codes the agent answers in (``en``, ``zh-hans``). Empty: any language.
    languages = models.JSONField(_("language skills"), default=list, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"routing profile of {self.user_id}"


class Offer(models.Model):
    """The automatic assignment of a conversation to an agent, awaiting their first answer.

    ``claimed_until`` is the re-offer job's lease: a conditional UPDATE takes it, so two workers
    never re-offer the same conversation."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="routing_offer"
    )
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    offered_at = models.DateTimeField()
    declined_by = models.JSONField(default=list, blank=True)  # agents it was taken from
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["offered_at"], name="routing_offer_at_idx")]

    def __str__(self) -> str:
        return f"offer of {self.conversation_id} to {self.agent_id}"


class EscalationSource(models.TextChoices):
    PORTAL = "portal", _("Customer portal")
    WIDGET = "widget", _("Chat widget")
    EMAIL = "email", _("Email link")
    CSAT = "csat", _("Negative satisfaction rating")


class EscalationState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("escalation request", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("escalation request", "Escalated")
    DECLINED = "declined", pgettext_lazy("escalation request", "Declined")


class EscalationRequest(models.Model):
    """A customer's request to escalate their conversation. One pending at a time."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="escalation_requests"
    )
    reason = models.TextField(_("reason"))
    source = models.CharField(max_length=8, choices=EscalationSource.choices)
    state = models.CharField(
        max_length=8, choices=EscalationState.choices, default=EscalationState.PENDING
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(state="pending"),
                name="routing_one_pending_escalation",
            )
        ]

    def __str__(self) -> str:
        return f"escalation request {self.pk} ({self.state})"
