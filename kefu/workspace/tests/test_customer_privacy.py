"""Customers' personal data in the workspace: masked by default, revealed one field at a time
through an audited POST, only to staff who can see the conversation; attachment downloads are
audited too."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment
from kefu.workspace.tests.conftest import MODEL_BACKEND, PNG, login

EMAIL = "alice@example.com"
PHONE = "+86 13812348000"


@pytest.fixture
def contact(conversation_a):
    contact = conversation_a.contact
    contact.phone = PHONE
    contact.save(update_fields=["phone"])
    return contact


def reveal_url(conversation) -> str:
    return f"/agent/c/{conversation.pk}/customer/reveal"


def reveals() -> list[tuple[str, str, dict]]:
    return list(
        AuditEntry.objects.filter(action="contact.revealed")
        .order_by("seq")
        .values_list("actor_ref", "object_id", "data")
    )


def test_the_customer_panel_shows_email_and_phone_masked(client_a, conversation_a, contact):
    html = client_a.get(f"/agent/c/{conversation_a.pk}/").content.decode()

    assert EMAIL not in html
    assert "13812348000" not in html
    assert '<span class="ws-masked" data-reveal-value>a***@example.com</span>' in html
    assert '<span class="ws-masked" data-reveal-value>+86 138****8000</span>' in html
    assert html.count(f'action="{reveal_url(conversation_a)}" data-reveal-form>') == 2
    assert '<input type="hidden" name="field" value="phone">' in html


def test_the_live_side_panel_is_masked_too(client_a, conversation_a, contact):
    html = client_a.get(f"/agent/c/{conversation_a.pk}/state").content.decode()

    assert EMAIL not in html
    assert "a***@example.com" in html


def test_a_customer_without_a_phone_has_nothing_to_reveal(client_a, conversation_a):
    conversation_a.contact.phone = ""
    conversation_a.contact.save(update_fields=["phone"])

    html = client_a.get(f"/agent/c/{conversation_a.pk}/").content.decode()

    assert html.count("data-reveal-form") == 1  # the email only


def test_a_nameless_customer_is_masked_in_the_inbox_and_timeline(
    client_a, agent_a, conversation_a, contact, actor_of
):
    contact.name = ""
    contact.save(update_fields=["name"])
    conversation_a.assignee = agent_a
    conversation_a.save(update_fields=["assignee"])
    customer = actor_of(contact.user)
    services.message_reply(conversation=conversation_a, body="Any news?", actor=customer)

    inbox = (
        client_a.get("/agent/?view=all").content.decode() + client_a.get("/agent/").content.decode()
    )
    page = client_a.get(f"/agent/c/{conversation_a.pk}/").content.decode()

    assert "a***@example.com" in inbox
    assert EMAIL not in inbox
    assert "a***@example.com" in page
    assert EMAIL not in page


def test_reveal_with_javascript_returns_the_value_and_audits_it(
    client_a, agent_a, conversation_a, contact
):
    response = client_a.post(
        reveal_url(conversation_a), {"field": "phone"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True, "field": "phone", "value": PHONE}
    assert "no-store" in response["Cache-Control"]
    assert reveals() == [
        (
            f"agent:{agent_a.pk}",
            str(contact.pk),
            {"field": "phone", "conversation": conversation_a.pk},
        )
    ]


def test_reveal_without_javascript_shows_the_value_on_a_page(
    client_a, agent_a, conversation_a, contact
):
    response = client_a.post(reveal_url(conversation_a), {"field": "email"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<dd class="ws-mono">{EMAIL}</dd>' in html
    assert f'href="/agent/c/{conversation_a.pk}/"' in html
    assert [r[2]["field"] for r in reveals()] == ["email"]


def test_an_agent_who_cannot_see_the_conversation_cannot_reveal(client_b, conversation_a, contact):
    response = client_b.post(
        reveal_url(conversation_a), {"field": "email"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 404
    assert EMAIL not in response.content.decode()
    assert reveals() == []


def test_a_customer_cannot_reveal(customer_1, conversation_a, contact):
    response = login(customer_1).post(reveal_url(conversation_a), {"field": "email"})

    assert response.status_code == 404
    assert reveals() == []


def test_reveal_needs_a_post_and_a_known_field(client_a, conversation_a, contact):
    assert client_a.get(reveal_url(conversation_a) + "?field=email").status_code == 405
    response = client_a.post(
        reveal_url(conversation_a), {"field": "uid"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert reveals() == []


def test_reveal_without_the_csrf_token_is_refused(agent_a, conversation_a, contact):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_a, backend=MODEL_BACKEND)

    response = client.post(reveal_url(conversation_a), {"field": "email"})

    assert response.status_code == 403
    assert reveals() == []


def test_downloading_an_attachment_is_audited(client_a, agent_a, conversation_a, actor_of):
    services.message_reply(
        conversation=conversation_a,
        body="Receipt attached.",
        actor=actor_of(agent_a),
        attachments=[UploadedFile(filename="receipt.png", content=PNG)],
    )
    attachment = Attachment.objects.get()

    response = client_a.get(f"/agent/c/{conversation_a.pk}/attachments/{attachment.pk}")

    assert response.status_code == 200
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_ref) == (
        "attachment.downloaded",
        "attachment",
        str(attachment.pk),
        f"agent:{agent_a.pk}",
    )
    assert entry.data == {"conversation": conversation_a.pk, "message": attachment.message_id}


def test_a_refused_download_is_not_audited(client_b, agent_a, conversation_a, actor_of):
    services.message_reply(
        conversation=conversation_a,
        body="Receipt attached.",
        actor=actor_of(agent_a),
        attachments=[UploadedFile(filename="receipt.png", content=PNG)],
    )
    attachment = Attachment.objects.get()

    response = client_b.get(f"/agent/c/{conversation_a.pk}/attachments/{attachment.pk}")

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="attachment.downloaded").exists()
