"""Helpers for conversation tests: snapshots of what a call wrote, and row summaries."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest
from django.db.models import Max, Model
from django.utils import timezone, translation

from kefu.audit.models import AuditEntry
from kefu.conversations.models import (
    Attachment,
    Conversation,
    Message,
    Status,
    TimelineEntry,
)


@pytest.fixture(autouse=True)
def _default_language_and_timezone():
    """Start and end every test in English and UTC.

    A request made through the test client leaves the signed-in user's language and timezone
    active in the thread, which would otherwise leak into the next test's messages.
    """
    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


WATCHED: tuple[type[Model], ...] = (Conversation, Message, Attachment, TimelineEntry, AuditEntry)


class Snapshot:
    """Remembers the highest id of every watched table so a test can list the rows added since."""

    def __init__(self) -> None:
        self.max_ids = {m: m.objects.aggregate(top=Max("pk"))["top"] or 0 for m in WATCHED}

    def new(self, model: type[Model]) -> list[Any]:
        return list(model.objects.filter(pk__gt=self.max_ids[model]).order_by("pk"))

    def timeline(self) -> list[tuple[Any, ...]]:
        return [
            (t.kind, t.actor_kind, t.actor_user_id, t.message_id, t.data, t.public)
            for t in self.new(TimelineEntry)
        ]

    def audit(self) -> list[tuple[Any, ...]]:
        return [
            (a.actor_kind, a.actor_ref, a.action, a.object_type, a.object_id, a.data)
            for a in self.new(AuditEntry)
        ]

    def assert_nothing_written(self) -> None:
        for model in WATCHED:
            assert self.new(model) == [], f"unexpected {model.__name__} rows"


@pytest.fixture
def snapshot():
    """snapshot() -> a Snapshot taken now."""
    return Snapshot


def set_status(conversation: Conversation, status: str) -> Conversation:
    """Put a conversation in ``status`` directly (test setup only, bypassing the rules)."""
    Conversation.objects.filter(pk=conversation.pk).update(status=status)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def closed_conversation(conversation_a):
    return set_status(conversation_a, Status.CLOSED)


# --- real file bytes for attachment tests ----------------------------------------------------


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG image, built by hand (no imaging library needed)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# A 16x16 baseline JFIF image (CPython's test data, python.jpg).
JPEG_BYTES = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8Q"
    "EBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
    "EBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQID"
    "BAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/"
    "2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx"
    "4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+"
    "Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolv"
    "w4KOp1KM6iCNvngZHwetf//Z"
)

# A minimal one-page PDF document.
PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)
