"""Phone numbers in one form (E.164) so a caller can be matched to a customer however either
number was typed: ``+86 138-0013-8000``, ``008613800138000`` (with a default region) and
``+8613800138000`` are the same number."""

from __future__ import annotations

import phonenumbers
from django.conf import settings

MAX_INPUT = 64


def normalise_phone(value: str, region: str | None = None) -> str:
    """``value`` in E.164 (``+8613800138000``), or "" when it is not a possible number.

    A number without a country code is read in ``region`` (default: the setting
    ``KEFU_PHONE_DEFAULT_REGION``); without one it is not normalised."""
    text = (value or "").strip()[:MAX_INPUT]
    if not text:
        return ""
    if region is None:
        region = settings.KEFU_PHONE_DEFAULT_REGION or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
