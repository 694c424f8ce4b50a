from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.csat.services import MAX_COMMENT_CHARS, MAX_NOTE_CHARS

RATINGS = [(n, str(n)) for n in range(1, 6)]
RESOLVED = [("yes", _("Yes")), ("no", _("No"))]


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating (1 = very unsatisfied, 5 = very satisfied)"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    resolved = forms.ChoiceField(
        label=_("Was your problem resolved?"),
        choices=RESOLVED,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    escalate = forms.BooleanField(
        label=_("My problem is not solved: please escalate it"), required=False
    )

    def resolved_value(self) -> bool | None:
        value = self.cleaned_data.get("resolved")
        return {"yes": True, "no": False}.get(value or "")


class FollowUpCompleteForm(forms.Form):
    note = forms.CharField(
        label=_("What did you do?"),
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
