"""The registry of official channels and the one-time verification phrases agents give out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.trust import normalise as norm


class ChannelKind(models.TextChoices):
    DOMAIN = norm.DOMAIN, _("Website domain")
    EMAIL = norm.EMAIL, _("Email address")
    EMAIL_DOMAIN = norm.EMAIL_DOMAIN, _("Email sending domain")
    PHONE = norm.PHONE, _("Phone number")
    TELEGRAM = norm.TELEGRAM, _("Telegram account")
    SOCIAL = norm.SOCIAL, _("Social media account")
    STAFF = norm.STAFF, _("Staff member (public staff id)")


class OfficialChannel(models.Model):
    """One official domain, address, number, account or staff id of the exchange.

    ``value`` is normalised (``kefu.trust.normalise.normalise_as``) so lookups are exact;
    ``display`` is how people write it. Staff entries may point at the staff user they
    identify (their public staff id lives here, not on the account)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    value = models.CharField(_("value"), max_length=255)
    display = models.CharField(_("shown as"), max_length=255, blank=True)
    platform = models.CharField(_("platform"), max_length=32, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=120, blank=True)
    label_zh = models.CharField(_("label (Simplified Chinese)"), max_length=120, blank=True)
    note = models.CharField(_("internal note"), max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "platform", "value"], name="trust_channel_unique_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.display or self.value}"

    def label_for(self, language: str) -> str:
        zh = (language or "").lower().startswith("zh")
        first, second = (self.label_zh, self.label_en) if zh else (self.label_en, self.label_zh)
        return first or second


class VerificationPhrase(models.Model):
    """A one-time phrase an agent gave a customer in a conversation, stored only as a hash."""

    phrase_hash = models.CharField(max_length=64, unique=True)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    agent_name = models.CharField(max_length=120)
    staff_id = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"phrase for conversation {self.conversation_id}"
