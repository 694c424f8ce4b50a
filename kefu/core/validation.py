"""Field validation shared by the services: one error shape and one text cleaner, so every
form and API answers bad text the same way."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed


def field_error(field: str, message: str) -> ValidationFailed:
    """A ValidationFailed that names the offending field."""
    return ValidationFailed(message, fields={field: [message]})


def clean_text(
    field: str,
    value: str,
    *,
    limit: int,
    required: bool,
    single_line: bool = False,
    reject_control: bool = False,
) -> str:
    """``value`` stripped, or ValidationFailed on ``field``.

    ``single_line`` folds line breaks and other unprintable characters into single spaces (for
    titles that go into email subjects); ``reject_control`` refuses control characters other
    than tab and line breaks instead of keeping them."""
    value = (value or "").strip()
    if single_line:
        value = " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
    if required and not value:
        raise field_error(field, _("Fill in this field."))
    if len(value) > limit:
        raise field_error(field, _("Use at most %(limit)d characters.") % {"limit": limit})
    if reject_control and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise field_error(field, _("Remove the control characters from this field."))
    return value
