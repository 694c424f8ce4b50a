"""Forms of the backoffice's SLA pages: policies, dated calendar exceptions, holiday import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.backoffice.forms import _Form, parse_day_hours
from kefu.contacts.models import VipTier
from kefu.conversations.models import Category, Channel, ConversationType, Priority, Tier
from kefu.sla.models import BusinessCalendar, CalendarException, SlaPolicy

_CHECKS = forms.CheckboxSelectMultiple
POLICY_FIELDS = (
    "name",
    "position",
    "active",
    "priorities",
    "tiers",
    "channels",
    "vip_tiers",
    "categories",
    "conversation_types",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "business_time",
    "calendar",
    "warn_percent",
    "escalate_on_breach",
)


class SlaPolicyForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(
        label=_("Order"), min_value=0, initial=0, help_text=_("Lower first; the first match wins.")
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"), choices=Priority.choices, coerce=int, required=False, widget=_CHECKS
    )
    tiers = forms.TypedMultipleChoiceField(
        label=_("Tiers"), choices=Tier.choices, coerce=int, required=False, widget=_CHECKS
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False, widget=_CHECKS
    )
    vip_tiers = forms.TypedMultipleChoiceField(
        label=_("VIP tiers"), choices=VipTier.choices, coerce=int, required=False, widget=_CHECKS
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, required=False, widget=_CHECKS
    )
    conversation_types = forms.MultipleChoiceField(
        label=_("Conversation types"),
        choices=ConversationType.choices,
        required=False,
        widget=_CHECKS,
        help_text=_("e.g. only complaints, which have their own targets."),
    )
    first_response_minutes = forms.IntegerField(
        label=_("First response (minutes)"), min_value=1, required=False
    )
    next_response_minutes = forms.IntegerField(
        label=_("Next response (minutes)"), min_value=1, required=False
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution (minutes)"), min_value=1, required=False
    )
    business_time = forms.BooleanField(
        label=_("Count business hours only"),
        required=False,
        initial=True,
        help_text=_("Otherwise every minute counts, day and night."),
    )
    calendar = forms.ModelChoiceField(
        label=_("Calendar"),
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label=_("The team's calendar (else the default)"),
    )
    warn_percent = forms.IntegerField(
        label=_("Warn at (percent of the target)"), min_value=1, max_value=99, initial=80
    )
    escalate_on_breach = forms.BooleanField(
        label=_("Escalate automatically when a target is missed"), required=False
    )

    help_texts = {"priorities": _("Leave a condition empty to match anything.")}

    @staticmethod
    def initial_for(policy: SlaPolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in POLICY_FIELDS}


class CalendarExceptionForm(_Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarException.Kind.choices)
    hours = forms.CharField(
        label=_("Hours (open days)"),
        required=False,
        max_length=300,
        help_text=_("e.g. 09:00-18:00; leave empty for a closed day."),
    )
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    def clean_hours(self) -> list[list[str]]:
        return parse_day_hours(self.cleaned_data.get("hours") or "")


class HolidayImportForm(_Form):
    file = forms.FileField(
        label=_("Holiday file (CSV or iCalendar)"),
        help_text=_(
            "CSV lines: date,kind,hours,name — e.g. 2026-10-01,closed,,National Day or "
            "2026-10-10,open,09:00-18:00,Make-up working day. iCalendar: all-day events close "
            "their days; events named 补班 or 'working day' open them."
        ),
    )


class TeamCalendarForm(_Form):
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams that work to this calendar"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=_CHECKS,
    )
