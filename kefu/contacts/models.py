from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VipTier(models.IntegerChoices):
    STANDARD = 0, _("Standard")
    VIP1 = 1, _("VIP 1")
    VIP2 = 2, _("VIP 2")
    VIP3 = 3, _("VIP 3")


class Contact(models.Model):
    """A customer of the exchange, however they reach us."""

    uid = models.CharField(
        _("exchange account id"), max_length=64, unique=True, null=True, blank=True
    )
    email = models.EmailField(_("email"), unique=True, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    language = models.CharField(_("preferred language"), max_length=8, default="en")
    vip_tier = models.PositiveSmallIntegerField(
        _("VIP tier"), choices=VipTier.choices, default=VipTier.STANDARD
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name or self.email or self.uid or f"#{self.pk}"
