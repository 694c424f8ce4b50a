"""Forms of the trends pages (input shaping only: the rules are in ``services``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from kefu.status.models import Impact
from kefu.trends.services import POLICY_LIMITS


class IncidentFromAlertForm(forms.Form):
    title_en = forms.CharField(label=gettext_lazy("Title in English"), max_length=200)
    title_zh = forms.CharField(
        label=gettext_lazy("Title in Chinese"), max_length=200, required=False
    )
    impact = forms.ChoiceField(
        label=gettext_lazy("Impact"), choices=Impact.choices, initial=Impact.MINOR
    )
    affected = forms.CharField(
        label=gettext_lazy("Affected assets and networks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("One per line: the asset, then its network, e.g. USDT TRC20."),
    )
    body_en = forms.CharField(label=gettext_lazy("First update in English"), widget=forms.Textarea)
    body_zh = forms.CharField(
        label=gettext_lazy("First update in Chinese"), widget=forms.Textarea, required=False
    )
    is_public = forms.BooleanField(
        label=gettext_lazy("Publish on the status page now"),
        required=False,
        initial=False,
        help_text=gettext_lazy("Leave unticked to save a draft you can publish later."),
    )
    link_conversations = forms.BooleanField(
        label=gettext_lazy("Link the conversations of this spike to the incident"),
        required=False,
        initial=True,
    )


def _number(label: Any, name: str, *, decimal: bool = False, help_text: Any = "") -> forms.Field:
    low, high = POLICY_LIMITS[name]
    if decimal:
        return forms.FloatField(label=label, min_value=low, max_value=high, help_text=help_text)
    return forms.IntegerField(
        label=label, min_value=int(low), max_value=int(high), help_text=help_text
    )


class TrendPolicyForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Raise spike alerts"), required=False)
    min_count = _number(
        gettext_lazy("Minimum conversations in the hour"),
        "min_count",
        help_text=gettext_lazy("Smaller numbers never alert, however unusual."),
    )
    min_increase_percent = _number(
        gettext_lazy("Minimum increase over the usual level (%)"),
        "min_increase_percent",
        help_text=gettext_lazy("200 means three times the usual number."),
    )
    min_score = _number(
        gettext_lazy("Minimum score"),
        "min_score",
        decimal=True,
        help_text=gettext_lazy(
            "How many robust standard deviations above the usual level (4 is rare by chance)."
        ),
    )
    baseline_weeks = _number(
        gettext_lazy("Usual level: same hour of the week, weeks back"), "baseline_weeks"
    )
    baseline_days = _number(
        gettext_lazy("Usual level: same hour of the day, days back"), "baseline_days"
    )
    wait_public = forms.BooleanField(
        label=gettext_lazy("Show the current wait on the contact page"), required=False
    )
    wait_window_hours = _number(
        gettext_lazy("Current wait: conversations opened in the last hours"), "wait_window_hours"
    )
    wait_min_sample = _number(
        gettext_lazy("Current wait: fewest conversations to show a figure"), "wait_min_sample"
    )

    FIELDS = (
        "enabled",
        "min_count",
        "min_increase_percent",
        "min_score",
        "baseline_weeks",
        "baseline_days",
        "wait_public",
        "wait_window_hours",
        "wait_min_sample",
    )
