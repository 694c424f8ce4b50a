"""What each audience sees of a conversation or message. The customer shape is an allow-list."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.models import Attachment, Conversation, Message, MessageKind

ATTACHMENT_SALT = "kefu.chat.attachment"
ATTACHMENT_LINK_SECONDS = 24 * 3600


def initials(name: str) -> str:
    """One or two letters for an avatar: "Lin Wei" -> "LW", "小王" -> "小"."""
    parts = [p for p in name.replace(".", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1 or not parts[0].isascii():
        return parts[0][0].upper()
    return (parts[0][0] + parts[-1][0]).upper()


def agent_public_name(user: User | None) -> str:
    """The name a customer sees for an agent: the display name, never the email address."""
    if user is None or not user.display_name:
        return _("Support")
    return user.display_name


def sign_attachment(attachment_id: int) -> str:
    return signing.TimestampSigner(salt=ATTACHMENT_SALT).sign(str(attachment_id))


def verify_attachment_signature(attachment_id: int, signature: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=ATTACHMENT_SALT).unsign(
            signature, max_age=ATTACHMENT_LINK_SECONDS
        )
    except signing.BadSignature:
        return False
    return value == str(attachment_id)


def _attachment_for_customer(a: Attachment) -> dict[str, Any]:
    url = reverse("webchat:attachment", args=[a.pk])
    return {
        "id": a.pk,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "url": f"{url}?sig={sign_attachment(a.pk)}",
    }


def _attachment_for_staff(a: Attachment, conversation_id: int) -> dict[str, Any]:
    return {
        "id": a.pk,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "url": reverse("workspace:attachment", args=[conversation_id, a.pk]),
    }


def _author_name(message: Message, conversation: Conversation) -> str:
    if message.author_kind == "customer":
        return conversation.contact.name if conversation.contact_id else ""
    if message.author_kind == "agent":
        # The name the customer saw when it was written, not the agent's current one.
        return message.author_name or agent_public_name(message.author_user)
    if message.author_kind == "assistant":
        return _("Assistant")
    return _("Support")


def message_for_customer(message: Message) -> dict[str, Any]:
    """A public reply as the customer's widget or app receives it. Notes are refused."""
    if message.kind != MessageKind.REPLY or message.public_seq is None:
        raise ValueError("internal notes have no customer shape")
    conversation = message.conversation
    name = _author_name(message, conversation)
    return {
        "id": message.pk,
        "seq": message.public_seq,
        "conversation_id": message.conversation_id,
        "author": str(message.author_kind),
        "name": name,
        "initials": initials(name) if name else "",
        "body": message.body,
        "html": message.body_html,
        "created_at": message.created_at.isoformat(),
        "attachments": [_attachment_for_customer(a) for a in message.attachments.all()],
        **_assistant_extras(message),
    }


def _assistant_extras(message: Message) -> dict[str, Any]:
    """The assistant's buttons, citations and link (docs/subsystems/realtime.md): an
    allow-list of the message metadata, present on every message (empty when there are none)."""
    meta = message.metadata if message.author_kind == "assistant" else {}
    actions = meta.get("actions") or []
    citations = meta.get("citations") or []
    return {
        "actions": [{"label": str(a["label"]), "payload": str(a["payload"])} for a in actions],
        "citations": [{"title": str(c["title"]), "url": str(c["url"])} for c in citations],
        "link": str(meta.get("link") or "") or None,
    }


def message_for_staff(message: Message) -> dict[str, Any]:
    conversation = message.conversation
    name = (
        str(message.author_user) if message.author_user_id else _author_name(message, conversation)
    )
    return {
        "id": message.pk,
        "seq": message.seq,
        "public_seq": message.public_seq,
        "kind": str(message.kind),  # a plain str, also for a row written in this process
        "conversation_id": message.conversation_id,
        "author": str(message.author_kind),
        "author_user_id": message.author_user_id,
        "name": name,
        "body": message.body,
        "html": message.body_html,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            _attachment_for_staff(a, message.conversation_id) for a in message.attachments.all()
        ],
    }


def conversation_for_customer(conversation: Conversation) -> dict[str, Any]:
    from kefu.csat.payloads import survey_for_customer

    agent = conversation.assignee
    return {
        "id": conversation.pk,
        "reference": conversation.reference,
        "status": conversation.status,
        "last_seq": conversation.last_public_seq,
        "customer_read_seq": conversation.customer_read_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "agent": (
            {"name": agent_public_name(agent), "initials": initials(agent_public_name(agent))}
            if agent is not None
            else None
        ),
        # The satisfaction survey while it can be answered (chat protocol v1, additive).
        "survey": survey_for_customer(conversation),
    }


def conversation_for_staff(conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": conversation.pk,
        "status": conversation.status,
        "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id,
        "priority": conversation.priority,
        "tier": conversation.tier,
        "last_seq": conversation.last_seq,
    }


def _message_rows() -> Any:
    """Messages with everything the payload shapes read, in three queries at most."""
    return Message.objects.select_related(
        "author_user", "conversation__contact", "conversation__assignee"
    ).prefetch_related("attachments")


def _messages(conversation_id: int) -> Any:
    return _message_rows().filter(conversation_id=conversation_id)


def load_message(message_id: int) -> Message | None:
    # No ORDER BY (``first()`` would add the model's): one row by primary key, and the ordering
    # over three joined tables costs more to compile than the query takes to run.
    preloaded: dict[int, Message] | None = getattr(_routed, "preloaded", None)
    if preloaded is not None and message_id in preloaded:
        return preloaded.pop(message_id)
    rows = list(_message_rows().filter(pk=message_id).order_by()[:1])
    return rows[0] if rows else None


@contextmanager
def preloaded(message_ids: list[int]) -> Iterator[None]:
    """Within the block, ``load_message`` of these ids (after their commit) takes the rows of
    one query instead of one query each: for routing a batch of messages just committed
    (none for no ids)."""
    rows = _message_rows().filter(pk__in=message_ids).order_by() if message_ids else ()
    _routed.preloaded = {m.pk: m for m in rows}
    try:
        yield
    finally:
        _routed.preloaded = None


# Messages just routed by this thread, for ``routed_message``. A chat message is loaded after
# commit to route it and was loaded again for the sender's ack a moment later, in the same
# thread (the consumer's database thread); the ack now takes the routed row instead.
_ROUTED_LIMIT = 128  # a batch of chat messages (kefu.inbox.adapters.webchat.batch)
_ROUTED_SECONDS = 2.0
_routed = threading.local()


def remember_routed(message: Message) -> None:
    """Keep ``message`` (as loaded by ``load_message`` after its commit) for ``routed_message``."""
    kept: dict[int, tuple[float, Message]] = getattr(_routed, "messages", None) or {}
    kept[message.pk] = (time.monotonic(), message)
    while len(kept) > _ROUTED_LIMIT:
        del kept[next(iter(kept))]
    _routed.messages = kept


def routed_message(message_id: int, *, created_at: datetime | None = None) -> Message | None:
    """The message as this thread routed it in the last seconds (taken once), else a fresh load.

    For a payload built right after the write that published the message, in the same thread
    (the chat ack): the row as it was read after the transaction that wrote it committed.
    ``created_at`` (the caller's copy of the row) guards against an id reused after a rollback:
    a kept row with another creation time is not this message.
    """
    kept: dict[int, tuple[float, Message]] = getattr(_routed, "messages", None) or {}
    entry = kept.pop(message_id, None)
    if (
        entry is not None
        and time.monotonic() - entry[0] <= _ROUTED_SECONDS
        and (created_at is None or entry[1].created_at == created_at)
    ):
        return entry[1]
    return load_message(message_id)


def customer_messages_after(
    conversation_id: int, after_seq: int, *, limit: int = 200
) -> list[dict[str, Any]]:
    """Public replies with ``public_seq`` > ``after_seq``, oldest first."""
    rows = (
        _messages(conversation_id)
        .filter(public_seq__gt=after_seq, kind=MessageKind.REPLY)
        .order_by("public_seq")[:limit]
    )
    return [message_for_customer(m) for m in rows]


def customer_messages_latest(conversation_id: int, *, limit: int = 50) -> list[dict[str, Any]]:
    rows = list(
        _messages(conversation_id)
        .filter(public_seq__isnull=False, kind=MessageKind.REPLY)
        .order_by("-public_seq")[:limit]
    )
    return [message_for_customer(m) for m in reversed(rows)]


def latest_seqs(conversation_ids: Iterable[int], *, public: bool) -> dict[int, int]:
    """Each conversation's newest message number: public replies only, or every message."""
    field = "last_public_seq" if public else "last_seq"
    rows = Conversation.objects.filter(pk__in=list(conversation_ids)).values_list("pk", field)
    return dict(rows)


def staff_messages_after(
    conversation_id: int, after_seq: int, *, limit: int = 200
) -> list[dict[str, Any]]:
    rows = _messages(conversation_id).filter(seq__gt=after_seq).order_by("seq")[:limit]
    return [message_for_staff(m) for m in rows]
