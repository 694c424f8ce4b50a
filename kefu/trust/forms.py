"""Forms of the check page and of the registry's management pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import User, UserKind
from kefu.trust.models import ChannelKind
from kefu.trust.normalise import MAX_INPUT, PLATFORMS


class CheckForm(forms.Form):
    value = forms.CharField(
        label=_("Website, email address, phone number, account or staff id"),
        max_length=MAX_INPUT,
        help_text=_("Paste it exactly as you received it, e.g. a link, @name or +86 number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class PhraseForm(forms.Form):
    phrase = forms.CharField(
        label=_("Verification phrase"),
        max_length=200,
        help_text=_("The words our agent gave you in the conversation."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ReportForm(forms.Form):
    value = forms.CharField(max_length=MAX_INPUT, widget=forms.HiddenInput)
    email = forms.EmailField(
        label=_("Your email address"),
        required=False,
        help_text=_("So our security team can reply to you."),
    )
    details = forms.CharField(
        label=_("What happened? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, needs_email: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "report_%s")  # the check form on the same page has id_value
        super().__init__(*args, **kwargs)
        if needs_email:
            self.fields["email"].required = True
        else:
            del self.fields["email"]


def _platform_choices() -> list[tuple[str, str]]:
    names = {"x": "X (Twitter)", "wechat": "WeChat"}
    return [("", "—")] + [(p, names.get(p, p.capitalize())) for p in PLATFORMS]


class OfficialChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=255,
        help_text=_(
            "A domain (example.com), an email address, a phone number with +country code, "
            "an @account or profile link, or a staff id such as KF-1024."
        ),
    )
    platform = forms.ChoiceField(
        label=_("Platform (social media accounts)"), choices=_platform_choices, required=False
    )
    label_en = forms.CharField(label=_("Label (English)"), max_length=120, required=False)
    label_zh = forms.CharField(
        label=_("Label (Simplified Chinese)"), max_length=120, required=False
    )
    user = forms.ModelChoiceField(
        label=_("Staff member (staff ids)"),
        queryset=User.objects.none(),
        required=False,
    )
    note = forms.CharField(
        label=_("Internal note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("official channel", "Active"),
        required=False,
        initial=True,
        help_text=_("Untick for a channel that is no longer ours: checks then warn about it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(kind=UserKind.STAFF, is_active=True).order_by(
            "display_name", "email"
        )
