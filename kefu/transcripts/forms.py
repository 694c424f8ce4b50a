"""The public verify form."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.transcripts.verify import max_bytes


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Transcript file (PDF or JSON)"),
        error_messages={"required": gettext_lazy("Choose the transcript file to check.")},
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > max_bytes():
            raise forms.ValidationError(
                _("The file is too large: transcripts are at most %(size)s.")
                % {"size": filesizeformat(max_bytes())}
            )
        return upload
