"""``{% pending_erasure user as pending %}`` for the portal's "Your data" section."""

from __future__ import annotations

from django import template

from kefu.accounts.models import User
from kefu.privacy.models import ErasureRequest
from kefu.privacy.selectors import erasure_pending_for_customer

register = template.Library()


@register.simple_tag
def pending_erasure(user: User) -> ErasureRequest | None:
    contact = getattr(user, "contact", None)
    if contact is None:
        return None
    return erasure_pending_for_customer(contact=contact)
