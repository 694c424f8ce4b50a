"""Portal forms: shape and length checks only. Domain rules live in the services."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Language, User
from kefu.conversations.attachments import ALLOWED_TYPES, UploadedFile
from kefu.conversations.models import Category
from kefu.conversations.services import MAX_BODY_CHARS

ACCEPT = ",".join([*ALLOWED_TYPES, ".jpeg", *sorted(set(ALLOWED_TYPES.values()))])
SUGGESTION_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")
SUGGESTION_TOKENS_MAX = 20
SUGGESTION_FIELD_MAX = 1000


def current_language() -> str:
    """The active UI language if it is one we support, else English."""
    language = (get_language() or "en").lower()
    return language if language in Language.values else Language.EN


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() | {"UTC"})
    return [(name, name.replace("_", " ")) for name in names]


def _attachments_help() -> str:
    return gettext(
        "Optional. Up to %(count)d screenshots or documents (PNG, JPEG, GIF, WebP or PDF), "
        "%(mb)d MB each."
    ) % {
        "count": settings.KEFU_ATTACHMENTS_PER_MESSAGE,
        "mb": settings.KEFU_ATTACHMENT_MAX_BYTES // 2**20,
    }


# Translated and filled in when the page renders, in the reader's language.
_attachments_help_lazy = lazy(_attachments_help, str)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files. Size and count are checked here so oversized uploads are never read;
    the file type is checked by the service, which sniffs the bytes."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault("help_text", _attachments_help_lazy())
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPT

    def clean(self, data: Any, initial: Any = None) -> list[DjangoUploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned: list[DjangoUploadedFile] = []
        for upload in files:
            value = super().clean(upload, initial)
            if value:
                cleaned.append(value)
        if len(cleaned) > settings.KEFU_ATTACHMENTS_PER_MESSAGE:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.")
                % {"count": settings.KEFU_ATTACHMENTS_PER_MESSAGE}
            )
        limit = settings.KEFU_ATTACHMENT_MAX_BYTES
        for upload in cleaned:
            if upload.size is not None and upload.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(mb)d MB.")
                    % {"name": upload.name, "mb": limit // 2**20}
                )
        return cleaned


def read_uploads(files: list[DjangoUploadedFile]) -> list[UploadedFile]:
    """Hand uploads to the service as name + bytes (it validates type, size and count)."""
    return [UploadedFile(filename=f.name or "file", content=f.read()) for f in files]


class PortalForm(forms.Form):
    """Labels without a trailing colon (it reads oddly in Chinese and on mobile)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(PortalForm):
    # The field is called "username" because django-axes counts failures by that form field.
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email, password = cleaned.get("username"), cleaned.get("password")
        if email and password:
            # Passing the request lets django-axes count failures and lock the account out.
            user = authenticate(self.request, username=email, password=password)
            if not isinstance(user, User):
                raise forms.ValidationError(
                    _("The email or password is not correct."),
                    code="invalid_login",
                )
            self.user = user
        return cleaned


class SignupForm(PortalForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters. Do not reuse your exchange password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = current_language()


class RequestForm(PortalForm):
    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", _("Choose a topic")), *Category.choices],
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=MAX_BODY_CHARS,
        help_text=_(
            "What happened, when, and what you expected. Never share your password, "
            "2FA codes, private keys or seed phrase."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    tx_id = forms.CharField(
        label=_("Transaction ID (optional)"),
        max_length=128,
        required=False,
        help_text=_(
            "The transaction hash or the exchange's order ID, if your request is about a "
            "deposit or withdrawal."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    asset = forms.CharField(
        label=_("Asset (optional)"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "USDT", "autocapitalize": "characters"}),
    )
    network = forms.CharField(
        label=_("Network (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "TRC20"}),
    )
    attachments = AttachmentsField()
    # Filled in by request_suggest.js with the tokens of the help-center suggestions shown
    # while the request was typed (space-separated, newest last).
    suggestion_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_suggestion_token(self) -> list[str]:
        """The well-formed tokens, newest last. Lenient on purpose: a mangled value must never
        stop a request (a hidden field's error would not even be shown)."""
        raw = str(self.cleaned_data.get("suggestion_token") or "")[:SUGGESTION_FIELD_MAX]
        tokens = [t for t in raw.split() if SUGGESTION_TOKEN.fullmatch(t)]
        return list(dict.fromkeys(tokens))[-SUGGESTION_TOKENS_MAX:]


class ReplyForm(PortalForm):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = AttachmentsField()


class PreferencesForm(PortalForm):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    timezone = forms.ChoiceField(
        label=_("Timezone"),
        help_text=_("Dates and times are shown in this timezone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = timezone_choices()
