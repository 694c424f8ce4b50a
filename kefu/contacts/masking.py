"""Personal data as staff see it by default: enough to recognise a customer, not to copy their
details. The full value is shown only on request, and that request is audited
(kefu.contacts.services.contact_reveal).

The API (kefu.api) serves integrations with scoped keys and returns values unmasked; see
docs/subsystems/audit.md.
"""

from __future__ import annotations

import re

from kefu.contacts.models import Contact

MASK = "*"

# Fields of Contact that are masked in the workspace and may be revealed one at a time.
REVEALABLE_FIELDS: tuple[str, ...] = ("email", "phone")

_COUNTRY_CODE = re.compile(r"^\s*(\+\d{1,4})[\s\-.()]+(.*)$")


def mask_email(value: str | None) -> str:
    """``alice@example.com`` -> ``a***@example.com``; the domain stays readable."""
    if not value:
        return ""
    local, at, domain = value.rpartition("@")
    if not at:  # not an address: show its first character only
        return value[:1] + MASK * 3
    return f"{local[:1]}{MASK * 3}@{domain}"


def _mask_digits(digits: str) -> str:
    if len(digits) >= 8:
        return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 5:
        return MASK * (len(digits) - 2) + digits[-2:]
    return MASK * len(digits)


def mask_phone(value: str | None) -> str:
    """``+86 138 1234 8000`` -> ``+86 138****8000``: the country code, the first three and the
    last four digits of the number stay; short numbers keep at most their last two digits."""
    if not value:
        return ""
    match = _COUNTRY_CODE.match(value)
    if match:
        prefix, rest = match.group(1) + " ", match.group(2)
    else:
        prefix, rest = ("+" if value.strip().startswith("+") else ""), value
    digits = "".join(ch for ch in rest if ch.isdigit())
    return prefix + _mask_digits(digits) if digits else MASK * 3


def mask_address(value: str | None) -> str:
    """A postal or wallet address: its first and last four characters (``0x12…cdef``);
    short ones are hidden entirely."""
    if not value:
        return ""
    text = value.strip()
    if len(text) <= 12:
        return MASK * 3
    return f"{text[:4]}…{text[-4:]}"


_MASKERS = {"email": mask_email, "phone": mask_phone}


def masked_value(contact: Contact, field: str) -> str:
    """``field`` of ``contact`` as shown by default ("" when empty)."""
    return _MASKERS[field](getattr(contact, field))


def contact_display_name(contact: Contact) -> str:
    """How staff lists name a customer: the name, else the masked email, the exchange account
    id, or the record number (``str(contact)`` would show the email in full)."""
    if contact.name:
        return contact.name
    if contact.email:
        return mask_email(contact.email)
    return contact.uid or f"#{contact.pk}"
