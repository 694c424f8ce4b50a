"""The portal pages (book, see the code and phrase, cancel, new code) and the workspace pages
(queue, detail with claim / verify / complete / missed / cancel)."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.callbacks import codes, services
from kefu.callbacks.forms import slot_value
from kefu.callbacks.models import Callback, CallbackStatus

from .conftest import at

BOOK = "/callbacks/"
CURRENT = "/callbacks/current"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _detail(callback: Callback) -> str:
    return f"/agent/callbacks/{callback.pk}/"


# --- portal ----------------------------------------------------------------------------------


def test_book_page_lists_the_free_slots_in_service_hours(policy, customer_1):
    html = _html(_client(customer_1).get(BOOK))
    assert f'value="{slot_value(at(7, 9))}"' in html
    assert f'value="{slot_value(at(7, 17, 30))}"' in html
    assert f'value="{slot_value(at(7, 18))}"' not in html  # closed
    assert f'value="{slot_value(at(12, 10))}"' not in html  # Saturday
    assert 'name="phone"' in html
    assert 'name="topic"' in html


def test_full_slots_are_not_offered(book, customer_2, policy):
    book()
    book(user=customer_2)
    html = _html(_client(customer_2).get(BOOK, follow=True))
    assert "Your phone callback" in html  # customer 2 has one: sent to it


def test_booking_shows_the_code_and_the_phrase(policy, customer_1):
    client = _client(customer_1)
    response = client.post(
        BOOK,
        {
            "slot": slot_value(at(7, 10)),
            "phone": "+86 138 0013 8000",
            "topic": "Withdrawal stuck",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == CURRENT
    callback = Callback.objects.get()
    html = _html(client.get(CURRENT))
    assert codes.open_code(callback.customer_code_sealed) in html
    assert codes.open_phrase(callback.agent_phrase_sealed) in html
    assert "+8613800138000" in html
    assert _html(client.get(BOOK, follow=True)).count('id="customer-code"') == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"slot": "tomorrow"}, "Choose a time from the list."),
        ({"slot": slot_value(at(7, 19))}, "We do not call at this time."),
        ({"phone": "12345"}, "starting with +"),
        ({"topic": ""}, "This field is required."),
    ],
)
def test_bad_booking_shows_the_error_and_books_nothing(policy, customer_1, data, error):
    post = {
        "slot": slot_value(at(7, 10)),
        "phone": "+86 138 0013 8000",
        "topic": "Withdrawal stuck",
        "language": "en",
        **data,
    }
    before = AuditEntry.objects.count()
    response = _client(customer_1).post(BOOK, post)
    assert response.status_code == 400
    assert error in _html(response)
    assert not Callback.objects.exists()
    assert AuditEntry.objects.count() == before


def test_current_page_without_a_callback_goes_to_booking(policy, customer_1):
    response = _client(customer_1).get(CURRENT)
    assert response.status_code == 302
    assert response["Location"] == BOOK


def test_another_customer_never_sees_the_code(book, customer_2):
    callback = book()
    html = _html(_client(customer_2).get(CURRENT, follow=True))
    assert codes.open_code(callback.customer_code_sealed) not in html
    assert codes.open_phrase(callback.agent_phrase_sealed) not in html


def test_customer_cancels_and_gets_a_new_code(book, customer_1):
    callback = book()
    client = _client(customer_1)
    old = callback.customer_code_sealed
    assert client.post("/callbacks/current/new-code").status_code == 302
    callback.refresh_from_db()
    assert callback.customer_code_sealed != old
    assert callback.code_renewals == 1
    assert client.post("/callbacks/current/cancel").status_code == 302
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CANCELLED
    html = _html(client.get(BOOK))
    assert 'id="callback-history"' in html
    assert "Cancelled" in html


def test_locked_code_is_explained_to_the_customer(book, customer_1):
    callback = book()
    Callback.objects.filter(pk=callback.pk).update(code_attempts=services.MAX_CODE_ATTEMPTS)
    html = _html(_client(customer_1).get(CURRENT))
    assert 'id="code-locked"' in html
    assert codes.open_code(callback.customer_code_sealed) not in html
    assert "Get a new code" in html


def test_portal_page_in_chinese(book, customer_1):
    customer_1.language = "zh-hans"
    customer_1.save(update_fields=["language"])
    book()
    html = _html(_client(customer_1).get(CURRENT))
    assert "给您打电话的客服会先说" in html


def test_portal_home_links_to_callbacks(db):
    assert 'href="/callbacks/"' in _html(Client().get("/"))


# --- workspace -------------------------------------------------------------------------------


def test_queue_lists_callbacks_by_slot(book, customer_2, agent_a):
    first = book(slot_start=at(7, 11))
    second = book(user=customer_2, slot_start=at(7, 9, 30))
    html = _html(_client(agent_a).get("/agent/callbacks/"))
    assert html.index(_detail(second)) < html.index(_detail(first))
    assert 'href="/agent/callbacks/"' in html
    assert 'aria-current="page"' in html


def test_detail_hides_the_account_until_verified(book, agent_a, customer_1, frozen):
    callback = book()
    contact = customer_1.contact
    client = _client(agent_a)
    html = _html(client.get(_detail(callback)))
    assert 'id="verify-first"' in html
    for detail in (contact.uid, contact.email, contact.name):
        assert detail not in html
    assert "+8613800138000" not in html  # only the agent who takes it sees the number
    assert client.post(_detail(callback) + "claim").status_code == 302
    html = _html(client.get(_detail(callback)))
    phrase = codes.open_phrase(callback.agent_phrase_sealed)
    assert phrase in html
    assert "+8613800138000" in html
    assert 'id="attempts-left"' in html
    assert "5 attempts left." in html
    assert contact.uid not in html
    assert contact.name not in html
    frozen.set(at(7, 10, 5))
    code = codes.open_code(callback.customer_code_sealed)
    assert code not in html  # the workspace never shows the customer's code
    response = client.post(_detail(callback) + "verify", {"code": code})
    assert response.status_code == 302
    html = _html(client.get(_detail(callback)))
    assert 'id="account-details"' in html
    assert contact.uid in html
    assert contact.name in html
    assert 'id="verify-first"' not in html
    response = client.post(_detail(callback) + "complete", {"outcome": "Explained."})
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.COMPLETED


def test_wrong_code_in_the_workspace_shows_attempts_left(book, agent_a, frozen):
    callback = book()
    client = _client(agent_a)
    client.post(_detail(callback) + "claim")
    frozen.set(at(7, 10, 5))
    wrong = f"{(int(codes.open_code(callback.customer_code_sealed)) + 1) % 1_000_000:06d}"
    response = client.post(_detail(callback) + "verify", {"code": wrong})
    html = _html(response)
    assert response.status_code == 422
    assert "Wrong code. Attempts left: 4." in html
    assert "4 attempts left." in html
    assert 'id="verify-first"' in html
    assert callback.contact.uid not in html


def test_other_agents_do_not_see_the_phrase(book, agent_a, senior):
    callback = book()
    _client(agent_a).post(_detail(callback) + "claim")
    html = _html(_client(senior).get(_detail(callback)))
    assert codes.open_phrase(callback.agent_phrase_sealed) not in html
    assert f'action="/agent/callbacks/{callback.pk}/verify"' not in html
    response = _client(senior).post(_detail(callback) + "claim")
    assert response.status_code == 302  # refused with a message
    callback.refresh_from_db()
    assert callback.agent_id == agent_a.pk


def test_missed_and_cancel_from_the_workspace(book, agent_a, customer_2, frozen):
    first = book()
    second = book(user=customer_2)
    client = _client(agent_a)
    for callback in (first, second):
        client.post(_detail(callback) + "claim")
    response = client.post(_detail(first) + "missed", {"note": "No answer"})
    assert response.status_code == 422  # the slot has not started
    assert "once its slot starts" in _html(response)
    frozen.set(at(7, 10, 10))
    assert client.post(_detail(first) + "missed", {"note": "No answer"}).status_code == 302
    assert client.post(_detail(second) + "cancel", {"note": "Asked by email"}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (CallbackStatus.MISSED, CallbackStatus.CANCELLED)


def test_customers_cannot_open_the_workspace_pages(book, customer_1):
    callback = book()
    client = _client(customer_1)
    assert client.get("/agent/callbacks/").status_code == 404
    assert client.get(_detail(callback)).status_code == 404
