"""Two first calls from one unknown number, recorded by two workers at the same moment, make
one contact (PostgreSQL: the number's transaction lock; SQLite has one writer at a time)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kefu.contacts.models import Contact
from kefu.core.actor import Actor
from kefu.core.locks import lock_key, transaction_lock
from kefu.inbox.adapters.base import InboundCall
from kefu.inbox.calls import phone_call_receive
from kefu.inbox.models import PhoneCall

CALLS = 4


def test_lock_keys_are_stable_and_distinct():
    assert lock_key("contact.phone", "+14155552671") == lock_key("contact.phone", "+14155552671")
    assert lock_key("contact.phone", "+14155552671") != lock_key("contact.phone", "+14155552672")
    assert lock_key("a", "bc") != lock_key("ab", "c")
    assert -(2**63) <= lock_key("contact.phone", "+1") < 2**63


def test_the_lock_needs_a_transaction():
    with pytest.raises(RuntimeError):
        transaction_lock("contact.phone", "+14155552671")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_first_calls_at_once_from_one_new_number_make_one_contact():
    start = threading.Barrier(CALLS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            phone_call_receive(
                call=InboundCall(
                    provider="cti",
                    call_id=f"race-{n}",
                    direction="inbound",
                    status="completed",
                    from_number="+14155550199",
                    to_number="+442079460958",
                ),
                actor=Actor.system("phone"),
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CALLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert PhoneCall.objects.count() == CALLS
    assert Contact.objects.filter(phone_e164="+14155550199").count() == 1
    assert PhoneCall.objects.values("contact").distinct().count() == 1
