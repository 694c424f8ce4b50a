"""Input parsing for the management pages. Rules live in the services; forms only shape input
and offer the choices the manager is allowed to make."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts import permissions
from kefu.accounts.models import Language, Role, Team, User

# What each API scope allows, shown next to its checkbox.
SCOPE_HELP = {
    "customers:read": _("Look up customers"),
    "customers:write": _("Create and update customers"),
    "conversations:read": _("Read conversations and messages"),
    "conversations:write": _("Open conversations and post messages"),
}

# What each macro placeholder is replaced with when an agent inserts the macro.
PLACEHOLDER_HELP = {
    "customer_name": _("The customer's name (or email)"),
    "reference": _("The conversation reference, e.g. KF-000123"),
    "agent_name": _("The name of the agent who sends the reply"),
    "subject": _("The conversation subject"),
}

_password_help = lazy(password_validation.password_validators_help_text_html, str)


def grantable_roles(manager: User) -> list[tuple[str, str]]:
    """The roles ``manager`` may give, as form choices (supervisors: L1 and L2 agents)."""
    return [
        (value, str(label))
        for value, label in Role.choices
        if permissions.can_grant_role(manager, value)
    ]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class _Form(forms.Form):
    """Labels sit above their inputs, so no trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _teams_field() -> forms.ModelMultipleChoiceField[Team]:
    return forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class StaffCreateForm(_Form):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    display_name = forms.CharField(label=_("Display name"), max_length=120)
    role = forms.ChoiceField(label=_("Role"))
    teams = _teams_field()
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        help_text=_password_help(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Not set (follow the browser)")), *Language.choices],
    )

    def __init__(self, *args: Any, manager: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "role", grantable_roles(manager))


class StaffEditForm(_Form):
    display_name = forms.CharField(label=_("Display name"), max_length=120)
    role = forms.ChoiceField(label=_("Role"))
    teams = _teams_field()
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Inactive users cannot sign in and get no new conversations."),
    )

    def __init__(self, *args: Any, manager: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "role", grantable_roles(manager))


class TeamForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=500,
        help_text=_("Separate with commas, e.g. kyc, withdrawals, futures."),
    )

    def clean_skills(self) -> list[str]:
        raw: str = self.cleaned_data.get("skills") or ""
        return [part.strip() for part in raw.split(",") if part.strip()]


class TagForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=50)


class MacroForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body_en = forms.CharField(
        label=_("English text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the English text.")},
    )
    body_zh = forms.CharField(
        label=_("Chinese text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the Chinese text.")},
    )


class ApiKeyForm(_Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("Who or what uses this key, e.g. “Exchange back end”."),
    )
    # Not required here: the service rejects an empty set with its own message.
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (
                scope,
                format_lazy("{} — {}", scope, SCOPE_HELP[scope]) if scope in SCOPE_HELP else scope,
            )
            for scope in permissions.API_SCOPES
        ],
    )


class AuditFilterForm(_Form):
    action = forms.CharField(
        label=pgettext_lazy("audit", "Action"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "staff.updated"}),
    )
    object_type = forms.CharField(
        label=_("Object type"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "user"}),
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
