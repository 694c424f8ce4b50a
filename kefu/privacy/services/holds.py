"""Legal holds: keep everything about a customer or a conversation (administrators only).

A held customer cannot be erased and none of their conversations is purged by retention; a
held conversation is skipped by retention and kept intact by an erasure of its customer.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, parse_reference
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import InvalidTransition
from kefu.core.validation import clean_text, field_error
from kefu.privacy.models import LegalHold
from kefu.privacy.services.common import require_admin


def hold_target(value: str) -> Contact | Conversation:
    """The customer (email or exchange account id) or conversation (KF-000123) ``value``
    names, or ValidationFailed on the ``subject`` field."""
    text = (value or "").strip()
    if not text:
        raise field_error("subject", _("Enter a customer's email or account id, or a reference."))
    pk = parse_reference(text) if text.upper().startswith("KF-") else None
    if pk is not None:
        conversation = Conversation.objects.filter(pk=pk).first()
        if conversation is not None:
            return conversation
    contact = (
        Contact.objects.filter(email__iexact=text).first()
        or Contact.objects.filter(uid=text).first()
    )
    if contact is None:
        raise field_error("subject", _("No customer or conversation matches that."))
    return contact


def hold_place(*, subject: Contact | Conversation, reason: str, actor: Actor) -> LegalHold:
    """Put a customer or a conversation under legal hold (administrators only; one hold per
    subject: placing a second one is refused)."""
    user = require_admin(actor)
    reason = clean_text("reason", reason, limit=300, required=True, single_line=True)
    is_contact = isinstance(subject, Contact)
    contact = subject if isinstance(subject, Contact) else None
    conversation = subject if isinstance(subject, Conversation) else None
    try:
        with transaction.atomic():
            hold = LegalHold.objects.create(
                contact=contact,
                conversation=conversation,
                reason=reason,
                placed_by=user,
                placed_at=clock.now(),
            )
            audit_record(
                actor=actor,
                action="legal_hold.placed",
                object_type="contact" if is_contact else "conversation",
                object_id=subject.pk,
                data={"hold": hold.pk, "reason": reason},
            )
    except IntegrityError as exc:
        raise InvalidTransition(_("That is already under a legal hold.")) from exc
    return hold


def hold_release(*, hold: LegalHold, actor: Actor) -> None:
    """End a legal hold (administrators only): retention and erasure apply again."""
    require_admin(actor)
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().filter(pk=hold.pk).first()
        if locked is None:
            return
        is_contact = locked.contact_id is not None
        audit_record(
            actor=actor,
            action="legal_hold.released",
            object_type="contact" if is_contact else "conversation",
            object_id=locked.contact_id if is_contact else locked.conversation_id,
            data={"hold": locked.pk},
        )
        locked.delete()
