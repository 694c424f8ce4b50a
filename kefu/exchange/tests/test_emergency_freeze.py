"""Emergency freeze ("I have been hacked"): who may ask, what it does, the portal flow."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Category, Conversation, Priority
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.exchange import services, views
from kefu.exchange.connector import AccountStatus, SecurityEventKind
from kefu.exchange.models import DemoAccount, DemoSecurityEvent
from kefu.exchange.tests.conftest import MAIN_UID

URL_NAME = "portal:account_emergency_freeze"


def _status() -> str:
    return DemoAccount.objects.get(uid=MAIN_UID).status


def _security_conversations(contact) -> list[Conversation]:
    return list(Conversation.objects.filter(contact=contact, category=Category.SECURITY))


def test_customer_freezes_own_account(main_contact, actor_of, customer_1):
    assert _status() == AccountStatus.ACTIVE
    outcome = services.emergency_freeze(contact=main_contact, actor=actor_of(customer_1))
    assert outcome.result.status == AccountStatus.FROZEN
    assert outcome.already_frozen is False
    assert _status() == AccountStatus.FROZEN
    event = DemoSecurityEvent.objects.get(account__uid=MAIN_UID, case_ref__startswith="EF-")
    assert event.kind == SecurityEventKind.ACCOUNT_FROZEN
    assert event.case_ref.startswith(f"EF-{main_contact.pk}-")
    [conversation] = _security_conversations(main_contact)
    assert conversation == outcome.conversation
    assert conversation.priority == Priority.URGENT
    assert conversation.subject == "Emergency freeze: account hacked"
    [frozen] = AuditEntry.objects.filter(action="exchange.account_frozen")
    assert frozen.data["prepared_by"] == "customer"
    assert frozen.data["case_ref"] == event.case_ref
    [requested] = AuditEntry.objects.filter(action="exchange.emergency_freeze_requested")
    assert requested.data["conversation_id"] == conversation.pk
    assert requested.data["already_frozen"] is False


def test_another_customer_cannot_freeze_someone_else(main_contact, customer_2, actor_of):
    with pytest.raises(PermissionDenied):
        services.emergency_freeze(contact=main_contact, actor=actor_of(customer_2))
    assert _status() == AccountStatus.ACTIVE
    assert not _security_conversations(main_contact)
    assert not AuditEntry.objects.filter(action__startswith="exchange.").exists()


def test_assistant_cannot_freeze(main_contact):
    with pytest.raises(PermissionDenied):
        services.emergency_freeze(contact=main_contact, actor=Actor(kind=ActorKind.ASSISTANT))
    assert _status() == AccountStatus.ACTIVE


@pytest.mark.parametrize("note", ["", "   ", "x" * 501])
def test_staff_needs_a_verification_note(main_contact, agent_a, actor_of, note):
    with pytest.raises(ValidationFailed):
        services.emergency_freeze(contact=main_contact, actor=actor_of(agent_a), note=note)
    assert _status() == AccountStatus.ACTIVE
    assert not _security_conversations(main_contact)


def test_staff_with_note_freezes(main_contact, agent_a, actor_of):
    note = "Customer called from the verified phone number and passed the KYC questions"
    outcome = services.emergency_freeze(contact=main_contact, actor=actor_of(agent_a), note=note)
    assert outcome.result.status == AccountStatus.FROZEN
    assert _status() == AccountStatus.FROZEN
    assert outcome.conversation.priority == Priority.URGENT
    assert outcome.conversation.contact == main_contact
    [frozen] = AuditEntry.objects.filter(action="exchange.account_frozen")
    assert frozen.data["prepared_by"] == f"agent:{agent_a.pk}"
    [requested] = AuditEntry.objects.filter(action="exchange.emergency_freeze_requested")
    assert requested.data["verification"] == note


def test_repeat_is_idempotent(main_contact, customer_1, actor_of):
    first = services.emergency_freeze(contact=main_contact, actor=actor_of(customer_1))
    second = services.emergency_freeze(contact=main_contact, actor=actor_of(customer_1))
    assert second.already_frozen is True
    assert second.result.status == AccountStatus.FROZEN
    assert second.conversation == first.conversation
    assert len(_security_conversations(main_contact)) == 1
    assert AuditEntry.objects.filter(action="exchange.account_frozen").count() == 1
    assert AuditEntry.objects.filter(action="exchange.emergency_freeze_requested").count() == 2


def test_contact_without_exchange_account(db, customer_1, actor_of):
    customer_1.contact.uid = ""
    customer_1.contact.save(update_fields=["uid"])
    with pytest.raises(ValidationFailed):
        services.emergency_freeze(contact=customer_1.contact, actor=actor_of(customer_1))
    assert not _security_conversations(customer_1.contact)


def test_account_page_shows_the_section(client, main_contact, customer_1):
    client.force_login(customer_1)
    response = client.get(reverse("portal:account"))
    assert response.status_code == 200
    assert "I have been hacked — freeze my account now" in response.content.decode()
    assert reverse(URL_NAME) in response.content.decode()


def test_view_flow(client, main_contact, customer_1):
    client.force_login(customer_1)
    url = reverse(URL_NAME)
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="confirm"' in response.content.decode()

    response = client.post(url, {})
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    assert _status() == AccountStatus.ACTIVE
    assert not _security_conversations(main_contact)

    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 200
    body = response.content.decode()
    assert _status() == AccountStatus.FROZEN
    [conversation] = _security_conversations(main_contact)
    assert conversation.reference in body
    assert "Your account is frozen" in body
    assert "Change your password from a clean device" in body


def test_view_requires_csrf(main_contact, customer_1):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_1)
    response = client.post(reverse(URL_NAME), {"confirm": "yes"})
    assert response.status_code == 403
    assert _status() == AccountStatus.ACTIVE


def test_staff_and_anonymous_are_turned_away(client, main_contact, agent_a):
    url = reverse(URL_NAME)
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    client.force_login(agent_a)
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    assert _status() == AccountStatus.ACTIVE


def test_view_is_rate_limited(client, main_contact, customer_1):
    client.force_login(customer_1)
    url = reverse(URL_NAME)
    for _ in range(views.EMERGENCY_FREEZE_LIMIT):
        assert client.post(url, {}).status_code == 400
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 429
    assert _status() == AccountStatus.ACTIVE


def test_zh_rendering(client, main_contact, customer_1):
    customer_1.language = "zh-hans"
    customer_1.save()
    main_contact.language = "zh-hans"
    main_contact.save(update_fields=["language"])
    client.force_login(customer_1)
    client.cookies["django_language"] = "zh-hans"
    url = reverse(URL_NAME)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert "我的账户被盗" in body
    response = client.post(url, {"confirm": "yes"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 200
    assert "您的账户已冻结" in body
    [conversation] = _security_conversations(main_contact)
    assert conversation.subject == "紧急冻结：账户被盗"


def test_view_without_exchange_account_changes_nothing(client, db, customer_1):
    customer_1.contact.uid = "99999999"  # unknown to the exchange
    customer_1.contact.save(update_fields=["uid"])
    client.force_login(customer_1)
    response = client.post(reverse(URL_NAME), {"confirm": "yes"})
    assert response.status_code == 400
    assert "could not find your exchange account" in response.content.decode()
    assert not _security_conversations(customer_1.contact)
