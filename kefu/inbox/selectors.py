"""Reads for the channel pipeline's admin page."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import NotFound
from kefu.inbox.models import EmailMailbox, InboundEvent, InboundState

RECENT = 50


def _require_admin(viewer: User) -> None:
    if not permissions.can_manage_api_keys(viewer):
        raise NotFound()


def inbound_failed_list(*, viewer: User) -> QuerySet[InboundEvent]:
    """Every failed inbound event, newest first (admins only)."""
    _require_admin(viewer)
    return InboundEvent.objects.filter(state=InboundState.FAILED).defer("payload")


def inbound_recent_list(*, viewer: User) -> QuerySet[InboundEvent]:
    """The latest inbound events in any state (admins only)."""
    _require_admin(viewer)
    return InboundEvent.objects.defer("payload")[:RECENT]


def inbound_event_get(*, viewer: User, pk: int) -> InboundEvent:
    _require_admin(viewer)
    event = InboundEvent.objects.filter(pk=pk).first()
    if event is None:
        raise NotFound()
    return event


def mailbox_list(*, viewer: User) -> QuerySet[EmailMailbox]:
    """Every IMAP mailbox (admins only)."""
    _require_admin(viewer)
    return EmailMailbox.objects.defer("password_sealed").order_by("address")


def mailbox_get(*, viewer: User, pk: int) -> EmailMailbox:
    _require_admin(viewer)
    mailbox = EmailMailbox.objects.filter(pk=pk).first()
    if mailbox is None:
        raise NotFound()
    return mailbox
