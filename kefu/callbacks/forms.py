"""Forms of the callback pages. They only shape input; the services decide what is valid."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kefu.callbacks.services import NOTE_MAX, TOPIC_MAX

SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"


def slot_value(start: datetime) -> str:
    """How a slot start travels in a form: UTC, to the minute."""
    return start.astimezone(UTC).strftime(SLOT_FORMAT)


def parse_slot(value: str) -> datetime | None:
    try:
        return datetime.strptime(value or "", SLOT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


class BookForm(forms.Form):
    # Rendered by the template as radio buttons grouped by day.
    slot = forms.CharField(label=_("Time"), max_length=20)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_("With the country code, for example +86 138 0013 8000."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    topic = forms.CharField(
        label=_("What would you like to talk about?"),
        max_length=TOPIC_MAX,
        help_text=_("Never write passwords, codes or your recovery phrase here."),
    )
    language = forms.ChoiceField(label=_("Language of the call"), choices=settings.LANGUAGES)

    def clean_slot(self) -> datetime:
        start = parse_slot(self.cleaned_data["slot"])
        if start is None:
            raise forms.ValidationError(_("Choose a time from the list."))
        return start


# The staff forms only carry input to the services, which do all the validation (so an error
# is said once, in the service's words).


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Code the customer reads to you"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "numeric",
                "spellcheck": "false",
                "maxlength": 20,
                "required": True,
            }
        ),
    )


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("What was done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX, "required": True}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX}),
    )
