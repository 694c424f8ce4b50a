"""Phone calls a CTI reported: recorded on a phone conversation, missed ones owed a call back.

``phone_call_receive`` runs in the inbound worker (``kefu.inbox.inbound``) for each verified,
stored status callback. The caller is matched to a customer on the E.164 form of their number
(``Contact.phone_e164``); an unknown number gets a contact of its own. The first report of a
call joins the customer's open phone conversation (or opens one) and adds one "call" entry to
its timeline; later reports of the same call (ringing, then completed) update the same
``PhoneCall`` row, which that entry shows. The CTI's notes become an internal note; an inbound
call nobody answered becomes a callback task (``kefu.callbacks``), once per call and never a
second open one per customer.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.callbacks.services import callback_for_missed_call
from kefu.contacts.models import Contact
from kefu.contacts.phones import normalise_phone
from kefu.conversations import services as conversation_services
from kefu.conversations.models import AuthorKind, Channel, Conversation, Status
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, PermanentError, PermissionDenied
from kefu.core.locks import transaction_lock
from kefu.core.validation import clean_text
from kefu.inbox.adapters.base import InboundCall
from kefu.inbox.models import (
    FINAL_CALL_STATUSES,
    MISSED_CALL_STATUSES,
    CallDirection,
    PhoneCall,
)
from kefu.realtime import events
from kefu.realtime.publish import publish

NOTES_MAX = 5000


def _agent(ref: str) -> User | None:
    """The staff member the CTI named, by email or Kefu user id; None if nobody matches."""
    ref = ref.strip()
    if not ref:
        return None
    users = User.objects.filter(is_active=True)
    if "@" in ref:
        user = users.filter(email__iexact=ref).first()
    elif ref.isdigit() and len(ref) < 12:
        user = users.filter(pk=int(ref)).first()
    else:
        user = None
    return user if user is not None and user.is_agent else None


def _contact(number: str, actor: Actor) -> Contact:
    """The customer with this E.164 number (one with an exchange account first, then the
    oldest), else a new contact with just the number (audited)."""
    # Two first calls from one unknown number at once (two workers) must not make two contacts.
    transaction_lock("contact.phone", number)
    matches = Contact.objects.filter(phone_e164=number)
    contact = (
        matches.filter(uid__isnull=False).order_by("pk").first() or matches.order_by("pk").first()
    )
    if contact is not None:
        return contact
    contact = Contact.objects.create(phone=number)
    audit_record(
        actor=actor,
        action="contact.created_from_call",
        object_type="contact",
        object_id=contact.pk,
        data={"channel": Channel.PHONE.value},
    )
    return contact


def _conversation(call: PhoneCall, contact: Contact, actor: Actor) -> Conversation:
    """The contact's latest phone conversation that is not closed, or a new one."""
    conversation = (
        Conversation.objects.filter(contact=contact, channel=Channel.PHONE)
        .exclude(status=Status.CLOSED)
        .order_by("-last_activity_at", "-pk")
        .first()
    )
    if conversation is not None:
        return conversation
    with translation.override(contact.language or "en"):
        if call.direction == CallDirection.INBOUND:
            subject = _("Phone call from %(number)s") % {"number": call.customer_number}
        else:
            subject = _("Phone call to %(number)s") % {"number": call.customer_number}
        body = _("Phone call with our support team.")
    return conversation_services.conversation_create(
        contact=contact,
        subject=subject,
        body=body,
        channel=Channel.PHONE,
        language=contact.language or "en",
        external_id=f"call:{call.provider}:{call.call_id}",
        author=AuthorKind.SYSTEM,
        actor=actor,
    )


def _apply(row: PhoneCall, call: InboundCall) -> list[str]:
    """Copy what this report says onto ``row``; a late "ringing" never undoes a final state."""
    changed: list[str] = []

    def put(name: str, value: object) -> None:
        if value not in (None, "") and getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)

    if not (row.status in FINAL_CALL_STATUSES and call.status not in FINAL_CALL_STATUSES):
        put("status", call.status)
    put("started_at", call.started_at if row.started_at is None else None)
    put("answered_at", call.answered_at)
    put("ended_at", call.ended_at)
    put("duration_seconds", call.duration_seconds)
    put("recording_url", call.recording_url)
    if call.agent:
        put("agent_ref", call.agent[:200])
        agent = _agent(call.agent)
        if agent is not None and row.agent_id != agent.pk:
            row.agent = agent
            changed.append("agent")
    missed = row.direction == CallDirection.INBOUND and (
        row.status in MISSED_CALL_STATUSES
        or (row.status in FINAL_CALL_STATUSES and call.answered is False)
    )
    if missed and not row.missed:
        row.missed = True
        changed.append("missed")
    return changed


def phone_call_receive(*, call: InboundCall, actor: Actor) -> PhoneCall:
    """Record one status report of a call (the system, from the inbound worker).

    Idempotent per call: the first report creates the ``PhoneCall`` (unique on provider and
    call id), matches the customer, and logs the call on their phone conversation; later ones
    update that row under its lock. Raises PermanentError when the customer's number cannot be
    read (e.g. a national number and no ``KEFU_PHONE_DEFAULT_REGION``): the event then waits,
    failed, for an admin to fix the setting and replay it.
    """
    if actor.kind != ActorKind.SYSTEM:
        raise PermissionDenied(_("You do not have permission to do that."))
    number = normalise_phone(call.customer_number)
    if not number:
        raise PermanentError(
            "the caller's number is not a phone number Kefu can read (a national number "
            "needs KEFU_PHONE_DEFAULT_REGION)"
        )
    now = clock.now()
    with transaction.atomic():
        row = (
            PhoneCall.objects.select_for_update()
            .filter(provider=call.provider, call_id=call.call_id)
            .first()
        )
        created = row is None
        if row is None:
            contact = _contact(number, actor)
            try:
                with transaction.atomic():
                    row = PhoneCall.objects.create(
                        provider=call.provider,
                        call_id=call.call_id,
                        direction=call.direction,
                        from_number=call.from_number[:40],
                        to_number=call.to_number[:40],
                        customer_number=number,
                        contact=contact,
                        status=call.status,
                        started_at=call.started_at or call.ended_at or now,
                        created_at=now,
                        updated_at=now,
                    )
            except IntegrityError:  # the same call raced in through another worker
                row = PhoneCall.objects.select_for_update().get(
                    provider=call.provider, call_id=call.call_id
                )
                created = False
        changed = _apply(row, call)
        if changed:
            row.updated_at = now
            row.save(update_fields=[*changed, "updated_at"])
        if row.conversation_id is None:
            conversation = _conversation(row, row.contact, actor)
            entry = conversation_services.conversation_log_call(
                conversation=conversation, call_id=row.pk, direction=row.direction, actor=actor
            )
            row.conversation = conversation
            row.timeline_entry_id = entry.pk
            row.save(update_fields=["conversation", "timeline_entry_id"])
        if call.notes and row.note_message_id is None and row.conversation is not None:
            note = conversation_services.note_add(
                conversation=row.conversation,
                body=_("Call notes:") + "\n\n" + call.notes,
                actor=actor,
                metadata={"phone_call": row.pk},
            )
            row.note_message = note
            row.notes = call.notes
            row.save(update_fields=["note_message", "notes"])
        if row.missed and row.callback_id is None:
            callback, made = callback_for_missed_call(
                contact=row.contact,
                phone=number,
                called_at=row.started_at or now,
                language=row.contact.language or "en",
                actor=actor,
            )
            row.callback = callback
            row.save(update_fields=["callback"])
            audit_record(
                actor=actor,
                action="phone_call.missed",
                object_type="phone_call",
                object_id=row.pk,
                data={"callback": callback.pk, "new_callback": made},
            )
        if changed and not created and row.conversation is not None:
            # The open conversation page re-renders its timeline: the call card shows the news.
            publish(
                events.ConversationUpdated(
                    conversation_id=row.conversation.pk,
                    reason="call",
                    team_id=row.conversation.team_id,
                    assignee_id=row.conversation.assignee_id,
                    previous_team_id=row.conversation.team_id,
                    previous_assignee_id=row.conversation.assignee_id,
                )
            )
        if created or changed:
            audit_record(
                actor=actor,
                action="phone_call.recorded" if created else "phone_call.updated",
                object_type="phone_call",
                object_id=row.pk,
                data={
                    "provider": row.provider,
                    "status": row.status,
                    "direction": row.direction,
                    "contact": row.contact_id,
                    "changed": sorted(changed),
                },
            )
    return row


# --- the workspace ------------------------------------------------------------------------


def phone_call_get_for_agent(*, user: User, conversation_pk: int, pk: int) -> PhoneCall:
    """A call on a conversation the agent may open; NotFound otherwise."""
    conversation = conversation_get_for_agent(user=user, pk=conversation_pk)
    call = PhoneCall.objects.filter(pk=pk, conversation=conversation).first()
    if call is None:
        raise NotFound()
    return call


def phone_calls_by_id(ids: list[int]) -> dict[int, PhoneCall]:
    """The calls with these ids, with their agents (one query), for the timeline."""
    if not ids:
        return {}
    rows = PhoneCall.objects.filter(pk__in=ids).select_related("agent", "callback")
    return {row.pk: row for row in rows}


def phone_call_notes_save(*, call: PhoneCall, notes: str, actor: Actor) -> PhoneCall:
    """Set the notes of a call (an agent who may open its conversation; audited with the
    lengths, not the text). Staff only; the customer never sees them."""
    if actor.kind != ActorKind.AGENT or not actor.user_id:
        raise PermissionDenied(_("You do not have permission to do that."))
    user = User.objects.filter(pk=actor.user_id, is_active=True).first()
    if user is None or call.conversation_id is None:
        raise NotFound()
    conversation_get_for_agent(user=user, pk=call.conversation_id)  # NotFound if not theirs
    notes = clean_text("notes", notes, limit=NOTES_MAX, required=False)
    with transaction.atomic():
        fresh = PhoneCall.objects.select_for_update().get(pk=call.pk)
        before = len(fresh.notes)
        if fresh.notes == notes:
            return fresh
        fresh.notes = notes
        fresh.updated_at = clock.now()
        fresh.save(update_fields=["notes", "updated_at"])
        audit_record(
            actor=actor,
            action="phone_call.notes_edited",
            object_type="phone_call",
            object_id=fresh.pk,
            data={
                "conversation": fresh.conversation_id,
                "chars_before": before,
                "chars_after": len(notes),
            },
        )
    return fresh
