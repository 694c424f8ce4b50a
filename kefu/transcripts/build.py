"""The transcript: a frozen, versioned record of a conversation as one audience may see it.

``build_transcript`` turns what a permission-scoped selector returned (``TranscriptSource``)
into plain data; the JSON and PDF files are two renderings of the same ``Transcript``. The
signed JSON is ``Transcript.as_dict()``, so every field here is part of the format
``kefu-transcript/1`` (docs/subsystems/transcripts.md): add fields, never change one.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import pgettext

from kefu.conversations.models import AuthorKind, Conversation, Message, MessageKind

FORMAT = "kefu-transcript/1"


class Audience(StrEnum):
    """Who a copy is for. The customer copy never holds internal notes."""

    CUSTOMER = "customer"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked for the transcript: a customer (contact id) or an agent (user id)."""

    kind: str  # "customer" or "agent"
    id: int
    time_zone: str = "UTC"
    language: str = "en"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A public status change from the conversation's timeline."""

    old: str
    new: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TranscriptSource:
    """What a selector loaded for one audience: already filtered, nothing more to hide."""

    conversation: Conversation
    messages: list[Message]
    status_changes: list[StatusChange]
    audience: Audience


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    filename: str
    content_type: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class MessageRecord:
    number: int  # 1, 2, 3... within this transcript (never the database id or sequence)
    internal: bool
    author_role: str  # AuthorKind value
    author_name: str
    time: datetime  # UTC
    time_local: datetime  # the same instant in the transcript's time zone
    body: str
    attachments: tuple[AttachmentRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": MessageKind.NOTE.value if self.internal else MessageKind.REPLY.value,
            "internal": self.internal,
            "author": {"role": self.author_role, "name": self.author_name},
            "time": iso_utc(self.time),
            "time_local": self.time_local.isoformat(),
            "body": self.body,
            "attachments": [a.as_dict() for a in self.attachments],
        }


@dataclass(frozen=True, slots=True)
class EventRecord:
    kind: str  # "status"
    old: str
    new: str
    time: datetime
    time_local: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "from": self.old,
            "to": self.new,
            "time": iso_utc(self.time),
            "time_local": self.time_local.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Transcript:
    format: str
    issuer: str
    key_id: str
    audience: Audience
    generated_at: datetime
    generated_for: Requester
    time_zone: str
    language: str
    reference: str
    subject: str
    channel: str
    status: str
    category: str
    created_at: datetime
    closed_at: datetime | None
    customer_name: str
    messages: tuple[MessageRecord, ...]
    events: tuple[EventRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        """The signed content: only strings, integers, booleans, null, lists and objects."""
        return {
            "format": self.format,
            "issuer": self.issuer,
            "key_id": self.key_id,
            "audience": self.audience.value,
            "generated_at": iso_utc(self.generated_at),
            "generated_for": {"kind": self.generated_for.kind, "id": self.generated_for.id},
            "time_zone": self.time_zone,
            "language": self.language,
            "conversation": {
                "reference": self.reference,
                "subject": self.subject,
                "channel": self.channel,
                "status": self.status,
                "category": self.category,
                "created_at": iso_utc(self.created_at),
                "closed_at": iso_utc(self.closed_at) if self.closed_at else None,
                "customer": {"name": self.customer_name},
            },
            "messages": [m.as_dict() for m in self.messages],
            "events": [e.as_dict() for e in self.events],
        }

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(zone(self.time_zone))


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second: ``2026-03-02T09:00:00Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def valid_zone_name(name: str) -> str:
    """``name`` if it is a time zone this server knows, else UTC."""
    return name if zone(name).key == name else "UTC"


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _author_name(message: Message, audience: Audience, customer_name: str) -> str:
    """The name shown to the audience: the customer's copy names agents as the portal does."""
    if message.author_kind == AuthorKind.CUSTOMER:
        return customer_name
    if message.author_kind == AuthorKind.AGENT:
        user = message.author_user
        if audience == Audience.CUSTOMER:
            return (
                message.author_name
                or (user.display_name if user else "")
                or pgettext("transcript author", "Support agent")
            )
        return str(user) if user else pgettext("transcript author", "Support agent")
    if message.author_kind == AuthorKind.ASSISTANT:
        return pgettext("transcript author", "Virtual assistant")
    return pgettext("transcript author", "Support team")


def build_transcript(
    *,
    source: TranscriptSource,
    requester: Requester,
    issuer: str,
    key_id: str,
    generated_at: datetime,
) -> Transcript:
    """The transcript of ``source`` for ``requester`` (labels in the requester's language)."""
    conversation = source.conversation
    time_zone = valid_zone_name(requester.time_zone)
    tz = zone(time_zone)
    customer_name = str(conversation.contact)
    records = []
    for number, message in enumerate(source.messages, start=1):
        internal = message.kind == MessageKind.NOTE
        if internal and source.audience != Audience.INTERNAL:
            # Selectors already filter notes out; this guards the customer copy twice.
            raise ValueError("an internal note reached a customer transcript")
        at = _second(message.created_at)
        records.append(
            MessageRecord(
                number=number,
                internal=internal,
                author_role=message.author_kind,
                author_name=_author_name(message, source.audience, customer_name),
                time=at,
                time_local=at.astimezone(tz),
                body=message.body,
                attachments=tuple(
                    AttachmentRecord(
                        filename=a.filename,
                        content_type=a.content_type,
                        size=a.size,
                        sha256=a.sha256,
                    )
                    for a in message.attachments.all()
                ),
            )
        )
    events = tuple(
        EventRecord(
            kind="status",
            old=change.old,
            new=change.new,
            time=_second(change.at),
            time_local=_second(change.at).astimezone(tz),
        )
        for change in source.status_changes
    )
    return Transcript(
        format=FORMAT,
        issuer=issuer,
        key_id=key_id,
        audience=source.audience,
        generated_at=_second(generated_at),
        generated_for=requester,
        time_zone=time_zone,
        language=requester.language,
        reference=conversation.reference,
        subject=conversation.subject,
        channel=conversation.channel,
        status=conversation.status,
        category=conversation.category,
        created_at=_second(conversation.created_at),
        closed_at=_second(conversation.closed_at) if conversation.closed_at else None,
        customer_name=customer_name,
        messages=tuple(records),
        events=events,
    )
