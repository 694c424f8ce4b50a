"""The portal's sign-in security: the sign-in code form, and the account page's anti-phishing
code, recent devices and password sections (forms and the context they render with)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.antiphishing import MAX_LENGTH
from kefu.accounts.devices import login_devices_recent
from kefu.portal.access import Customer
from kefu.portal.forms import PortalForm


class LoginCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_(
            "The six-digit code from your authenticator app, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class AntiPhishingForm(PortalForm):
    code = forms.CharField(
        label=_("Anti-phishing code"),
        max_length=MAX_LENGTH,
        required=False,
        help_text=_(
            "4 to 20 letters, digits or Chinese characters. Leave it empty to stop using one."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class PasswordChangeForm(PortalForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_("At least 8 characters. Do not reuse your exchange password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def security_context(customer: Customer, **bound: forms.Form) -> dict[str, Any]:
    """What the account page's security sections need; ``bound`` replaces a blank form with
    one that failed (keys: antiphishing_form, password_form)."""
    return {
        "antiphishing_form": bound.get("antiphishing_form")
        or AntiPhishingForm(initial={"code": customer.user.antiphishing_code}),
        "password_form": bound.get("password_form") or PasswordChangeForm(),
        "devices": login_devices_recent(customer.user),
    }
