"""Replies with attachments, and who may download them."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment, Message, MessageKind
from kefu.workspace.tests.conftest import PNG, login


def upload(name="proof.png", content=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_reply_with_attachments_stores_them(
    client_a, conversation_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            f"/agent/c/{conversation_a.pk}/reply",
            {
                "body": "See the attached receipt.",
                "attachments": [upload("receipt.png"), upload("second.png")],
            },
        )

    assert response.status_code == 302
    message = Message.objects.filter(conversation=conversation_a).order_by("-id").first()
    assert message.kind == MessageKind.REPLY
    stored = list(message.attachments.order_by("id"))
    assert [(a.filename, a.content_type, a.size) for a in stored] == [
        ("receipt.png", "image/png", len(PNG)),
        ("second.png", "image/png", len(PNG)),
    ]
    html = client_a.get(response["Location"]).content.decode()
    assert (
        f'<a href="/agent/c/{conversation_a.pk}/attachments/{stored[0].pk}">receipt.png</a>' in html
    )


def test_note_with_an_attachment(client_a, conversation_a):
    client_a.post(
        f"/agent/c/{conversation_a.pk}/note",
        {"body": "Internal screenshot", "attachments": [upload("internal.png")]},
    )

    note = Message.objects.get(conversation=conversation_a, kind=MessageKind.NOTE)
    assert list(note.attachments.values_list("filename", flat=True)) == ["internal.png"]


def test_disallowed_file_type_is_refused_with_the_reason(client_a, conversation_a, counts):
    before = counts()

    response = client_a.post(
        f"/agent/c/{conversation_a.pk}/reply",
        {
            "body": "Here is a script",
            "attachments": [upload("run.png", b"#!/bin/sh\necho hi\n", "image/png")],
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "run.png is not an allowed file type (PNG, JPEG, GIF, WebP or PDF)." in html
    assert 'required id="reply_body">\nHere is a script</textarea>' in html
    assert counts()["messages"] == before["messages"]
    assert counts()["attachments"] == before["attachments"]


def test_oversized_file_is_refused(client_a, conversation_a, settings, counts):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 2**20
    before = counts()

    response = client_a.post(
        f"/agent/c/{conversation_a.pk}/reply",
        {"body": "Big file", "attachments": [upload("big.png", PNG + b"\0" * 2**20)]},
    )

    assert response.status_code == 400
    assert "big.png is larger than 1 MB." in response.content.decode()
    assert counts()["attachments"] == before["attachments"]


def _attach(conversation, actor):
    services.message_reply(
        conversation=conversation,
        body="Screenshot attached",
        attachments=[UploadedFile("shot.png", PNG)],
        actor=actor,
        author="customer",
    )
    return Attachment.objects.get(message__conversation=conversation)


def test_agent_downloads_an_attachment_of_a_visible_conversation(
    client_a, conversation_a, system_actor
):
    attachment = _attach(conversation_a, system_actor)

    response = client_a.get(f"/agent/c/{conversation_a.pk}/attachments/{attachment.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="shot.png"'
    assert b"".join(response.streaming_content) == PNG


def test_agent_of_another_team_cannot_download(client_b, conversation_a, system_actor):
    attachment = _attach(conversation_a, system_actor)

    response = client_b.get(f"/agent/c/{conversation_a.pk}/attachments/{attachment.pk}")

    assert response.status_code == 404


def test_attachment_is_not_reachable_through_another_conversation(
    client_supervisor, conversation_a, conversation_b, system_actor
):
    attachment = _attach(conversation_b, system_actor)

    response = client_supervisor.get(f"/agent/c/{conversation_a.pk}/attachments/{attachment.pk}")

    assert response.status_code == 404


def test_customer_cannot_download_through_the_workspace(customer_1, conversation_a, system_actor):
    attachment = _attach(conversation_a, system_actor)

    response = login(customer_1).get(f"/agent/c/{conversation_a.pk}/attachments/{attachment.pk}")

    assert response.status_code == 404


def test_unknown_attachment_is_404(client_a, conversation_a):
    assert client_a.get(f"/agent/c/{conversation_a.pk}/attachments/999999").status_code == 404
