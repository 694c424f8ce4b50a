"""Every transition of a callback, and every bad input refused without changing anything."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from django.db import IntegrityError, transaction

from kefu.audit.models import AuditEntry
from kefu.callbacks import codes, services
from kefu.callbacks.models import Callback, CallbackPolicy, CallbackStatus
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.testing import factories

from .conftest import at


def _code(callback: Callback) -> str:
    return codes.open_code(callback.customer_code_sealed)


def _wrong(callback: Callback) -> str:
    return f"{(int(_code(callback)) + 1) % 1_000_000:06d}"


def _state() -> tuple[list[tuple], int]:
    """Everything a refused call must leave as it was."""
    rows = list(
        Callback.objects.order_by("pk").values_list(
            "pk", "status", "seat", "agent_id", "code_attempts", "customer_code_sealed"
        )
    )
    return rows, AuditEntry.objects.count()


@pytest.fixture
def claimed(book, agent_a, actor_of, frozen):
    """Customer 1's Monday 10:00 callback, taken by agent A; the clock at 10:05."""
    callback = services.callback_claim(callback=book(), actor=actor_of(agent_a))
    frozen.set(at(7, 10, 5))
    return callback


# --- booking ---------------------------------------------------------------------------------


def test_booking_holds_a_seat_with_sealed_codes_and_is_audited(book, customer_1):
    callback = book()
    assert callback.status == CallbackStatus.REQUESTED
    assert (callback.seat, callback.phone) == (1, "+8613800138000")
    assert (callback.slot_start, callback.slot_end) == (at(7, 10), at(7, 10, 30))
    assert callback.code_expires_at == at(7, 10, 45)  # end of the slot + 15 minutes' grace
    code = _code(callback)
    assert len(code) == 6
    assert code.isdigit()
    assert code not in callback.customer_code_sealed
    phrase = codes.open_phrase(callback.agent_phrase_sealed)
    assert len(phrase.split()) == 3
    entry = AuditEntry.objects.get(action="callback.booked")
    assert entry.object_id == str(callback.pk)
    assert entry.data["contact_id"] == customer_1.contact.pk
    assert entry.actor_ref == f"customer:{customer_1.pk}"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "138 0013 8000"}, "phone", "starting with +"),
        ({"phone": "+1 555"}, "phone", "not a valid phone number"),
        ({"phone": "+86 call me"}, "phone", "not a valid phone number"),
        ({"topic": "   "}, "topic", "Fill in this field"),
        ({"topic": "x" * 301}, "topic", "at most 300"),
        ({"language": "fr"}, "language", "Choose a language"),
        ({"slot_start": at(7, 20)}, "slot", "We do not call at this time"),
        ({"slot_start": at(12, 10)}, "slot", "We do not call at this time"),  # a Saturday
        ({"slot_start": at(7, 17, 45)}, "slot", "Choose a time from the list"),  # not a start
        ({"slot_start": at(7, 10, 10)}, "slot", "Choose a time from the list"),
        ({"slot_start": at(7, 7)}, "slot", "already passed"),
        ({"slot_start": at(7, 8, 0)}, "slot", "already passed"),
        ({"slot_start": at(14, 9)}, "slot", "too far ahead"),
        ({"slot_start": datetime(2026, 12, 7, 10, 0)}, "slot", "Choose a time"),  # naive
    ],
)
def test_bad_booking_input_is_refused_and_changes_nothing(book, overrides, field, message):
    before = _state()
    with pytest.raises(ValidationFailed) as excinfo:
        book(**overrides)
    assert list(excinfo.value.fields) == [field]
    assert message in excinfo.value.message
    assert _state() == before


def test_a_slot_inside_the_notice_period_is_too_soon(book, frozen):
    frozen.set(at(7, 9, 50))  # 30 minutes' notice: 10:30 is the first slot
    before = _state()
    with pytest.raises(ValidationFailed, match="too soon"):
        book(slot_start=at(7, 10))
    assert _state() == before
    assert book(slot_start=at(7, 10, 30)).status == CallbackStatus.REQUESTED


def test_a_full_slot_is_refused(book, customer_1, customer_2):
    book()
    book(user=customer_2)
    third = factories.CustomerUserFactory(email="carol@example.com")
    before = _state()
    with pytest.raises(ValidationFailed, match="fully booked"):
        book(user=third)
    assert _state() == before
    assert book(user=third, slot_start=at(7, 10, 30)).seat == 1  # the next slot is free


def test_a_customer_has_at_most_one_open_callback(book):
    book()
    before = _state()
    with pytest.raises(ValidationFailed, match="already have a callback"):
        book(slot_start=at(7, 11))
    assert _state() == before


def test_the_database_refuses_overbooking_and_double_booking(book, customer_2):
    """The limits hold under concurrency: two rows can never share a seat or be open for the
    same customer, whatever the service's own checks saw."""
    first = book()
    for change in ({"contact": customer_2.contact}, {"slot_start": at(7, 11)}):
        clone = Callback.objects.get(pk=first.pk)
        clone.pk = None
        for name, value in change.items():
            setattr(clone, name, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            clone.save()


def test_policy_switched_off_refuses_bookings(book, policy):
    CallbackPolicy.objects.filter(pk=policy.pk).update(enabled=False)
    with pytest.raises(ValidationFailed, match="not offered"):
        book()
    assert not Callback.objects.exists()


def test_nobody_books_for_someone_else(book, customer_2, agent_a, actor_of):
    with pytest.raises(NotFound):
        book(actor=actor_of(customer_2))
    with pytest.raises(NotFound):
        book(actor=actor_of(agent_a))
    assert not Callback.objects.exists()


def test_a_cancelled_booking_frees_its_seat(book, customer_1, customer_2, actor_of):
    callback = book()
    book(user=customer_2)
    cancelled = services.callback_cancel(callback=callback, actor=actor_of(customer_1))
    assert (cancelled.status, cancelled.seat, cancelled.cancelled_by) == (
        CallbackStatus.CANCELLED,
        None,
        "customer",
    )
    third = factories.CustomerUserFactory(email="carol@example.com")
    assert book(user=third).seat == 1
    assert book(slot_start=at(7, 11)).status == CallbackStatus.REQUESTED  # may book again


# --- customers on other customers' callbacks -------------------------------------------------


def test_a_customer_cannot_act_on_another_customers_callback(book, customer_2, actor_of):
    callback = book()
    before = _state()
    with pytest.raises(NotFound):
        services.callback_cancel(callback=callback, actor=actor_of(customer_2))
    with pytest.raises(NotFound):
        services.callback_code_renew(callback=callback, actor=actor_of(customer_2))
    assert _state() == before


@pytest.mark.parametrize("action", ["claim", "verify", "complete", "missed"])
def test_customers_cannot_do_staff_steps(book, customer_1, actor_of, action):
    callback = book()
    before = _state()
    with pytest.raises(PermissionDenied):
        {
            "claim": lambda a: services.callback_claim(callback=callback, actor=a),
            "verify": lambda a: services.callback_verify(callback=callback, code="123456", actor=a),
            "complete": lambda a: services.callback_complete(
                callback=callback, outcome="x", actor=a
            ),
            "missed": lambda a: services.callback_mark_missed(callback=callback, actor=a),
        }[action](actor_of(customer_1))
    assert _state() == before


# --- claiming --------------------------------------------------------------------------------


def test_claim_assigns_the_agent_once(book, agent_a, senior, supervisor, actor_of):
    callback = services.callback_claim(callback=book(), actor=actor_of(agent_a))
    assert callback.agent_id == agent_a.pk
    assert callback.claimed_at is not None
    assert AuditEntry.objects.filter(action="callback.claimed").count() == 1
    before = _state()
    with pytest.raises(ValidationFailed, match="already taken"):
        services.callback_claim(callback=callback, actor=actor_of(agent_a))
    with pytest.raises(PermissionDenied):
        services.callback_claim(callback=callback, actor=actor_of(senior))
    assert _state() == before
    taken = services.callback_claim(callback=callback, actor=actor_of(supervisor))
    assert taken.agent_id == supervisor.pk
    entry = AuditEntry.objects.filter(action="callback.claimed").latest("seq")
    assert entry.data["previous_agent_id"] == agent_a.pk


def test_a_closed_callback_cannot_be_claimed(book, customer_1, agent_a, actor_of):
    callback = services.callback_cancel(callback=book(), actor=actor_of(customer_1))
    with pytest.raises(ValidationFailed, match="cancelled"):
        services.callback_claim(callback=callback, actor=actor_of(agent_a))


# --- verifying the customer's code -----------------------------------------------------------


def test_the_right_code_verifies(claimed, agent_a, actor_of):
    verified = services.callback_verify(
        callback=claimed,
        code=f" {_code(claimed)[:3]} {_code(claimed)[3:]} ",
        actor=actor_of(agent_a),
    )
    assert verified.status == CallbackStatus.VERIFIED
    assert verified.verified_at is not None
    assert AuditEntry.objects.filter(action="callback.verified").count() == 1


def test_full_width_digits_are_accepted(claimed, agent_a, actor_of):
    wide = "".join(chr(ord(d) + 0xFEE0) for d in _code(claimed))
    assert services.callback_verify(
        callback=claimed, code=wide, actor=actor_of(agent_a)
    ).status == (CallbackStatus.VERIFIED)


def test_a_wrong_code_uses_an_attempt_and_says_how_many_are_left(claimed, agent_a, actor_of):
    with pytest.raises(ValidationFailed) as excinfo:
        services.callback_verify(callback=claimed, code=_wrong(claimed), actor=actor_of(agent_a))
    assert excinfo.value.fields == {"code": ["Wrong code. Attempts left: 4."]}
    claimed.refresh_from_db()
    assert (claimed.status, claimed.code_attempts) == (CallbackStatus.REQUESTED, 1)
    assert AuditEntry.objects.get(action="callback.code_failed").data["attempts"] == 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_something_that_is_not_a_code_uses_no_attempt(claimed, agent_a, actor_of, code):
    before = _state()
    with pytest.raises(ValidationFailed, match="6-digit code"):
        services.callback_verify(callback=claimed, code=code, actor=actor_of(agent_a))
    assert _state() == before


def test_too_many_wrong_codes_lock_until_the_customer_gets_a_new_one(
    claimed, agent_a, customer_1, actor_of
):
    agent = actor_of(agent_a)
    for _attempt in range(services.MAX_CODE_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            services.callback_verify(callback=claimed, code=_wrong(claimed), actor=agent)
    before = _state()
    with pytest.raises(ValidationFailed, match="Too many wrong codes"):
        services.callback_verify(callback=claimed, code=_code(claimed), actor=agent)
    assert _state() == before
    renewed = services.callback_code_renew(callback=claimed, actor=actor_of(customer_1))
    assert renewed.code_attempts == 0
    assert renewed.code_renewals == 1
    assert _code(renewed) != _code(claimed) or renewed.customer_code_sealed != (
        claimed.customer_code_sealed
    )
    assert AuditEntry.objects.filter(action="callback.code_renewed").count() == 1
    assert services.callback_verify(callback=renewed, code=_code(renewed), actor=agent).status == (
        CallbackStatus.VERIFIED
    )


def test_the_old_code_stops_working_after_a_renewal(claimed, agent_a, customer_1, actor_of):
    old = _code(claimed)
    renewed = services.callback_code_renew(callback=claimed, actor=actor_of(customer_1))
    if _code(renewed) != old:  # one chance in a million that the new code is the same
        with pytest.raises(ValidationFailed, match="Wrong code"):
            services.callback_verify(callback=renewed, code=old, actor=actor_of(agent_a))


def test_renewals_are_limited(claimed, customer_1, actor_of):
    for _renewal in range(services.MAX_CODE_RENEWALS):
        claimed = services.callback_code_renew(callback=claimed, actor=actor_of(customer_1))
    with pytest.raises(ValidationFailed, match="too many codes"):
        services.callback_code_renew(callback=claimed, actor=actor_of(customer_1))


def test_a_replayed_verify_is_refused(claimed, agent_a, actor_of):
    services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(agent_a))
    before = _state()
    with pytest.raises(ValidationFailed, match="already verified"):
        services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(agent_a))
    assert _state() == before


def test_a_cancelled_callback_cannot_be_verified(claimed, agent_a, customer_1, actor_of):
    services.callback_cancel(callback=claimed, actor=actor_of(customer_1))
    before = _state()
    with pytest.raises(ValidationFailed, match="cancelled"):
        services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(agent_a))
    assert _state() == before


def test_only_the_assigned_agent_verifies(book, claimed, senior, supervisor, actor_of):
    before = _state()
    for other in (senior, supervisor):
        with pytest.raises(PermissionDenied):
            services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(other))
    assert _state() == before
    unclaimed = book(
        user=factories.CustomerUserFactory(email="dan@example.com"), slot_start=at(7, 11)
    )
    before = _state()
    with pytest.raises(PermissionDenied):
        services.callback_verify(callback=unclaimed, code=_code(unclaimed), actor=actor_of(senior))
    assert _state() == before


def test_the_code_expires_with_the_slot(claimed, agent_a, frozen, actor_of):
    frozen.set(at(7, 10, 46))
    before = _state()
    with pytest.raises(ValidationFailed, match="expired"):
        services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(agent_a))
    assert _state() == before


def test_the_code_is_not_accepted_long_before_the_slot(claimed, agent_a, frozen, actor_of):
    frozen.set(at(7, 9, 45))
    with pytest.raises(ValidationFailed, match="not started"):
        services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(agent_a))
    frozen.set(at(7, 9, 55))  # ten minutes early is fine
    assert (
        services.callback_verify(
            callback=claimed, code=_code(claimed), actor=actor_of(agent_a)
        ).status
        == CallbackStatus.VERIFIED
    )


# --- completing, missing, cancelling ---------------------------------------------------------


def test_complete_needs_a_verified_callback_and_a_note(claimed, agent_a, actor_of):
    agent = actor_of(agent_a)
    before = _state()
    with pytest.raises(ValidationFailed, match="that step is not possible"):
        services.callback_complete(callback=claimed, outcome="Explained the delay.", actor=agent)
    assert _state() == before
    verified = services.callback_verify(callback=claimed, code=_code(claimed), actor=agent)
    before = _state()
    with pytest.raises(ValidationFailed, match="Fill in this field"):
        services.callback_complete(callback=verified, outcome="  ", actor=agent)
    assert _state() == before
    done = services.callback_complete(
        callback=verified, outcome="Explained the delay.", actor=agent
    )
    assert (done.status, done.outcome_note, done.seat) == (
        CallbackStatus.COMPLETED,
        "Explained the delay.",
        1,
    )
    assert done.closed_at is not None
    with pytest.raises(ValidationFailed, match="already completed"):
        services.callback_complete(callback=done, outcome="Again", actor=agent)
    with pytest.raises(ValidationFailed, match="cannot change any more"):
        services.callback_mark_missed(callback=done, actor=agent)


def test_missed_only_after_the_slot_starts_and_frees_the_seat(
    book, agent_a, customer_1, frozen, actor_of
):
    agent = actor_of(agent_a)
    callback = services.callback_claim(callback=book(), actor=agent)
    before = _state()
    with pytest.raises(ValidationFailed, match="once its slot starts"):
        services.callback_mark_missed(callback=callback, actor=agent)
    assert _state() == before
    frozen.set(at(7, 10, 20))
    missed = services.callback_mark_missed(callback=callback, note="No answer twice", actor=agent)
    assert (missed.status, missed.seat, missed.outcome_note) == (
        CallbackStatus.MISSED,
        None,
        "No answer twice",
    )
    with pytest.raises(ValidationFailed, match="missed"):
        services.callback_verify(callback=missed, code=_code(missed), actor=agent)
    frozen.set(at(7, 10, 25))
    assert book(slot_start=at(7, 11)).status == CallbackStatus.REQUESTED  # re-booked


def test_staff_cancel_needs_the_callback_taken_and_its_agent(
    book, agent_a, senior, supervisor, actor_of
):
    callback = book()
    before = _state()
    with pytest.raises(ValidationFailed, match="Take this callback first"):
        services.callback_cancel(callback=callback, actor=actor_of(senior))
    callback = services.callback_claim(callback=callback, actor=actor_of(agent_a))
    before = _state()
    with pytest.raises(PermissionDenied):
        services.callback_cancel(callback=callback, actor=actor_of(senior))
    assert _state() == before
    cancelled = services.callback_cancel(
        callback=callback, reason="Customer asked by email", actor=actor_of(supervisor)
    )
    assert (cancelled.status, cancelled.cancelled_by) == (CallbackStatus.CANCELLED, "agent")


def test_a_verified_callback_cannot_be_cancelled_or_missed(claimed, agent_a, customer_1, actor_of):
    agent = actor_of(agent_a)
    verified = services.callback_verify(callback=claimed, code=_code(claimed), actor=agent)
    before = _state()
    with pytest.raises(ValidationFailed):
        services.callback_cancel(callback=verified, actor=actor_of(customer_1))
    with pytest.raises(ValidationFailed):
        services.callback_mark_missed(callback=verified, actor=agent)
    with pytest.raises(ValidationFailed):
        services.callback_code_renew(callback=verified, actor=actor_of(customer_1))
    assert _state() == before


def test_inactive_staff_cannot_act(claimed, agent_a, actor_of):
    agent_a.is_active = False
    agent_a.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        services.callback_verify(callback=claimed, code=_code(claimed), actor=actor_of(agent_a))


# --- the secrets stay secret -----------------------------------------------------------------


def test_codes_and_phrases_never_reach_audit_data_or_logs(
    book, agent_a, customer_1, frozen, actor_of, caplog
):
    caplog.set_level(logging.DEBUG)
    agent = actor_of(agent_a)
    callback = services.callback_claim(callback=book(), actor=agent)
    frozen.set(at(7, 10, 5))
    secrets_seen = {_code(callback), codes.open_phrase(callback.agent_phrase_sealed)}
    with pytest.raises(ValidationFailed):
        services.callback_verify(callback=callback, code=_wrong(callback), actor=agent)
    renewed = services.callback_code_renew(callback=callback, actor=actor_of(customer_1))
    secrets_seen.add(_code(renewed))
    verified = services.callback_verify(callback=renewed, code=_code(renewed), actor=agent)
    services.callback_complete(callback=verified, outcome="Done", actor=agent)
    audit_text = json.dumps(list(AuditEntry.objects.values_list("data", flat=True)))
    assert AuditEntry.objects.filter(object_type="callback").count() == 6
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets_seen:
        assert secret not in audit_text
        assert secret not in log_text
    assert "+8613800138000" not in audit_text  # nor the phone number


def test_erasure_removes_personal_data_and_frees_the_seat(
    book, customer_1, admin_user, agent_a, actor_of, system_actor
):
    callback = book()
    with pytest.raises(PermissionDenied):
        services.callback_erase_for_contact(contact=customer_1.contact, actor=actor_of(agent_a))
    assert (
        services.callback_erase_for_contact(contact=customer_1.contact, actor=actor_of(admin_user))
        == 1
    )
    callback.refresh_from_db()
    assert (callback.phone, callback.topic, callback.status, callback.seat) == (
        "",
        "",
        CallbackStatus.CANCELLED,
        None,
    )
    assert AuditEntry.objects.get(action="callback.erased").data == {"callbacks": 1}
    before = _state()
    assert services.callback_erase_for_contact(contact=customer_1.contact, actor=system_actor) == 0
    assert _state() == before
