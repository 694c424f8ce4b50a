from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from kefu.contacts.phones import normalise_phone


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
    # ``phone`` in E.164 ("" when it is not a possible number), kept in step by save(): what a
    # caller's number is matched on (kefu.inbox.calls).
    phone_e164 = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
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
        indexes = [
            # Contacts are found by address case-insensitively (``email__iexact``: UPPER() on
            # PostgreSQL), on every mail from a new sender: without it, a scan of all contacts.
            models.Index(Upper("email"), name="contact_email_upper"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.uid or f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_e164 = normalise_phone(self.phone)
        fields = kwargs.get("update_fields")
        if fields is not None and "phone" in fields and "phone_e164" not in fields:
            kwargs["update_fields"] = [*fields, "phone_e164"]
        super().save(*args, **kwargs)
