"""The form of the backoffice's email mailbox page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.inbox.models import MailboxAfter, MailboxSecurity


class MailboxForm(forms.Form):
    """Labels sit above their inputs (no colon). The password is never rendered back."""

    address = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The support address whose mail this mailbox receives."),
    )
    host = forms.CharField(label=_("IMAP server"), max_length=255)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(
        label=_("Security"),
        choices=MailboxSecurity.choices,
        initial=MailboxSecurity.SSL,
        help_text=_("SSL/TLS usually uses port 993; STARTTLS uses port 143."),
    )
    username = forms.CharField(label=_("User name"), max_length=255)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        max_length=1000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown. Leave empty to keep the current one."),
    )
    folder = forms.CharField(label=_("Folder to read"), max_length=200, initial="INBOX")
    after = forms.ChoiceField(
        label=_("After processing"), choices=MailboxAfter.choices, initial=MailboxAfter.MOVE
    )
    processed_folder = forms.CharField(
        label=_("Processed folder"),
        max_length=200,
        initial="Processed",
        help_text=_("Created if missing. Used when processed mail is moved."),
    )
    poll_interval_seconds = forms.IntegerField(
        label=_("Poll every (seconds)"), min_value=30, max_value=86400, initial=60
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
