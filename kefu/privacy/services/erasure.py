"""Erasure of a customer's personal data ("right to be forgotten").

The customer asks in the portal (``erasure_request``); an administrator executes the request
in the backoffice or with ``kefu privacy erase`` (``customer_erase``), or declines it with a
note. Erasure anonymises rather than deletes rows, so conversation numbers, statistics and
the audit log stay consistent:

- the contact's name, email and phone are removed (the exchange account id and transaction
  ids are kept when the retention policy says the exchange must keep them, for AML);
- the portal login is deactivated and its email, name and anti-phishing code removed;
- every message body of the customer's conversations is replaced with a marker, subjects
  too, attachments are deleted with their files, the search index is emptied, chat visitor
  names and emails are removed, and stored webhook payloads about them are redacted.

Kept: conversations under their own legal hold (untouched), conversation metadata and the
audit log (append-only; it records counts, never the erased content). A customer under a
legal hold cannot be erased.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.callbacks.services import callback_erase_for_contact
from kefu.cases.services import cases_erase_for_contact
from kefu.contacts.models import Contact
from kefu.conversations import search
from kefu.conversations.models import Attachment, Conversation, Message, TimelineEntry
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.core.validation import clean_text
from kefu.inbox.inbound import channel_data_erase_for_contact
from kefu.inbox.models import ChatVisitor
from kefu.integrations.services import deliveries_redact_for_conversations
from kefu.privacy.models import ErasureRequest, ErasureState, LegalHold, RetentionPolicy
from kefu.privacy.services.common import (
    ERASED_NAME,
    ERASURE_MARKER,
    delete_files_on_commit,
    marker_html,
    require_admin,
    require_admin_or_system,
)


def _is_held(contact: Contact) -> bool:
    return LegalHold.objects.filter(contact=contact).exists()


def erasure_request(*, contact: Contact, actor: Actor) -> ErasureRequest:
    """Record the customer's request to erase their data (the customer themself only).

    Idempotent: while a request is pending, asking again returns it.
    """
    if actor.kind != ActorKind.CUSTOMER or actor.contact_id != contact.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    with transaction.atomic():
        Contact.objects.select_for_update().get(pk=contact.pk)
        pending = ErasureRequest.objects.filter(contact=contact, state=ErasureState.PENDING).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                request = ErasureRequest.objects.create(
                    contact=contact, requested_by_customer=True, requested_at=clock.now()
                )
        except IntegrityError:  # a concurrent request won
            return ErasureRequest.objects.get(contact=contact, state=ErasureState.PENDING)
        audit_record(
            actor=actor,
            action="erasure.requested",
            object_type="contact",
            object_id=contact.pk,
            data={"request": request.pk},
        )
    return request


def erasure_decline(*, request: ErasureRequest, note: str, actor: Actor) -> ErasureRequest:
    """Decline a pending request with a reason (administrators only; e.g. a legal hold)."""
    user = require_admin(actor)
    note = clean_text("note", note, limit=300, required=True, single_line=True)
    with transaction.atomic():
        locked = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != ErasureState.PENDING:
            raise InvalidTransition(_("This request has already been handled."))
        locked.state = ErasureState.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = user, clock.now(), note
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="erasure.declined",
            object_type="contact",
            object_id=locked.contact_id,
            data={"request": locked.pk, "note": note},
        )
    return locked


def _erase_user(user_id: int | None) -> bool:
    if user_id is None:
        return False
    User.objects.filter(pk=user_id).update(
        email=f"erased-{user_id}@erased.invalid",
        display_name="",
        antiphishing_code="",
        is_active=False,
        password=make_password(None),
        session_epoch=f"erased-{clock.now().timestamp():.0f}",
    )
    return True


def customer_erase(
    *, contact: Contact, actor: Actor, request: ErasureRequest | None = None
) -> dict[str, Any]:
    """Erase the customer's personal data and return the counts (administrators or the
    system, e.g. the CLI). Completes ``request`` (or their pending one) if there is one.

    Locks the contact; refuses a customer under a legal hold; running it again on an erased
    customer changes nothing further.
    """
    user = require_admin_or_system(actor)
    policy = RetentionPolicy.load()
    now = clock.now()
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if _is_held(locked):
            raise InvalidTransition(
                _("This customer is under a legal hold: release the hold before erasing.")
            )
        conversations = Conversation.objects.filter(contact=locked)
        held = list(conversations.filter(legal_hold__isnull=False).values_list("pk", flat=True))
        erasable = list(conversations.filter(legal_hold__isnull=True).values_list("pk", flat=True))
        messages = (
            Message.objects.filter(conversation_id__in=erasable)
            .exclude(body=ERASURE_MARKER)
            .update(body=ERASURE_MARKER, body_html=marker_html(ERASURE_MARKER))
        )
        files = list(
            Attachment.objects.filter(message__conversation_id__in=erasable).values_list(
                "pk", "file"
            )
        )
        Attachment.objects.filter(pk__in=[pk for pk, _name in files]).delete()
        delete_files_on_commit(name for _pk, name in files)
        changes: dict[str, Any] = {"subject": ERASED_NAME}
        if not policy.erasure_keeps_transaction_ids:
            changes.update(tx_id="", asset="", network="")
        Conversation.objects.filter(pk__in=erasable).update(**changes)
        for pk in erasable:
            search.index_conversation(pk, [])
        TimelineEntry.objects.filter(
            conversation_id__in=erasable, actor_kind=ActorKind.CUSTOMER
        ).update(actor_label=ERASED_NAME)
        visitors = ChatVisitor.objects.filter(contact=locked).update(email="", name="")
        channel_ids = channel_data_erase_for_contact(
            contact=locked, conversation_ids=erasable, actor=actor
        )
        redacted = deliveries_redact_for_conversations(conversation_ids=erasable, actor=actor)
        login_erased = _erase_user(locked.user_id)
        callbacks = callback_erase_for_contact(contact=locked, actor=actor)
        cases = cases_erase_for_contact(contact=locked, actor=actor)
        locked.name, locked.email, locked.phone = ERASED_NAME, None, ""
        if not policy.erasure_keeps_account_id:
            locked.uid = None
        locked.save(update_fields=["name", "email", "phone", "uid", "updated_at"])
        summary: dict[str, Any] = {
            "conversations": len(erasable),
            "conversations_kept_for_legal_hold": len(held),
            "messages": messages,
            "attachments": len(files),
            "chat_visitors": visitors,
            "channel_identities": channel_ids,
            "webhook_deliveries": redacted,
            "portal_login": login_erased,
            "callbacks": callbacks,
            "verification_cases": cases,
            "kept_account_id": policy.erasure_keeps_account_id,
            "kept_transaction_ids": policy.erasure_keeps_transaction_ids,
        }
        pending = (
            request
            or ErasureRequest.objects.filter(contact=locked, state=ErasureState.PENDING).first()
        )
        if pending is not None:
            pending = ErasureRequest.objects.select_for_update().get(pk=pending.pk)
            if pending.state != ErasureState.PENDING:
                raise InvalidTransition(_("This request has already been handled."))
            pending.state = ErasureState.COMPLETED
            pending.decided_by, pending.decided_at, pending.completed_at = user, now, now
            pending.summary = summary
            pending.save(
                update_fields=["state", "decided_by", "decided_at", "completed_at", "summary"]
            )
            summary = {**summary, "request": pending.pk}
        audit_record(
            actor=actor,
            action="contact.erased",
            object_type="contact",
            object_id=locked.pk,
            data=summary,
        )
    return summary
