"""Attachment validation: size limit, type sniffed from the bytes (never the file name),
allow-list of types, stored through Django's storage API."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import puremagic
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

ALLOWED_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}


@dataclass(frozen=True)
class UploadedFile:
    """An attachment as received, before validation."""

    filename: str
    content: bytes
    # The type these bytes were sniffed as, set only by validated_upload() (never by a caller:
    # init=False), so the checks after it (the guard, the service's own validation) skip a
    # second sniff of the same bytes.
    sniffed_type: str | None = field(default=None, init=False, repr=False, compare=False)


@dataclass(frozen=True)
class ValidAttachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    content: ContentFile[bytes]


def sniff_type(content: bytes) -> str | None:
    """The allowed MIME type the bytes really are, or None."""
    try:
        matches = puremagic.magic_string(content[:4096])
    except (puremagic.PureError, ValueError):
        return None
    for match in matches:
        ext = (match.extension or "").lower()
        if ext in ALLOWED_TYPES:
            return ALLOWED_TYPES[ext]
    return None


def type_of(upload: UploadedFile) -> str | None:
    """``sniff_type`` of the upload's bytes (remembered when validated_upload() made it)."""
    if upload.sniffed_type is not None:
        return upload.sniffed_type
    return sniff_type(upload.content)


def validated_upload(upload: UploadedFile) -> UploadedFile:
    """Validate one file (raise ``ValidationFailed`` as ``validate_attachments`` does) and
    return it marked with its sniffed type."""
    [valid] = validate_attachments([upload])
    marked = UploadedFile(filename=upload.filename, content=upload.content)
    object.__setattr__(marked, "sniffed_type", valid.content_type)  # frozen: set once, here
    return marked


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable()).strip()[:120]
    # "", "." and ".." are not file names (storage would refuse them as suspicious).
    return base if base.strip(".") else "file"


def validate_attachments(files: list[UploadedFile]) -> list[ValidAttachment]:
    """Check every file; raise ValidationFailed naming the first bad one (nothing is stored)."""
    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    if len(files) > settings.KEFU_ATTACHMENTS_PER_MESSAGE:
        raise ValidationFailed(
            _("Too many attachments (at most %(n)d).")
            % {"n": settings.KEFU_ATTACHMENTS_PER_MESSAGE},
            fields={"attachments": [_("Too many attachments.")]},
        )
    valid: list[ValidAttachment] = []
    for upload in files:
        name = _safe_name(upload.filename)
        if len(upload.content) == 0:
            raise ValidationFailed(
                _("%(name)s is empty.") % {"name": name},
                fields={"attachments": [_("%(name)s is empty.") % {"name": name}]},
            )
        if len(upload.content) > limit:
            msg = _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": limit // 2**20}
            raise ValidationFailed(msg, fields={"attachments": [msg]})
        content_type = type_of(upload)
        if content_type is None:
            msg = _("%(name)s is not an allowed file type (PNG, JPEG, GIF, WebP or PDF).") % {
                "name": name
            }
            raise ValidationFailed(msg, fields={"attachments": [msg]})
        valid.append(
            ValidAttachment(
                filename=name,
                content_type=content_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=ContentFile(upload.content, name=name),
            )
        )
    return valid
