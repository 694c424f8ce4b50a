"""Template filters that show customers' personal data masked (kefu.contacts.masking)."""

from __future__ import annotations

from django import template

from kefu.contacts.masking import contact_display_name, masked_value
from kefu.contacts.models import Contact

register = template.Library()


@register.filter
def masked(contact: Contact, field: str) -> str:
    """``{{ contact|masked:"email" }}`` -> ``a***@example.com``."""
    return masked_value(contact, field)


@register.filter
def contact_name(contact: Contact) -> str:
    """The customer's name, else their masked email, account id or record number."""
    return contact_display_name(contact)
