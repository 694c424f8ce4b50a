"""Automation rules: when conditions then actions, policy edited in the backoffice.
See docs/subsystems/automation.md."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.conversations.models import Category, Channel, Conversation, Priority, Status, Tag


class Trigger(models.TextChoices):
    CREATED = "created", _("A conversation is created")
    CUSTOMER_MESSAGE = "customer_message", _("The customer writes")
    WAITING = "waiting", _("Checked every minute (time conditions)")


class AutomationRule(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    trigger = models.CharField(_("when"), max_length=20, choices=Trigger.choices)
    # Conditions (blank / empty: any).
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True
    )
    has_tag = models.ForeignKey(
        Tag,
        verbose_name=_("has tag"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    text_contains = models.CharField(_("text contains"), max_length=100, blank=True)
    vip_only = models.BooleanField(_("VIP customers only"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, blank=True)
    waiting_minutes = models.PositiveIntegerField(
        _("waiting longer than (minutes)"), null=True, blank=True
    )
    # Actions (blank / empty: none).
    add_tag = models.ForeignKey(
        Tag,
        verbose_name=_("add tag"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=Priority.choices, null=True, blank=True
    )
    route_to_team = models.ForeignKey(
        Team,
        verbose_name=_("route to team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # An alert to the assignee and the team's supervisors (live badge) and an internal note.
    notify = models.CharField(
        _("notify the assignee and team supervisors"), max_length=500, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A rule fired on a conversation for a trigger: at most once (the unique constraint is
    the idempotency and the loop guard)."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="firings")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=20)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "conversation", "trigger"], name="automation_fires_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.conversation_id}"
