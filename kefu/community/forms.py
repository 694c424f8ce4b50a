from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.community.safety import NAME_MAX
from kefu.community.services.posting import BODY_LIMIT, TITLE_LIMIT


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _ImagesField(forms.FileField):
    widget = _MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"})

    def clean(self, data: object, initial: object = None) -> object:
        return data  # the service validates the bytes (type sniffed, size, count)


class AskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_LIMIT)
    body = forms.CharField(
        label=_("Your question"),
        max_length=BODY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Markdown is supported. Never post passwords, 2FA codes, private keys or your "
            "recovery phrase."
        ),
    )
    tags = forms.CharField(
        label=_("Tags (comma separated, optional)"), max_length=200, required=False
    )
    images = _ImagesField(label=_("Images (optional)"), required=False)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=BODY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown is supported."),
    )
    images = _ImagesField(label=_("Images (optional)"), required=False)


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=NAME_MAX)
