"""Forms for verified cases: the public request, and the reviewers' action forms (each carries
the case version the reviewer saw)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kefu.cases.models import CaseKind

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class SubmitForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you need?"), choices=CaseKind.choices, widget=forms.RadioSelect
    )
    email = forms.CharField(
        label=_("Email address of your account"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Or its phone number"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Never write your password, 2FA codes, private keys or seed phrase here."),
    )
    id_document = forms.FileField(
        label=_("Photo of your identity document"),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("The passport or ID card you verified your account with. JPEG, PNG or WebP."),
    )
    selfie = forms.FileField(
        label=_("Selfie holding the same document"),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
        help_text=_("Your face and the document must both be clearly visible."),
    )

    def _file(self, name: str) -> UploadedFile:
        upload = self.cleaned_data[name]
        limit = settings.KEFU_CASE_UPLOAD_MAX_BYTES
        # Refuse by the received size before reading a byte of a huge upload into memory.
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": max(1, limit // 2**20)}
            )
        return upload  # type: ignore[no-any-return]

    def clean_id_document(self) -> UploadedFile:
        return self._file("id_document")

    def clean_selfie(self) -> UploadedFile:
        return self._file("selfie")


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class PrepareForm(VersionForm):
    check_document_name = forms.BooleanField(
        label=_("The document is genuine and its name matches the account's verified (KYC) name"),
        required=False,
    )
    check_selfie = forms.BooleanField(
        label=_("The selfie shows the same person holding the same document"), required=False
    )
    check_security_events = forms.BooleanField(
        label=_("Recent security events show nothing that argues against this request"),
        required=False,
    )
    risk_notes = forms.CharField(
        label=_("Risk notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(VersionForm):
    note = forms.CharField(
        label=_("Note for the reviewer"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason (sent to the customer)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
