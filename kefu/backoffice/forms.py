"""Input parsing for the management pages. Rules live in the services; forms only shape input
and offer the choices the manager is allowed to make."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kefu.accounts import permissions
from kefu.accounts.models import KbRole, Language, Role, Team, User
from kefu.conversations.models import MacroAssign, Priority, Status, Tag
from kefu.helpcenter.languages import help_languages
from kefu.helpcenter.models import ContactKind
from kefu.sla.hours import DAYS
from kefu.sla.models import BusinessCalendar

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
    chat_capacity = forms.IntegerField(
        label=_("Live chat capacity"),
        min_value=0,
        max_value=20,
        required=False,
        help_text=_("How many live chats this agent is offered at once (0: none)."),
    )
    kb_role = forms.ChoiceField(
        label=_("Knowledge base role"),
        required=False,
        choices=KbRole.choices,
        help_text=_("Supervisors and administrators can always edit and publish articles."),
    )
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
    # What applying the macro sets besides inserting its text (empty: leave as it is).
    set_status = forms.ChoiceField(
        label=_("Set the status"),
        required=False,
        choices=lambda: [("", _("Leave as it is")), *Status.choices],
    )
    set_priority = forms.TypedChoiceField(
        label=_("Set the priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=lambda: [("", _("Leave as it is")), *Priority.choices],
    )
    set_team = forms.ModelChoiceField(
        label=_("Route to team"),
        required=False,
        queryset=Team.objects.order_by("name"),
        empty_label=_("Leave as it is"),
    )
    add_tags = forms.ModelMultipleChoiceField(
        label=_("Add tags"),
        required=False,
        queryset=Tag.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )
    assign = forms.ChoiceField(label=_("Assign to"), required=False, choices=MacroAssign.choices)


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


# --- service hours, contact options, chat sites -------------------------------------------

DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
assert tuple(DAY_LABELS) == DAYS

# "09:00-12:00": the dash may be a hyphen, an en or em dash or a tilde; hours may have one digit.
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—~]\s*(\d{1,2}):(\d{2})$")
_RANGE_SEPARATORS = re.compile(r"[,，、;；]")


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() | {"UTC"})
    return [(name, name.replace("_", " ")) for name in names]


def parse_day_hours(text: str) -> list[list[str]]:
    """``"9:00-12:00, 13:00-21:00"`` -> ``[["09:00", "12:00"], ["13:00", "21:00"]]``; the
    service checks that the times and their order make sense."""
    ranges: list[list[str]] = []
    for part in _RANGE_SEPARATORS.split(text or ""):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if match is None:
            raise forms.ValidationError(
                _("Write ranges like 09:00-12:00, 13:00-21:00, or leave empty when closed."),
                code="hours_format",
            )
        start_h, start_m, end_h, end_m = match.groups()
        ranges.append([f"{int(start_h):02d}:{start_m}", f"{int(end_h):02d}:{end_m}"])
    return ranges


def format_day_hours(ranges: list[list[str]]) -> str:
    """The text field's value for one day's stored ranges (malformed pairs are skipped)."""
    return ", ".join(
        f"{pair[0]}-{pair[1]}"
        for pair in ranges
        if isinstance(pair, list | tuple) and len(pair) == 2
    )


class BusinessCalendarForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    timezone = forms.ChoiceField(label=_("Timezone"), choices=timezone_choices)
    is_default = forms.BooleanField(
        label=_("Default calendar"),
        required=False,
        help_text=_("The chat widget and the portal show the default calendar's hours."),
    )
    always_open = forms.BooleanField(
        label=_("Open 24/7"),
        required=False,
        help_text=_("When set, the hours below are kept but not used."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in DAYS:
            self.fields[day] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                max_length=300,
                widget=forms.TextInput(
                    attrs={"placeholder": pgettext_lazy("service hours", "Closed")}
                ),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for day in DAYS:
            if day in cleaned:
                try:
                    cleaned[day] = parse_day_hours(cleaned[day])
                except forms.ValidationError as exc:
                    self.add_error(day, exc)
        return cleaned

    def weekly_hours(self) -> dict[str, list[list[str]]]:
        return {day: self.cleaned_data.get(day) or [] for day in DAYS}

    @staticmethod
    def initial_for(calendar: BusinessCalendar) -> dict[str, Any]:
        hours = calendar.weekly_hours or {}
        return {
            "name": calendar.name,
            "timezone": calendar.timezone,
            "always_open": calendar.always_open,
            "is_default": calendar.is_default,
            **{day: format_day_hours(hours.get(day) or []) for day in DAYS},
        }


class ContactOptionForm(_Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    label_en = forms.CharField(label=_("Label in English"), max_length=80)
    label_zh = forms.CharField(label=_("Label in Chinese"), max_length=80)
    value = forms.CharField(
        label=_("Shown as"),
        max_length=200,
        required=False,
        help_text=_("The address, number or handle customers read, e.g. @DemoExchangeSupport."),
    )
    url = forms.CharField(
        label=_("Link"),
        max_length=500,
        required=False,
        help_text=_("https://…, mailto:…, tel:… or a path on this site such as /help/. Optional."),
    )
    hours_note_en = forms.CharField(
        label=_("Hours note in English"), max_length=200, required=False
    )
    hours_note_zh = forms.CharField(
        label=_("Hours note in Chinese"), max_length=200, required=False
    )
    calendar_id = forms.TypedChoiceField(
        label=_("Service hours calendar"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "The contact page shows this calendar's hours in the customer's timezone and "
            "whether the channel is open now. Without one, the hours notes are shown."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language served"),
        required=False,
        help_text=_("For lines that serve one language, e.g. a Chinese phone hotline."),
    )
    expected_response_minutes = forms.IntegerField(
        label=_("Expected response time (minutes)"),
        min_value=1,
        max_value=7 * 24 * 60,
        required=False,
        help_text=_(
            "How long customers usually wait for a first answer on this channel, shown on "
            "the contact page. Optional."
        ),
    )
    notice_en = forms.CharField(
        label=_("Notice in English"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. changed hours over a public holiday. Optional."),
    )
    notice_zh = forms.CharField(
        label=_("Notice in Chinese"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notice_until = forms.DateField(
        label=_("Show the notice until"),
        required=False,
        # ISO whatever the language: a date input's value is always YYYY-MM-DD.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day the notice is shown. Leave empty to show it until removed."),
    )
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=32767,
        initial=0,
        help_text=_("Lower numbers are listed first."),
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive options are not shown to customers."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        calendars = BusinessCalendar.objects.order_by("name").values_list("pk", "name")
        _set_choices(
            self,
            "calendar_id",
            [
                ("", str(_("No calendar (use the hours notes)"))),
                *((str(pk), name) for pk, name in calendars),
            ],
        )
        _set_choices(
            self,
            "language",
            [
                ("", str(_("All languages"))),
                *((c, self.language_name(c)) for c in help_languages()),
            ],
        )

    @staticmethod
    def language_name(code: str) -> str:
        """``code``'s name in the active language (the code itself if Django doesn't know it)."""
        try:
            return str(get_language_info(code)["name_translated"])
        except KeyError:
            return code


class ChatSiteForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    allowed_origins = forms.CharField(
        label=_("Allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "One per line, scheme and host only, e.g. https://www.example.com. "
            "Leave empty to let any website embed the widget."
        ),
    )
    team = forms.ModelChoiceField(
        label=_("Route chats to team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("No team (every agent)"),
    )
    greeting_en = forms.CharField(
        label=_("Greeting in English"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    greeting_zh = forms.CharField(
        label=_("Greeting in Chinese"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    identity_required = forms.BooleanField(
        label=_("Require verified identity"),
        required=False,
        help_text=_("Only visitors with an identity token signed by your back end may chat."),
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("An inactive site's widget does not connect."),
    )
    assistant_first = forms.BooleanField(
        label=_("Assistant answers first"),
        required=False,
        initial=True,
        help_text=_(
            "New chats are answered by the assistant, which hands them to the team when needed."
        ),
    )

    def clean_allowed_origins(self) -> list[str]:
        raw: str = self.cleaned_data.get("allowed_origins") or ""
        return [line.strip() for line in raw.splitlines() if line.strip()]
