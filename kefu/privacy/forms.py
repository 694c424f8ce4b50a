"""Backoffice forms for privacy: the retention policy, legal holds, declining an erasure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.privacy.services.retention import DAYS_MAX

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise as _StrPromise


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _days(label: _StrPromise, help_text: _StrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=1, max_value=DAYS_MAX, help_text=help_text
    )


class RetentionPolicyForm(_Form):
    message_days = _days(
        _("Message text of closed conversations (days)"),
        _("After this many days the text is replaced with a notice. Empty: keep forever."),
    )
    attachment_days = _days(
        _("Attachments of closed conversations (days)"),
        _("After this many days files are deleted. Empty: keep forever."),
    )
    identity_document_days = _days(
        _("Identity documents (days)"),
        _("Kefu stores no identity documents yet; this applies once it does."),
    )
    erasure_keeps_account_id = forms.BooleanField(
        label=_("Erasure keeps the exchange account id"),
        required=False,
        help_text=_("Anti-money-laundering rules may require it to link records to KYC files."),
    )
    erasure_keeps_transaction_ids = forms.BooleanField(
        label=_("Erasure keeps transaction ids"),
        required=False,
        help_text=_("Transaction ids are financial records the exchange may have to keep."),
    )


class HoldForm(_Form):
    subject = forms.CharField(
        label=_("Customer or conversation"),
        max_length=254,
        help_text=_("A customer's email or exchange account id, or a reference like KF-000123."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DeclineForm(_Form):
    note = forms.CharField(label=_("Reason for declining"), max_length=300)
