"""Reads of customers, scoped by who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts.models import User
from kefu.contacts.models import Contact
from kefu.core.errors import NotFound


def contact_get_for_agent(*, user: User, pk: int) -> Contact:
    """Any active agent may look a customer up; the read is audited by the caller's view."""
    if not user.is_agent:
        raise NotFound()
    contact = Contact.objects.filter(pk=pk).first()
    if contact is None:
        raise NotFound()
    return contact


def contact_list_for_agent(*, user: User, query: str = "") -> QuerySet[Contact]:
    if not user.is_agent:
        return Contact.objects.none()
    qs = Contact.objects.all()
    if query:
        q = query.strip().lower()
        qs = qs.filter(email__startswith=q) | qs.filter(uid=query.strip())
    return qs


def contact_get_for_api(*, pk: int) -> Contact:
    """Any customer by id, for an API key (an integration created by an admin)."""
    contact = Contact.objects.filter(pk=pk).first()
    if contact is None:
        raise NotFound()
    return contact


def contact_list_for_api(*, email: str = "", uid: str = "") -> QuerySet[Contact]:
    """Every customer, optionally narrowed to an exact email (case-insensitive) or account id."""
    qs = Contact.objects.all()
    if email:
        qs = qs.filter(email=email.strip().lower())
    if uid:
        qs = qs.filter(uid=uid.strip())
    return qs


def contact_for_user(user: User) -> Contact:
    """The contact behind a signed-in customer."""
    contact = Contact.objects.filter(user=user).first()
    if contact is None:
        raise NotFound()
    return contact
