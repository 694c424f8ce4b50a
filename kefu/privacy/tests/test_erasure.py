"""Erasure: the customer asks, an admin executes (or declines); what goes and what stays."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from kefu.accounts.models import User
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations.models import Attachment, Conversation, Message
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.integrations import services as webhooks
from kefu.integrations.models import WebhookDelivery, WebhookEndpoint
from kefu.privacy.models import ErasureRequest, ErasureState, RetentionPolicy
from kefu.privacy.services import erasure, holds
from kefu.privacy.services.common import ERASED_NAME, ERASURE_MARKER
from kefu.privacy.tests.conftest import file_exists, stored_files


def test_a_customer_requests_erasure_once(customer_1, actor_of):
    first = erasure.erasure_request(contact=customer_1.contact, actor=actor_of(customer_1))
    again = erasure.erasure_request(contact=customer_1.contact, actor=actor_of(customer_1))

    assert first.pk == again.pk
    assert first.state == ErasureState.PENDING
    assert AuditEntry.objects.filter(action="erasure.requested").count() == 1


def test_a_customer_cannot_request_for_someone_else(customer_1, customer_2, actor_of):
    with pytest.raises(PermissionDenied):
        erasure.erasure_request(contact=customer_2.contact, actor=actor_of(customer_1))
    assert ErasureRequest.objects.count() == 0


def test_erasure_anonymises_the_customer_and_keeps_what_the_law_requires(
    admin_user, actor_of, make_conversation, customer_1, django_capture_on_commit_callbacks
):
    conversation = make_conversation(customer_1.contact)
    files = stored_files(conversation)
    uid = customer_1.contact.uid
    request = erasure.erasure_request(contact=customer_1.contact, actor=actor_of(customer_1))

    with django_capture_on_commit_callbacks(execute=True):
        summary = erasure.customer_erase(
            contact=customer_1.contact, request=request, actor=actor_of(admin_user)
        )

    contact = Contact.objects.get(pk=customer_1.contact.pk)
    assert (contact.name, contact.email, contact.phone) == (ERASED_NAME, None, "")
    assert contact.uid == uid  # kept for AML by default
    user = User.objects.get(pk=customer_1.pk)
    assert user.is_active is False
    assert user.email.endswith("@erased.invalid")
    assert not user.has_usable_password()
    assert set(
        Message.objects.filter(conversation=conversation).values_list("body", flat=True)
    ) == {ERASURE_MARKER}
    assert not Attachment.objects.filter(message__conversation=conversation).exists()
    assert not any(file_exists(n) for n in files)
    conversation.refresh_from_db()
    assert conversation.subject == ERASED_NAME
    assert conversation.tx_id == "0xdeadbeef"  # a financial record, kept by default
    assert summary["messages"] == 3
    assert summary["attachments"] == 1
    request.refresh_from_db()
    assert request.state == ErasureState.COMPLETED
    assert request.summary["conversations"] == 1
    entry = AuditEntry.objects.get(action="contact.erased")
    assert "secret stuff" not in str(entry.data)
    assert customer_1.email not in str(entry.data)
    # the audit log itself is untouched: earlier entries still exist
    assert AuditEntry.objects.filter(action="erasure.requested").exists()


def test_the_policy_can_say_account_and_transaction_ids_go_too(
    admin_user, actor_of, make_conversation, customer_1
):
    conversation = make_conversation(customer_1.contact)
    RetentionPolicy.objects.filter(pk=RetentionPolicy.load().pk).update(
        erasure_keeps_account_id=False, erasure_keeps_transaction_ids=False
    )

    erasure.customer_erase(contact=customer_1.contact, actor=actor_of(admin_user))

    assert Contact.objects.get(pk=customer_1.contact.pk).uid is None
    assert Conversation.objects.get(pk=conversation.pk).tx_id == ""


def test_a_customer_under_legal_hold_cannot_be_erased(
    admin_user, actor_of, make_conversation, customer_1
):
    conversation = make_conversation(customer_1.contact)
    holds.hold_place(subject=customer_1.contact, reason="Court order", actor=actor_of(admin_user))

    with pytest.raises(InvalidTransition):
        erasure.customer_erase(contact=customer_1.contact, actor=actor_of(admin_user))

    assert Contact.objects.get(pk=customer_1.contact.pk).email == customer_1.contact.email
    assert not Message.objects.filter(conversation=conversation, body=ERASURE_MARKER).exists()
    assert not AuditEntry.objects.filter(action="contact.erased").exists()


def test_a_conversation_under_legal_hold_is_kept_intact(
    admin_user, actor_of, make_conversation, customer_1
):
    held = make_conversation(customer_1.contact, subject="Held")
    other = make_conversation(customer_1.contact, subject="Other")
    holds.hold_place(subject=held, reason="Fraud case", actor=actor_of(admin_user))

    summary = erasure.customer_erase(contact=customer_1.contact, actor=actor_of(admin_user))

    assert summary["conversations_kept_for_legal_hold"] == 1
    assert not Message.objects.filter(conversation=held, body=ERASURE_MARKER).exists()
    assert Conversation.objects.get(pk=held.pk).subject == "Held"
    assert Message.objects.filter(conversation=other, body=ERASURE_MARKER).count() == 3


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "customer_1"])
def test_only_admins_execute_an_erasure(persona, request, actor_of, customer_2):
    with pytest.raises(PermissionDenied):
        erasure.customer_erase(
            contact=customer_2.contact, actor=actor_of(request.getfixturevalue(persona))
        )
    assert Contact.objects.get(pk=customer_2.contact.pk).name != ERASED_NAME


def test_erasure_redacts_stored_webhook_payloads(
    admin_user, actor_of, make_conversation, customer_1, settings
):
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = True
    webhooks.endpoint_create(
        url="http://127.0.0.1:9/hook", events=["message.created"], actor=actor_of(admin_user)
    )
    conversation = make_conversation(customer_1.contact)
    webhooks.deliveries_create_for_event(
        event_type="message.created",
        payload={"message": {"body": "My wallet 0xabc is secret stuff"}},
        occurred_at=conversation.created_at,
        conversation_id=conversation.pk,
        endpoints=list(WebhookEndpoint.objects.all()),
    )

    erasure.customer_erase(contact=customer_1.contact, actor=actor_of(admin_user))

    assert list(WebhookDelivery.objects.values_list("payload", flat=True)) == [{"redacted": True}]


def test_admin_declines_with_a_reason(admin_user, actor_of, customer_1):
    request = erasure.erasure_request(contact=customer_1.contact, actor=actor_of(customer_1))

    erasure.erasure_decline(request=request, note="Open investigation", actor=actor_of(admin_user))

    request.refresh_from_db()
    assert request.state == ErasureState.REJECTED
    with pytest.raises(InvalidTransition):
        erasure.customer_erase(
            contact=customer_1.contact, request=request, actor=actor_of(admin_user)
        )
    assert Contact.objects.get(pk=customer_1.contact.pk).name != ERASED_NAME


def test_portal_request_and_backoffice_execution(admin_user, customer_1, make_conversation):
    make_conversation(customer_1.contact)
    customer = Client()
    customer.force_login(customer_1)

    refused = customer.post("/account/erasure", {})
    assert refused.status_code == 302
    assert ErasureRequest.objects.count() == 0

    customer.post("/account/erasure", {"confirm": "yes"})
    request = ErasureRequest.objects.get()
    assert "You asked us to erase your data" in customer.get("/account/").content.decode()

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/agent/manage/erasures/")
    assert page.status_code == 200
    assert f"/agent/manage/erasures/{request.pk}/erase/" in page.content.decode()
    admin.post(f"/agent/manage/erasures/{request.pk}/erase/")

    request.refresh_from_db()
    assert request.state == ErasureState.COMPLETED
    assert User.objects.get(pk=customer_1.pk).is_active is False


def test_supervisors_cannot_see_or_execute_erasures(supervisor, customer_1, actor_of):
    request = erasure.erasure_request(contact=customer_1.contact, actor=actor_of(customer_1))
    client = Client()
    client.force_login(supervisor)

    assert client.get("/agent/manage/erasures/").status_code == 404
    assert client.post(f"/agent/manage/erasures/{request.pk}/erase/").status_code == 404
    request.refresh_from_db()
    assert request.state == ErasureState.PENDING


def test_cli_erase_needs_confirmation(customer_1):
    with pytest.raises(CommandError):
        call_command("privacy", "erase", customer_1.contact.email)
    assert Contact.objects.get(pk=customer_1.contact.pk).name != ERASED_NAME

    call_command("privacy", "erase", customer_1.contact.email, "--yes")
    assert Contact.objects.get(pk=customer_1.contact.pk).name == ERASED_NAME
    assert AuditEntry.objects.get(action="contact.erased").actor_kind == "system"
