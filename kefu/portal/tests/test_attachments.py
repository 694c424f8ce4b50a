from __future__ import annotations

from django.urls import reverse

from kefu.accounts.services import actor_for_user
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.services import message_reply, note_add

from .samples import PDF, PNG


def _url(conversation, attachment):
    return reverse("portal:attachment_download", args=[conversation.pk, attachment.pk])


def test_customer_downloads_own_attachment(client_1, customer_1, conversation_a):
    message = message_reply(
        conversation=conversation_a,
        body="Statement",
        attachments=[UploadedFile(filename="statement.pdf", content=PDF)],
        actor=actor_for_user(customer_1),
    )
    attachment = message.attachments.get()
    response = client_1.get(_url(conversation_a, attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_customer_downloads_agent_reply_attachment(client_1, agent_a, conversation_a):
    message = message_reply(
        conversation=conversation_a,
        body="See the attached guide",
        attachments=[UploadedFile(filename="guide.png", content=PNG)],
        actor=actor_for_user(agent_a),
    )
    response = client_1.get(_url(conversation_a, message.attachments.get()))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_note_attachment_is_404_for_customer(client_1, agent_a, conversation_a):
    note = note_add(
        conversation=conversation_a,
        body="internal",
        attachments=[UploadedFile(filename="internal.png", content=PNG)],
        actor=actor_for_user(agent_a),
    )
    response = client_1.get(_url(conversation_a, note.attachments.get()))
    assert response.status_code == 404


def test_anonymous_download_goes_to_login(customer_1, conversation_a, client):
    message = message_reply(
        conversation=conversation_a,
        body="x",
        attachments=[UploadedFile(filename="a.png", content=PNG)],
        actor=actor_for_user(customer_1),
    )
    response = client.get(_url(conversation_a, message.attachments.get()))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
