"""Forms of the backoffice security pages: the two-factor policy and a two-factor reset."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Role


class SecurityPolicyForm(forms.Form):
    required_2fa_roles = forms.MultipleChoiceField(
        label=_("Roles that must use two-factor sign-in"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Staff in these roles are sent to set up an authenticator app before they can use "
            "the workspace, and cannot turn it off."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TwoFactorResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_(
            "For example: lost phone, confirmed by video call. Kept in the audit log. "
            "Check who is asking before you reset: this removes a protection of their account."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
