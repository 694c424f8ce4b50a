"""Helpers for the privacy tests: closed conversations with notes and attachments."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage

from kefu.conversations import services as conv
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment, Conversation, Status
from kefu.core import clock
from kefu.testing import factories


def png_bytes() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def make_conversation(agent_a, actor_of):
    """make_conversation(contact, closed_days_ago=None) -> a conversation with the customer's
    first message (and an attachment), an agent reply and an internal note."""

    def make(contact, *, closed_days_ago: int | None = None, subject: str = "Deposit missing"):
        conversation = factories.ConversationFactory(
            contact=contact,
            subject=subject,
            body="My wallet 0xabc is secret stuff",
            tx_id="0xdeadbeef",
            attachments=[UploadedFile(filename="proof.png", content=png_bytes())],
        )
        conv.message_reply(
            conversation=conversation, body="We are checking, Alice.", actor=actor_of(agent_a)
        )
        conv.note_add(
            conversation=conversation, body="NOTE: looks like fraud", actor=actor_of(agent_a)
        )
        if closed_days_ago is not None:
            Conversation.objects.filter(pk=conversation.pk).update(
                status=Status.CLOSED, closed_at=clock.now() - timedelta(days=closed_days_ago)
            )
        conversation.refresh_from_db()
        return conversation

    return make


def stored_files(conversation: Conversation) -> list[str]:
    return [a.file.name for a in Attachment.objects.filter(message__conversation=conversation)]


def file_exists(name: str) -> bool:
    return default_storage.exists(name)
