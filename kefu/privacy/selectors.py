"""Reads for the privacy pages: administrators only (anyone else gets NotFound), and the
customer's own pending erasure request."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts.models import Role, User
from kefu.contacts.models import Contact
from kefu.core.errors import NotFound
from kefu.privacy.models import ErasureRequest, ErasureState, LegalHold

RECENT = 100


def _require_admin(viewer: User) -> None:
    if not (viewer.is_agent and viewer.role == Role.ADMIN):
        raise NotFound


def hold_list_for_admin(*, viewer: User) -> QuerySet[LegalHold]:
    _require_admin(viewer)
    return LegalHold.objects.select_related("contact", "conversation", "placed_by")


def hold_get_for_admin(*, viewer: User, pk: int) -> LegalHold:
    _require_admin(viewer)
    found = LegalHold.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


def erasure_list_for_admin(*, viewer: User) -> list[ErasureRequest]:
    """Pending requests first (oldest first), then the most recent handled ones."""
    _require_admin(viewer)
    rows = ErasureRequest.objects.select_related("contact", "contact__legal_hold", "decided_by")
    pending = list(rows.filter(state=ErasureState.PENDING).order_by("requested_at", "pk"))
    done = list(rows.exclude(state=ErasureState.PENDING).order_by("-requested_at", "-pk")[:RECENT])
    return pending + done


def erasure_get_for_admin(*, viewer: User, pk: int) -> ErasureRequest:
    _require_admin(viewer)
    found = ErasureRequest.objects.select_related("contact").filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


def erasure_pending_for_customer(*, contact: Contact) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(contact=contact, state=ErasureState.PENDING).first()
