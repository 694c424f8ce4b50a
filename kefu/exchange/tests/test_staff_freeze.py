"""Staff freeze a customer's exchange account from the conversation's Funds section, on the
customer's verified request: who may, what it needs, what it shows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Category, Conversation, Priority
from kefu.exchange import services
from kefu.exchange.connector import AccountStatus, ConnectorError
from kefu.exchange.models import DemoAccount
from kefu.exchange.tests.conftest import MAIN_UID
from kefu.testing import factories

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
NOTE = "Customer called from the verified phone number and answered the identity questions"
CONFIRMED = {"note": NOTE, "confirm": "on"}


def login(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def conversation(main_contact, team_a):
    return factories.ConversationFactory(contact=main_contact, team=team_a)


def _url(conversation) -> str:
    return reverse("exchange:freeze", args=[conversation.pk])


def _status() -> str:
    return DemoAccount.objects.get(uid=MAIN_UID).status


def _security_conversations(contact) -> list[Conversation]:
    return list(Conversation.objects.filter(contact=contact, category=Category.SECURITY))


def _assert_nothing_frozen(contact) -> None:
    assert _status() == AccountStatus.ACTIVE
    assert not _security_conversations(contact)
    assert not AuditEntry.objects.filter(
        action__in=["exchange.account_frozen", "exchange.emergency_freeze_requested"]
    ).exists()


def test_the_funds_section_offers_the_freeze_form(conversation, agent_a):
    response = login(agent_a).get(reverse("exchange:funds", args=[conversation.pk]), **XHR)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'action="{_url(conversation)}"' in body
    assert 'name="note"' in body
    assert 'name="confirm"' in body
    assert "Withdrawals and trading stop at once" in body


def test_agent_freezes_with_a_note_and_sees_the_outcome(conversation, main_contact, agent_a):
    response = login(agent_a).post(_url(conversation), CONFIRMED)
    body = response.content.decode()
    assert response.status_code == 200
    assert _status() == AccountStatus.FROZEN
    [security] = _security_conversations(main_contact)
    assert security.priority == Priority.URGENT
    assert 'data-freeze-outcome="frozen"' in body
    assert "The account is now frozen" in body
    assert security.reference in body
    assert reverse("workspace:conversation", args=[security.pk]) in body
    [frozen] = AuditEntry.objects.filter(action="exchange.account_frozen")
    assert frozen.data["prepared_by"] == f"agent:{agent_a.pk}"
    [requested] = AuditEntry.objects.filter(action="exchange.emergency_freeze_requested")
    assert requested.data["verification"] == NOTE
    assert requested.actor_ref == f"agent:{agent_a.pk}"


def test_a_second_freeze_says_already_frozen(conversation, main_contact, agent_a):
    client = login(agent_a)
    client.post(_url(conversation), CONFIRMED)
    response = client.post(_url(conversation), CONFIRMED)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-freeze-outcome="already_frozen"' in body
    assert "already frozen" in body
    assert len(_security_conversations(main_contact)) == 1
    assert AuditEntry.objects.filter(action="exchange.account_frozen").count() == 1
    # The Funds section then says so instead of offering the form again.
    panel = client.get(reverse("exchange:funds", args=[conversation.pk]), **XHR)
    assert "data-exchange-frozen" in panel.content.decode()
    assert 'name="note"' not in panel.content.decode()


@pytest.mark.parametrize(
    "data",
    [{"confirm": "on"}, {"note": "   ", "confirm": "on"}, {"note": "x" * 501, "confirm": "on"}],
    ids=["missing", "blank", "too-long"],
)
def test_a_missing_or_bad_note_is_refused_and_nothing_is_frozen(
    conversation, main_contact, agent_a, data
):
    response = login(agent_a).post(_url(conversation), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "errorlist" in body
    assert "How did you verify that the customer asked for the freeze?" in body  # form again
    _assert_nothing_frozen(main_contact)


def test_without_the_confirmation_nothing_is_frozen(conversation, main_contact, agent_a):
    response = login(agent_a).post(_url(conversation), {"note": NOTE})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    _assert_nothing_frozen(main_contact)


def test_an_agent_of_another_team_is_refused(conversation, main_contact, agent_b):
    client = login(agent_b)
    assert client.get(_url(conversation)).status_code == 404
    assert client.post(_url(conversation), CONFIRMED).status_code == 404
    _assert_nothing_frozen(main_contact)


def test_a_customer_is_refused(conversation, main_contact, customer_1):
    client = login(customer_1)
    assert client.get(_url(conversation)).status_code == 404
    assert client.post(_url(conversation), CONFIRMED).status_code == 404
    _assert_nothing_frozen(main_contact)


def test_anonymous_is_sent_to_sign_in(conversation, main_contact):
    response = Client().post(_url(conversation), CONFIRMED)
    assert response.status_code == 302
    assert "login" in response["Location"]
    _assert_nothing_frozen(main_contact)


def test_the_form_needs_the_csrf_token(conversation, main_contact, agent_a):
    response = login(agent_a, enforce_csrf_checks=True).post(_url(conversation), CONFIRMED)
    assert response.status_code == 403
    _assert_nothing_frozen(main_contact)


def test_a_customer_without_an_exchange_account_gets_a_clear_message(
    conversation, main_contact, agent_a
):
    main_contact.uid = ""
    main_contact.save(update_fields=["uid"])
    response = login(agent_a).post(_url(conversation), CONFIRMED)
    assert response.status_code == 400
    assert "This customer has no exchange account." in response.content.decode()
    _assert_nothing_frozen(main_contact)


def test_an_unknown_exchange_account_gets_a_clear_message(conversation, main_contact, agent_a):
    main_contact.uid = "99999999"
    main_contact.save(update_fields=["uid"])
    response = login(agent_a).post(_url(conversation), CONFIRMED)
    assert response.status_code == 400
    assert "No exchange account is linked to this customer." in response.content.decode()
    _assert_nothing_frozen(main_contact)


class _DownConnector:
    def account(self, *, uid: str):
        raise ConnectorError("connection refused", retryable=True)


def test_the_exchange_being_down_gets_a_clear_message(
    conversation, main_contact, agent_a, monkeypatch
):
    monkeypatch.setattr(services, "get_connector", lambda: _DownConnector())
    response = login(agent_a).post(_url(conversation), CONFIRMED)
    assert response.status_code == 503
    assert "the account was not frozen" in response.content.decode()
    _assert_nothing_frozen(main_contact)


def test_the_form_page_works_without_javascript(conversation, agent_a):
    response = login(agent_a).get(_url(conversation))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="note"' in body
    assert "How did you verify that the customer asked for the freeze?" in body
    assert _status() == AccountStatus.ACTIVE


def test_the_page_is_translated(conversation, agent_a):
    agent_a.language = "zh-hans"
    agent_a.save()
    client = login(agent_a)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(_url(conversation), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您是如何核实冻结是客户本人要求的？" in body
    assert "立即冻结账户" in body
