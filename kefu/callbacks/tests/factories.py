"""Test data for callbacks, made through the services."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.callbacks import selectors, services
from kefu.callbacks.models import Callback
from kefu.core import clock


def open_callback(customer: User, *, phone: str = "+8613800138000") -> Callback:
    """The customer's open callback, booked in the first free slot if there is none."""
    contact = customer.contact  # type: ignore[attr-defined]
    existing = selectors.callback_open_for_customer(contact)
    if existing is not None:
        return existing
    slot = selectors.slots_available(now=clock.now())[0]
    return services.callback_book(
        contact=contact,
        phone=phone,
        topic="Withdrawal not received",
        language="en",
        slot_start=slot.start,
        actor=actor_for_user(customer),
    )
