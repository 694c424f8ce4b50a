"""Writes for phone callbacks: customers book, cancel and renew their code; staff claim,
verify, complete, mark missed and cancel. Every change checks the transition table, runs in one
transaction with its audit row, and bad input raises ValidationFailed and changes nothing.

The customer's code and the agent's phrase never go into audit data or logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Role, User
from kefu.audit.services import audit_record
from kefu.callbacks import codes
from kefu.callbacks.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Callback,
    CallbackPolicy,
    CallbackSource,
    CallbackStatus,
)
from kefu.callbacks.selectors import policy_current, rules_for
from kefu.callbacks.slots import first_bookable, is_aligned, last_bookable, within_hours
from kefu.contacts.models import Contact
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.core.validation import clean_text, field_error

MAX_CODE_ATTEMPTS = 5
MAX_CODE_RENEWALS = 3
TOPIC_MAX = 300
NOTE_MAX = 1000
# The agent may verify from this long before the slot starts (calls are placed a little early).
EARLY_VERIFY = timedelta(minutes=10)


# --- who is acting ---------------------------------------------------------------------------


def _customer_contact(actor: Actor, contact: Contact) -> None:
    """The actor must be the customer ``contact`` themself; NotFound otherwise, so nobody learns
    whether someone else's callback exists."""
    if actor.kind != ActorKind.CUSTOMER or actor.contact_id != contact.pk:
        raise NotFound()


def _staff(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not user.is_agent:
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def _handler(user: User, callback: Callback) -> None:
    """Staff acting on a claimed callback: its agent, or a supervisor or admin."""
    if callback.agent_id is None:
        raise ValidationFailed(_("Take this callback first."))
    if callback.agent_id != user.pk and not permissions.sees_all(user):
        raise PermissionDenied(_("This callback is assigned to another agent."))


# --- transitions -----------------------------------------------------------------------------


def _status_label(status: str) -> str:
    return str(CallbackStatus(status).label)


def _check_transition(callback: Callback, target: str) -> None:
    if target in TRANSITIONS[callback.status]:
        return
    if callback.status == target:
        message = _("This callback is already %(status)s.")
    else:
        message = _("A callback that is %(status)s cannot change any more.")
        if TRANSITIONS[callback.status]:
            message = _("This callback is %(status)s: that step is not possible now.")
    raise ValidationFailed(message % {"status": _status_label(callback.status).lower()})


def _locked(callback: Callback) -> Callback:
    return Callback.objects.select_for_update().get(pk=callback.pk)


def _audit(actor: Actor, action: str, callback: Callback, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="callback",
        object_id=callback.pk,
        data={"contact_id": callback.contact_id, "status": callback.status, **data},
    )


def _close(callback: Callback, status: str, now: datetime) -> list[str]:
    callback.status = status
    callback.closed_at = now
    fields = ["status", "closed_at", "updated_at"]
    if status in (CallbackStatus.CANCELLED, CallbackStatus.MISSED):
        callback.seat = None  # frees the place in the slot
        fields.append("seat")
    return fields


# --- booking ---------------------------------------------------------------------------------


def clean_phone(value: str) -> str:
    """The number in E.164 form, or ValidationFailed on ``phone``."""
    text = (value or "").strip()
    if not text.startswith("+"):
        raise field_error(
            "phone", _("Enter the number with its country code, starting with +, e.g. +86.")
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise field_error("phone", _("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean_language(value: str) -> str:
    codes_ = {code for code, _name in settings.LANGUAGES}
    if value not in codes_:
        raise field_error("language", _("Choose a language from the list."))
    return value


def _check_slot(policy: CallbackPolicy, slot_start: datetime, now: datetime) -> datetime:
    rules = rules_for(policy)
    if slot_start.tzinfo is None or slot_start.utcoffset() is None:
        raise field_error("slot", _("Choose a time from the list."))
    if slot_start <= now:
        raise field_error("slot", _("This time has already passed. Choose another one."))
    if not is_aligned(rules, slot_start):
        raise field_error("slot", _("Choose a time from the list."))
    if slot_start < first_bookable(rules, now):
        raise field_error("slot", _("This time is too soon. Choose a later one."))
    if slot_start >= last_bookable(rules, now):
        raise field_error("slot", _("This time is too far ahead. Choose an earlier one."))
    if not within_hours(rules, slot_start):
        raise field_error("slot", _("We do not call at this time. Choose a time in our hours."))
    return slot_start + rules.length


def callback_book(
    *,
    contact: Contact,
    phone: str,
    topic: str,
    language: str,
    slot_start: datetime,
    actor: Actor,
) -> Callback:
    """Book a callback for the signed-in customer ``contact`` in the slot starting at
    ``slot_start`` (audited).

    Only the customer themself. One open callback per customer and at most ``capacity`` per
    slot: both held by unique constraints, so concurrent bookings cannot overbook (the policy row,
    when there is one, is also locked for the decision). Generates the customer code and the
    agent phrase; the codes expire at the end of the slot plus the grace period."""
    _customer_contact(actor, contact)
    phone = clean_phone(phone)
    topic = clean_text("topic", topic, limit=TOPIC_MAX, required=True, single_line=True)
    language = _clean_language(language)
    now = clock.now()
    with transaction.atomic():
        policy = CallbackPolicy.objects.select_for_update().first() or policy_current()
        if not policy.enabled:
            raise ValidationFailed(_("Phone callbacks are not offered at the moment."))
        slot_end = _check_slot(policy, slot_start, now)
        if Callback.objects.filter(contact=contact, status__in=OPEN_STATUSES).exists():
            raise ValidationFailed(
                _("You already have a callback booked. Cancel it before booking another.")
            )
        taken = set(
            Callback.objects.filter(slot_start=slot_start, seat__isnull=False).values_list(
                "seat", flat=True
            )
        )
        free = [seat for seat in range(1, policy.capacity + 1) if seat not in taken]
        if not free:
            raise field_error("slot", _("This time is fully booked. Choose another one."))
        code = codes.new_customer_code()
        callback = Callback(
            contact=contact,
            phone=phone,
            topic=topic,
            language=language,
            slot_start=slot_start,
            slot_end=slot_end,
            seat=free[0],
            customer_code_sealed=codes.seal_code(code),
            agent_phrase_sealed=codes.seal_phrase(codes.new_agent_phrase(language)),
            code_expires_at=slot_end + timedelta(minutes=policy.grace_minutes),
            created_at=now,
        )
        try:
            with transaction.atomic():
                callback.save()
        except IntegrityError as exc:
            # Someone else took the seat, or this customer booked in another tab, meanwhile.
            raise ValidationFailed(
                _("This time was just booked by someone else, or you already have a callback.")
            ) from exc
        _audit(
            actor,
            "callback.booked",
            callback,
            slot_start=slot_start.isoformat(),
            seat=callback.seat,
            language=language,
        )
    return callback


def callback_code_renew(*, callback: Callback, actor: Actor) -> Callback:
    """Give the customer a new code and a fresh set of attempts (audited).

    Only the customer themself, on a booked (not yet verified) callback; at most
    MAX_CODE_RENEWALS times, which bounds how many codes can ever be guessed."""
    _customer_contact(actor, callback.contact)
    with transaction.atomic():
        fresh = _locked(callback)
        if fresh.status != CallbackStatus.REQUESTED:
            raise ValidationFailed(_("Only a booked callback can get a new code."))
        if fresh.code_renewals >= MAX_CODE_RENEWALS:
            raise ValidationFailed(
                _("This callback has had too many codes. Cancel it and book a new one.")
            )
        fresh.customer_code_sealed = codes.seal_code(codes.new_customer_code())
        fresh.code_attempts = 0
        fresh.code_renewals += 1
        fresh.save(
            update_fields=[
                "customer_code_sealed",
                "code_attempts",
                "code_renewals",
                "updated_at",
            ]
        )
        _audit(actor, "callback.code_renewed", fresh, renewals=fresh.code_renewals)
    return fresh


def callback_cancel(*, callback: Callback, actor: Actor, reason: str = "") -> Callback:
    """Cancel a booked callback (audited): the customer their own, or staff handling it
    (its agent, a supervisor or an admin). Frees the seat."""
    if actor.kind == ActorKind.CUSTOMER:
        _customer_contact(actor, callback.contact)
        by = "customer"
        user = None
    else:
        user = _staff(actor)
        by = "agent"
    reason = clean_text("reason", reason, limit=NOTE_MAX, required=False)
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(callback)
        if user is not None:
            _handler(user, fresh)
        _check_transition(fresh, CallbackStatus.CANCELLED)
        fields = _close(fresh, CallbackStatus.CANCELLED, now)
        fresh.cancelled_by = by
        if reason:
            fresh.outcome_note = reason
            fields.append("outcome_note")
        fresh.save(update_fields=[*fields, "cancelled_by"])
        _audit(actor, "callback.cancelled", fresh, by=by)
    return fresh


def callback_for_missed_call(
    *, contact: Contact, phone: str, called_at: datetime, language: str, actor: Actor
) -> tuple[Callback, bool]:
    """Make a callback task for a call to a hotline that nobody answered (audited); returns
    (callback, created).

    The system only (the phone channel). When the customer already has an open callback
    (booked, or an earlier missed call), that one is returned and nothing is created: one
    open callback per customer, held by the same unique constraint as bookings. The task is
    due from the time of the call, holds no seat, and gets codes like a booking, so the
    customer can still prove who they are when called back."""
    if actor.kind != ActorKind.SYSTEM:
        raise PermissionDenied(_("You do not have permission to do that."))
    existing = Callback.objects.filter(contact=contact, status__in=OPEN_STATUSES).first()
    if existing is not None:
        return existing, False
    policy = policy_current()
    length = timedelta(minutes=policy.slot_minutes)
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = "en"
    callback = Callback(
        contact=contact,
        phone=(phone or "")[:32],
        topic=_("Missed call"),
        language=language,
        slot_start=called_at,
        slot_end=called_at + length,
        seat=None,
        source=CallbackSource.MISSED_CALL,
        customer_code_sealed=codes.seal_code(codes.new_customer_code()),
        agent_phrase_sealed=codes.seal_phrase(codes.new_agent_phrase(language)),
        # The customer may not see this for a while: the code lasts a day from the call.
        code_expires_at=called_at + timedelta(hours=24),
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            callback.save()
            _audit(actor, "callback.missed_call", callback, called_at=called_at.isoformat())
    except IntegrityError:  # an open callback appeared meanwhile (a booking, another call)
        raced = Callback.objects.filter(contact=contact, status__in=OPEN_STATUSES).first()
        if raced is None:
            raise
        return raced, False
    return callback, True


# --- staff -----------------------------------------------------------------------------------


def callback_claim(*, callback: Callback, actor: Actor) -> Callback:
    """Take a booked callback (audited): any agent while nobody has it; a supervisor or admin
    may take it over from another agent. Claiming it again yourself is refused."""
    user = _staff(actor)
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(callback)
        if fresh.status != CallbackStatus.REQUESTED:
            raise ValidationFailed(
                _("Only a booked callback can be taken. This one is %(status)s.")
                % {"status": _status_label(fresh.status).lower()}
            )
        if fresh.agent_id == user.pk:
            raise ValidationFailed(_("You have already taken this callback."))
        if fresh.agent_id is not None and not permissions.sees_all(user):
            raise PermissionDenied(_("This callback is assigned to another agent."))
        previous = fresh.agent_id
        fresh.agent = user
        fresh.claimed_at = now
        fresh.save(update_fields=["agent", "claimed_at", "updated_at"])
        _audit(actor, "callback.claimed", fresh, agent_id=user.pk, previous_agent_id=previous)
    return fresh


@dataclass(frozen=True, slots=True)
class _Attempt:
    ok: bool
    attempts_left: int


def callback_verify(*, callback: Callback, code: str, actor: Actor) -> Callback:
    """Confirm the code the customer read out (audited either way): the callback becomes
    verified and the account's details may be discussed.

    Only its assigned agent (the one whose phrase the customer was shown). A code that is not
    six digits is refused without using an attempt; a wrong code uses one, and is recorded
    even though an error is raised; after MAX_CODE_ATTEMPTS wrong codes the callback is locked
    until the customer gets a new code in the portal. The comparison is constant-time."""
    user = _staff(actor)
    entered = codes.normalise_code(code)
    if entered is None:
        raise field_error("code", _("Enter the 6-digit code the customer reads to you."))
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(callback)
        if fresh.agent_id != user.pk:
            raise PermissionDenied(_("Only the agent who took this callback can verify it."))
        _check_transition(fresh, CallbackStatus.VERIFIED)
        if fresh.code_attempts >= MAX_CODE_ATTEMPTS:
            raise ValidationFailed(
                _(
                    "Too many wrong codes. Ask the customer to get a new code on the "
                    "callback page of the support site."
                )
            )
        if now > fresh.code_expires_at:
            raise ValidationFailed(_("This callback's code has expired: its slot is over."))
        if now < fresh.slot_start - EARLY_VERIFY:
            raise ValidationFailed(_("This callback's slot has not started yet."))
        if codes.code_matches(fresh.customer_code_sealed, entered):
            fresh.status = CallbackStatus.VERIFIED
            fresh.verified_at = now
            fresh.save(update_fields=["status", "verified_at", "updated_at"])
            _audit(actor, "callback.verified", fresh, attempts=fresh.code_attempts + 1)
            attempt = _Attempt(ok=True, attempts_left=0)
        else:
            fresh.code_attempts += 1
            fresh.save(update_fields=["code_attempts", "updated_at"])
            _audit(actor, "callback.code_failed", fresh, attempts=fresh.code_attempts)
            attempt = _Attempt(ok=False, attempts_left=MAX_CODE_ATTEMPTS - fresh.code_attempts)
    # Outside the transaction, so the used attempt stays recorded.
    if not attempt.ok:
        if attempt.attempts_left <= 0:
            message = _(
                "Wrong code. No attempts left: ask the customer to get a new code on the "
                "callback page of the support site."
            )
        else:
            message = _("Wrong code. Attempts left: %(left)d.") % {"left": attempt.attempts_left}
        raise field_error("code", message)
    return fresh


def callback_complete(*, callback: Callback, outcome: str, actor: Actor) -> Callback:
    """Close a verified callback with a note of what was done (audited; the note is required,
    at most NOTE_MAX characters). Its agent, a supervisor or an admin."""
    user = _staff(actor)
    outcome = clean_text("outcome", outcome, limit=NOTE_MAX, required=True)
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(callback)
        _handler(user, fresh)
        _check_transition(fresh, CallbackStatus.COMPLETED)
        fields = _close(fresh, CallbackStatus.COMPLETED, now)
        fresh.outcome_note = outcome
        fresh.save(update_fields=[*fields, "outcome_note"])
        _audit(actor, "callback.completed", fresh)
    return fresh


def callback_mark_missed(*, callback: Callback, actor: Actor, note: str = "") -> Callback:
    """Record that the customer could not be reached (audited). Only once the slot has started;
    its agent, a supervisor or an admin. The seat is freed and the customer may book again."""
    user = _staff(actor)
    note = clean_text("note", note, limit=NOTE_MAX, required=False)
    now = clock.now()
    with transaction.atomic():
        fresh = _locked(callback)
        _handler(user, fresh)
        _check_transition(fresh, CallbackStatus.MISSED)
        if now < fresh.slot_start:
            raise ValidationFailed(_("A callback can be marked missed only once its slot starts."))
        fields = _close(fresh, CallbackStatus.MISSED, now)
        if note:
            fresh.outcome_note = note
            fields.append("outcome_note")
        fresh.save(update_fields=fields)
        _audit(actor, "callback.missed", fresh)
    return fresh


# --- erasure ---------------------------------------------------------------------------------


def callback_erase_for_contact(*, contact: Contact, actor: Actor) -> int:
    """Remove the personal data of every callback of ``contact`` (audited, with the count):
    the phone number, topic and notes are blanked and open callbacks are cancelled, freeing
    their seats. For the privacy app's customer erasure; administrators or the system only.
    Running it again changes nothing further."""
    if actor.kind != ActorKind.SYSTEM:
        user = _staff(actor)
        if user.role != Role.ADMIN:
            raise PermissionDenied(_("You do not have permission to do that."))
    now = clock.now()
    with transaction.atomic():
        rows = list(Callback.objects.select_for_update().filter(contact=contact))
        changed = 0
        for callback in rows:
            fields = []
            if callback.is_open:
                fields = _close(callback, CallbackStatus.CANCELLED, now)
                callback.cancelled_by = "erasure"
                fields.append("cancelled_by")
            for name in ("phone", "topic", "outcome_note"):
                if getattr(callback, name):
                    setattr(callback, name, "")
                    fields.append(name)
            if fields:
                callback.save(update_fields=list(dict.fromkeys([*fields, "updated_at"])))
                changed += 1
        if changed:
            audit_record(
                actor=actor,
                action="callback.erased",
                object_type="contact",
                object_id=contact.pk,
                data={"callbacks": changed},
            )
    return changed
