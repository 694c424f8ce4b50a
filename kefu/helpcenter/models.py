"""Official contact options: how customers reach the exchange's real support (and nobody else)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContactKind(models.TextChoices):
    CHAT = "chat", pgettext_lazy("contact kind", "Live chat")
    EMAIL = "email", pgettext_lazy("contact kind", "Email")
    PHONE = "phone", pgettext_lazy("contact kind", "Phone")
    TELEGRAM = "telegram", pgettext_lazy("contact kind", "Telegram")
    HELP_CENTER = "help_center", pgettext_lazy("contact kind", "Help center")
    FORUM = "forum", pgettext_lazy("contact kind", "Forum")
    OTHER = "other", pgettext_lazy("contact kind", "Other")


class ContactOption(models.Model):
    """One official way to reach support, shown in both languages in the widget and portal."""

    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    label_en = models.CharField(_("label (English)"), max_length=80)
    label_zh = models.CharField(_("label (Simplified Chinese)"), max_length=80)
    # What the customer reads: an address, a number, a handle. May be empty (e.g. live chat).
    value = models.CharField(_("value"), max_length=200, blank=True)
    # Where a click goes: https://, mailto:, tel: or a path on this site; checked by the service.
    url = models.CharField(_("link"), max_length=500, blank=True)
    hours_note_en = models.CharField(_("hours note (English)"), max_length=200, blank=True)
    hours_note_zh = models.CharField(
        _("hours note (Simplified Chinese)"), max_length=200, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label_en
