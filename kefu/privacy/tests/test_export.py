"""The customer's data export: their own data, public replies only, audited."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.core.errors import PermissionDenied
from kefu.privacy.services.export import customer_export

EXPORT = "/account/export"


def test_export_holds_profile_conversations_public_replies_and_attachments(
    make_conversation, customer_1, actor_of
):
    conversation = make_conversation(customer_1.contact)

    document = json.loads(customer_export(contact=customer_1.contact, actor=actor_of(customer_1)))

    assert document["format"] == "kefu.customer-export.v1"
    assert document["profile"]["email"] == customer_1.contact.email
    assert document["profile"]["portal_login"]["email"] == customer_1.email
    [exported] = document["conversations"]
    assert exported["reference"] == conversation.reference
    assert exported["transaction_id"] == "0xdeadbeef"
    bodies = [m["body"] for m in exported["messages"]]
    assert bodies == ["My wallet 0xabc is secret stuff", "We are checking, Alice."]
    assert [a["filename"] for a in document["attachments"]] == ["proof.png"]
    assert document["attachments"][0]["conversation"] == conversation.reference


def test_internal_notes_are_never_exported(make_conversation, customer_1, actor_of):
    make_conversation(customer_1.contact)

    raw = customer_export(contact=customer_1.contact, actor=actor_of(customer_1))

    assert b"NOTE: looks like fraud" not in raw
    assert b"fraud" not in raw


def test_a_customer_cannot_export_someone_else(customer_1, customer_2, actor_of):
    with pytest.raises(PermissionDenied):
        customer_export(contact=customer_2.contact, actor=actor_of(customer_1))
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("persona", ["supervisor", "agent_a"])
def test_staff_other_than_admins_cannot_export(persona, request, customer_1, actor_of):
    with pytest.raises(PermissionDenied):
        customer_export(
            contact=customer_1.contact, actor=actor_of(request.getfixturevalue(persona))
        )


def test_the_export_is_audited_with_counts(make_conversation, customer_1, actor_of):
    make_conversation(customer_1.contact)

    customer_export(contact=customer_1.contact, actor=actor_of(customer_1))

    entry = AuditEntry.objects.get(action="contact.data_exported")
    assert entry.data == {"conversations": 1, "messages": 2, "attachments": 1}


def test_portal_download_is_a_json_attachment_of_my_own_data(
    make_conversation, customer_1, customer_2
):
    make_conversation(customer_1.contact, subject="Mine")
    make_conversation(customer_2.contact, subject="Not mine")
    client = Client()
    client.force_login(customer_1)

    response = client.post(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert [c["subject"] for c in document["conversations"]] == ["Mine"]
    assert "no-store" in response["Cache-Control"]


def test_portal_export_needs_a_post_and_a_signed_in_customer(customer_1):
    assert Client().post(EXPORT).status_code == 302
    client = Client()
    client.force_login(customer_1)
    assert client.get(EXPORT).status_code == 405
    assert AuditEntry.objects.filter(action="contact.data_exported").count() == 0


def test_account_page_links_to_the_export(customer_1):
    client = Client()
    client.force_login(customer_1)

    html = client.get("/account/").content.decode()

    assert 'action="/account/export"' in html
    assert 'action="/account/erasure"' in html


def test_cli_exports_to_a_file(make_conversation, customer_1, tmp_path):
    make_conversation(customer_1.contact)
    out = tmp_path / "export.json"

    call_command("privacy", "export", customer_1.contact.email, "-o", str(out))

    assert json.loads(out.read_text())["profile"]["email"] == customer_1.contact.email
    assert AuditEntry.objects.get(action="contact.data_exported").actor_kind == "system"
