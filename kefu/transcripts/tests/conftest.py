"""Fixtures for the transcript tests: a private signing key per test and a conversation with
replies, an internal note and attachments (the personas come from the root conftest)."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone, translation

from kefu.conversations import services as conversation_services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, Message
from kefu.transcripts import keys

CUSTOMER_TEXT = "我的 USDT 提现还没有到账，已经两个小时了。"
AGENT_REPLY = "您好，我们正在核查这笔提现 (TRC20)。Please allow 30 minutes."
NOTE_TEXT = "SECRET-NOTE: wallet team says the hot wallet is low 内部备注"
NOTE_FILE = "internal-screenshot.png"
REPLY_FILE = "receipt.png"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG image (attachments are sniffed from their bytes)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00\x80\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    """Every test signs with a key generated in its own folder."""
    settings.KEFU_TRANSCRIPT_SIGNING_KEY = ""
    settings.KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = ""
    settings.KEFU_TRANSCRIPT_GENERATED_KEY_PATH = tmp_path / "keys" / "transcript.pem"
    settings.KEFU_PUBLIC_URL = "https://support.example.com"
    settings.KEFU_TRANSCRIPT_ISSUER = "Example Exchange"
    keys.clear_caches()
    yield
    keys.clear_caches()


@pytest.fixture(autouse=True)
def _english_and_utc():
    translation.activate("en")
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


def pem_private(key: Ed25519PrivateKey) -> str:
    return keys.private_key_pem(key).decode("ascii")


def pem_public(key: Ed25519PrivateKey) -> str:
    return keys.SigningKey(key).public.pem


@pytest.fixture
def full_conversation(customer_1, team_a, agent_a, actor_of) -> Conversation:
    """Customer 1's conversation (team A): a Chinese first message, an agent reply with an
    attachment, an internal note with its own attachment, a customer reply, then solved."""
    from kefu.testing import factories

    conversation = factories.ConversationFactory(
        contact=customer_1.contact,
        team=team_a,
        subject="提现未到账 Withdrawal missing",
        body=CUSTOMER_TEXT,
        actor=actor_of(customer_1),
    )
    conversation_services.message_reply(
        conversation=conversation,
        body=AGENT_REPLY,
        attachments=[UploadedFile(filename=REPLY_FILE, content=png_bytes())],
        actor=actor_of(agent_a),
    )
    conversation_services.note_add(
        conversation=conversation,
        body=NOTE_TEXT,
        attachments=[UploadedFile(filename=NOTE_FILE, content=png_bytes(3, 3))],
        actor=actor_of(agent_a),
    )
    conversation_services.message_reply(
        conversation=conversation, body="Thank you! 谢谢", actor=actor_of(customer_1)
    )
    conversation_services.conversation_set_status(
        conversation=conversation, status="solved", actor=actor_of(agent_a)
    )
    conversation.refresh_from_db()
    assert Message.objects.filter(conversation=conversation).count() == 4
    return conversation


FIXED_NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
