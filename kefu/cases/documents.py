"""Identity documents: checked by their content, re-encoded without metadata, sealed at rest.

An upload is accepted only if its bytes are a JPEG, PNG or WebP image (the file name and the
browser's content type are ignored), it is within the size and pixel limits, and it decodes
completely (a truncated image is refused). It is then re-encoded as a JPEG from the decoded
pixels (after applying the EXIF orientation), so EXIF, GPS, XMP, ICC profiles, comments and
anything appended after the image are dropped. The result is encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) under ``KEFU_CASE_DOCUMENT_KEYS`` — the first key seals, every key
opens (rotation) — or, when none is configured, under a key derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from kefu.conversations.attachments import sniff_type
from kefu.core.errors import ValidationFailed
from kefu.core.secretbox import derive_key

ACCEPTED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is a decompression bomb, not an ID card
MIN_SIDE = 200  # smaller than this cannot show a readable document
MAX_SIDE = 4096  # larger images are scaled down before they are stored
PURPOSE = b"kefu.cases.documents.v1"
OUTPUT_TYPE = "image/jpeg"


class DocumentUnreadable(Exception):
    """No configured key opens the stored document (keys changed or the data is damaged)."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    content: bytes  # JPEG, no metadata
    content_type: str
    width: int
    height: int
    sha256: str


def _fernet_for(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, PURPOSE)))


def _box() -> MultiFernet:
    secrets = list(settings.KEFU_CASE_DOCUMENT_KEYS) or [settings.SECRET_KEY]
    return MultiFernet([_fernet_for(secret) for secret in secrets])


def uses_derived_key() -> bool:
    return not settings.KEFU_CASE_DOCUMENT_KEYS


def seal(content: bytes) -> bytes:
    return _box().encrypt(content)


def unseal(token: bytes) -> bytes:
    try:
        return _box().decrypt(bytes(token))
    except (InvalidToken, TypeError, ValueError) as exc:
        raise DocumentUnreadable from exc


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def clean_image(content: bytes, *, field: str) -> CleanImage:
    """Validate ``content`` as an identity photo and return it re-encoded without metadata.

    ValidationFailed (naming ``field``) for an empty, too large, wrong-type, damaged,
    truncated, too small or too many-pixel image."""
    limit = settings.KEFU_CASE_UPLOAD_MAX_BYTES
    if not content:
        raise _refuse(field, _("The file is empty."))
    if len(content) > limit:
        raise _refuse(
            field, _("The file is larger than %(mb)d MB.") % {"mb": max(1, limit // 2**20)}
        )
    if sniff_type(content) not in ACCEPTED_TYPES:
        raise _refuse(field, _("Upload a photo in JPEG, PNG or WebP format."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format not in {"JPEG", "PNG", "WEBP"}:
                    raise _refuse(field, _("Upload a photo in JPEG, PNG or WebP format."))
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refuse(field, _("The image has too many pixels."))
                image.load()  # decodes every byte: a truncated file fails here
                upright = ImageOps.exif_transpose(image)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(field, _("The image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(field, _("The image is damaged or incomplete.")) from None
    if min(upright.size) < MIN_SIDE:
        raise _refuse(
            field, _("The image is too small to read (at least %(px)d pixels).") % {"px": MIN_SIDE}
        )
    if upright.mode != "RGB":
        if upright.mode in ("RGBA", "LA", "P"):
            background = Image.new("RGB", upright.size, (255, 255, 255))
            rgba = upright.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            upright = background
        else:
            upright = upright.convert("RGB")
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh image from the pixels alone: no exif, icc_profile, comment or xmp is passed on.
    Image.frombytes("RGB", upright.size, upright.tobytes()).save(
        out, format="JPEG", quality=90, optimize=True
    )
    data = out.getvalue()
    return CleanImage(
        content=data,
        content_type=OUTPUT_TYPE,
        width=upright.size[0],
        height=upright.size[1],
        sha256=hashlib.sha256(data).hexdigest(),
    )
