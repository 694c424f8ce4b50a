"""The secret guard in the receive path: what a customer sends is screened before it is stored.

Seed phrases, private keys, API secrets, passwords and one-time codes in a customer's message
and subject are replaced with ``█████`` (kefu.guard.detect finds them); an attachment whose
text holds one (PDF text, plain text; images are not read) is not kept at all. The services
store only the screened text, and tell the customer in their language what to do now.

Staff replies go the other way: one that asks the customer for such a secret is refused
(:class:`GuardBlocked`) unless a supervisor or admin overrides it with a reason.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.conversations.attachments import UploadedFile, _safe_name, type_of
from kefu.core.errors import ValidationFailed

MAX_PDF_PAGES = 30
MAX_EXTRACT_CHARS = 200_000

# What each kind of secret is called in the messages shown to customers and staff.
KIND_NAMES = {
    "seed_phrase": gettext_lazy("a wallet recovery (seed) phrase"),
    "private_key": gettext_lazy("a private key"),
    "api_secret": gettext_lazy("an API secret key"),
    "password": gettext_lazy("a password"),
    "otp_code": gettext_lazy("a two-factor (2FA) code"),
}


@dataclass(frozen=True)
class Screened:
    """A customer's message after screening: what may be stored, and what was found (never the
    secrets themselves: only their kinds, counts and the names of the withheld files)."""

    body: str
    subject: str
    attachments: tuple[UploadedFile, ...]
    kinds: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.kinds)


class GuardBlocked(ValidationFailed):
    """A staff reply asks the customer for a secret; a supervisor may override with a reason."""

    code = "guard_blocked"


def pdf_text(data: bytes) -> str:
    """The text of a PDF (at most 30 pages, 200,000 characters); "" if it cannot be read."""
    from pypdf import PdfReader

    parts: list[str] = []
    total = 0
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # an owner-password-only PDF opens; a locked one raises
        for page in reader.pages[:MAX_PDF_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
            if total >= MAX_EXTRACT_CHARS:
                break
    except Exception:  # any broken or hostile PDF is simply "no text"
        return ""
    return "\n".join(parts)[:MAX_EXTRACT_CHARS]


def attachment_text(upload: UploadedFile) -> str:
    """The text the guard reads from a file: a PDF's text, or a plain-text file's contents.
    Images (and anything else) give "": they are not OCR'd."""
    kind = type_of(upload)
    if kind == "application/pdf":
        return pdf_text(upload.content)
    if kind is not None:
        return ""  # an image
    head = upload.content[: MAX_EXTRACT_CHARS * 4]
    if b"\x00" in head[:8192]:
        return ""  # binary
    try:
        return head.decode("utf-8")[:MAX_EXTRACT_CHARS]
    except UnicodeDecodeError:
        return head.decode("utf-8", errors="ignore")[:MAX_EXTRACT_CHARS]


def screen_inbound(
    *, body: str, subject: str = "", attachments: Sequence[UploadedFile] = ()
) -> Screened:
    """Redact secrets in ``body`` and ``subject`` and withhold attachments that hold one."""
    from kefu.guard.detect import scan

    found: list[str] = []
    body_scan = scan(body)
    subject_scan = scan(subject) if subject else None
    found += [f.kind for f in body_scan.findings]
    if subject_scan is not None:
        found += [f.kind for f in subject_scan.findings]
    kept: list[UploadedFile] = []
    withheld: list[str] = []
    for upload in attachments:
        name = _safe_name(upload.filename)
        name_scan = scan(name)
        kinds = [f.kind for f in name_scan.findings]
        text = attachment_text(upload)
        if text:
            kinds += [f.kind for f in scan(text).findings]
        if kinds:
            found += kinds
            withheld.append(name_scan.redacted if name_scan.findings else name)
        else:
            kept.append(upload)
    return Screened(
        body=body_scan.redacted if body_scan.findings else body,
        subject=subject_scan.redacted if subject_scan and subject_scan.findings else subject,
        attachments=tuple(kept),
        kinds=tuple(dict.fromkeys(found)),
        withheld=tuple(withheld),
        counts=dict(Counter(found)),
    )


def kind_name(kind: str) -> str:
    return str(KIND_NAMES.get(kind, kind))


def _advice(kind: str) -> str:
    if kind in ("seed_phrase", "private_key"):
        return _(
            "Treat that wallet as exposed: move all funds from it to a new wallet, with a new "
            "recovery phrase, now."
        )
    if kind == "password":
        return _("Change your password now, and turn on two-factor authentication if it is not on.")
    if kind == "otp_code":
        return _(
            "Never share two-factor codes with anyone. If you also gave someone your password, "
            "change it now."
        )
    if kind == "api_secret":
        return _("Delete that API key now and create a new one if you need it.")
    return ""


def customer_notice(kinds: Sequence[str], withheld: Sequence[str], language: str) -> str:
    """The system message that tells the customer, in ``language``, what was hidden and what
    to do now (Markdown)."""
    with translation.override(language or "en"):
        names = ", ".join(kind_name(k) for k in kinds)
        lines = [
            _(
                "For your safety we hid part of your message: it looked like %(what)s. "
                "Our support team will never ask for your password, two-factor codes, private "
                "keys or recovery phrase."
            )
            % {"what": names},
        ]
        for kind in kinds:
            advice = _advice(kind)
            if advice and f"- {advice}" not in lines:
                lines.append(f"- {advice}")
        if withheld:
            lines.append(
                _("We did not keep these files because they contain a secret: %(names)s.")
                % {"names": ", ".join(withheld)}
            )
        return "\n\n".join(lines)


def blocked_error(kind: str) -> GuardBlocked:
    """The error for a staff reply that asks the customer for a secret of ``kind``."""
    message = _(
        "This reply asks the customer for %(what)s. Support never asks for that, so it was not "
        "sent: rewrite it without the request."
    ) % {"what": kind_name(kind)}
    return GuardBlocked(message, fields={"body": [message]})
