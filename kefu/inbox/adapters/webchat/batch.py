"""Group commit for chat messages (docs/adr/0015-chat-group-commit.md).

The chat sockets of one process hand their ``message.send`` frames to one ``ChatBatcher`` per
event loop. It collects the frames that arrive while the database thread is busy (plus a window
of ``WINDOW_SECONDS``) and stores them in one transaction: one idempotency query, one locked
read of the conversations (with their contacts and assignees, and the policy-cache token), one
insert of the messages, one update of the conversations, one search-index round, one insert of
the timeline rows, one audit append for all of them (the inserts built by
``kefu.core.inserts.insert_new``: the ORM's per-value compilation cost more than the database).
After the commit, with no query, the routing and the acks build their payloads from the rows
written here (a text message has no attachments), and the webhook endpoints come from the policy
cache under the token of the locked read (docs/adr/0028-policy-cache.md). The guarantees are
those of ``chat_message_send``: stored before the ack, per-conversation ``seq``/``public_seq``
under the conversations' locks, one message per idempotency key, the timeline and audit rows in
the same transaction, the secret guard before anything is stored.

Only the common case is batched: a text message in an existing NEW or OPEN chat of the
visitor's, with a new key, no secret in it, no assistant session. Everything else (a repeated
key, a closed, pending or solved chat, a secret, the assistant, a new chat, a bad frame) and
every message of a batch whose transaction failed goes through ``ChatSession.handle`` one by
one, after the batch, exactly as without batching. ``KEFU_CHAT_GROUP_COMMIT=0`` turns it off.

``_write`` does for a customer's chat message what ``conversations.services.message_reply``
does (message, counters, search, timeline, audit, ``MessageCreated``): keep the two in step.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import translation

from kefu.assistant.models import AssistantSession
from kefu.audit.services import audit_record_many
from kefu.conversations import search, secret_guard
from kefu.conversations.models import (
    Attachment,
    AuthorKind,
    Channel,
    Conversation,
    DeliveryStatus,
    Message,
    MessageKind,
    Status,
    TimelineEntry,
    TimelineKind,
)
from kefu.core import clock, policy_cache
from kefu.core.inserts import insert_new
from kefu.core.text import render_markdown
from kefu.inbox.adapters.webchat import protocol, services
from kefu.inbox.adapters.webchat.session import ChatSession, Result
from kefu.realtime.db import database_sync_to_async
from kefu.realtime.events import Event, MessageCreated
from kefu.realtime.publish import deliver_committed

log = logging.getLogger(__name__)

ENABLED = os.environ.get("KEFU_CHAT_GROUP_COMMIT", "1") != "0"
WINDOW_SECONDS = 0.002  # after the first frame, wait this long for others (and while busy)
MAX_BATCH = 64


@dataclass
class Item:
    session: ChatSession
    frame: protocol.MessageSend


def _batchable(item: Item) -> bool:
    frame = item.frame
    if frame.conversation_id is None or not isinstance(frame.id, str):
        return False
    body = (frame.body or "").strip()
    return bool(services.CLIENT_KEY.match(frame.id)) and 0 < len(body) <= services.MAX_CHAT_BODY


def write_batch(items: list[Item]) -> list[Result]:
    """Store ``items`` (in a database thread): batched where possible, the rest one by one."""
    results: dict[int, Result] = {}
    candidates = [i for i, item in enumerate(items) if _batchable(item)]
    if candidates:
        try:
            results = _write(items, candidates)
        except Exception:
            # Nothing of the batch was stored (one transaction): each message on its own.
            log.warning(
                "a batch of %d chat messages failed; storing one by one",
                len(candidates),
                exc_info=True,
            )
            results = {}
    return [
        results[i] if i in results else item.session.handle(item.frame)
        for i, item in enumerate(items)
    ]


def _write(items: list[Item], candidates: list[int]) -> dict[int, Result]:
    keys: dict[int, str] = {}
    bodies: dict[int, str] = {}
    for i in candidates:
        item = items[i]
        key = f"{item.session.visitor.pk}:{item.frame.id}"
        if key in keys.values():
            continue  # the same key twice: the second one after the batch, as a repeat
        body = item.frame.body.strip()
        if secret_guard.screen_inbound(body=body).found:
            continue  # redaction, notice, flag: the full path
        keys[i], bodies[i] = key, body
    if not keys:
        return {}
    conversation_ids = {items[i].frame.conversation_id for i in keys}
    stored: list[tuple[int, Message]] = []
    events: list[Event] = []
    with transaction.atomic():
        repeated = set(_column(_REPEATED, [Channel.CHAT.value, *keys.values()], len(keys)))
        # Whole rows with their contact and assignee (only the conversations are locked): the
        # payloads and acks built after the commit read them from these instances. The same
        # statement reads the policy-cache token for the webhook look-up after the commit: this
        # transaction writes no policy row, and on SQLite (BEGIN IMMEDIATE) no other write can
        # commit before ours, so it is the committed token; on PostgreSQL it is at most this
        # transaction's few milliseconds old, as an inbound event's pinned token (ADR 0028).
        conversations = {
            c.pk: c
            for c in Conversation.objects.select_for_update(of=("self",))
            .select_related("contact", "assignee")
            .filter(pk__in=conversation_ids, channel=Channel.CHAT)
            .annotate(kefu_policy_token=policy_cache.token_subquery())
            .order_by()
        }
        assisted = set(_column(_ASSISTED, list(conversation_ids), len(conversation_ids)))
        counts: dict[int, int] = {}
        for i, key in keys.items():
            session = items[i].session
            conversation = conversations.get(items[i].frame.conversation_id or 0)
            if (
                key in repeated
                or conversation is None
                or conversation.contact_id != session.visitor.contact_id
                or conversation.status not in (Status.NEW, Status.OPEN)
                or conversation.pk in assisted
            ):
                continue  # the full path answers (the stored message, not found, closed...)
            conversation.last_seq += 1
            conversation.last_public_seq += 1
            counts[conversation.pk] = counts.get(conversation.pk, 0) + 1
            message = Message(
                conversation=conversation,
                kind=MessageKind.REPLY,
                author_kind=AuthorKind.CUSTOMER,
                author_user_id=None,
                body=bodies[i],
                body_html=render_markdown(bodies[i]),
                channel=Channel.CHAT,
                external_id=key,
                created_at=clock.now(),
                delivery_status=DeliveryStatus.NONE,
                seq=conversation.last_seq,
                public_seq=conversation.last_public_seq,
                metadata={},
            )
            stored.append((i, message))
        if not stored:
            return {}
        insert_new(Message, [m for _i, m in stored])
        if any(m.pk is None for _i, m in stored):
            raise RuntimeError("the database returned no ids for the batch")
        for _i, message in stored:
            _no_attachments(message)
        now = clock.now()
        # One statement, run once per conversation (an ORM CASE over the batch cost more
        # to build than the database took to run it).
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Conversation._meta.db_table} SET last_activity_at = %s, "  # noqa: S608
                "message_count = message_count + %s, last_seq = %s, last_public_seq = %s "
                "WHERE id = %s",
                [
                    (
                        connection.ops.adapt_datetimefield_value(now),
                        n,
                        conversations[pk].last_seq,
                        conversations[pk].last_public_seq,
                        pk,
                    )
                    for pk, n in counts.items()
                ],
            )
        texts: dict[int, list[str]] = {}
        for _i, message in stored:
            texts.setdefault(message.conversation_id, []).append(message.body)
        search.append_many(texts)
        actors = {i: services.visitor_actor(items[i].session.visitor) for i, _m in stored}
        insert_new(
            TimelineEntry,
            [
                TimelineEntry(
                    conversation_id=message.conversation_id,
                    kind=TimelineKind.MESSAGE,
                    actor_kind=str(actors[i].kind),
                    actor_user_id=actors[i].user_id,
                    actor_label=actors[i].label[:120],
                    message=message,
                    data={},
                    public=True,
                    created_at=now,
                )
                for i, message in stored
            ],
        )
        audit_record_many(
            [
                (
                    actors[i],
                    "message.replied",
                    "conversation",
                    message.conversation_id,
                    {"message": message.pk},
                )
                for i, message in stored
            ]
        )
        for _i, message in stored:
            conversation = conversations[message.conversation_id]
            assert message.seq is not None  # set above
            events.append(
                MessageCreated(
                    conversation_id=conversation.pk,
                    message_id=message.pk,
                    seq=message.seq,
                    public_seq=message.public_seq,
                    team_id=conversation.team_id,
                    assignee_id=conversation.assignee_id,
                )
            )
        held = {message.pk: message for _i, message in stored}
        token = next(iter(conversations.values())).kefu_policy_token
        transaction.on_commit(partial(deliver_committed, events, messages=held, policy_token=token))
    results: dict[int, Result] = {}
    for i, message in stored:
        session, frame = items[i].session, items[i].frame
        with translation.override(session.language):
            ack = session.ack(
                frame.id, message.conversation_id, message.pk, created_at=message.created_at
            )
        results[i] = Result(frames=[ack], join=[message.conversation_id])
    return results


# The two plain look-ups of a batch, as the ORM would write them (``filter(...).values_list``)
# without building and compiling a query each time; ``{marks}``: one placeholder per value.
_KEY, _CHANNEL = (Message._meta.get_field(n).column for n in ("external_id", "channel"))  # type: ignore[union-attr]
_REPEATED = (
    f"SELECT {_KEY} FROM {Message._meta.db_table} "  # noqa: S608 - names only
    f"WHERE {_CHANNEL} = %s AND {_KEY} IN ({{marks}})"
)
_SESSION_CONVERSATION = AssistantSession._meta.get_field("conversation").column
_ASSISTED = (
    f"SELECT {_SESSION_CONVERSATION} FROM {AssistantSession._meta.db_table} "  # noqa: S608
    f"WHERE {_SESSION_CONVERSATION} IN ({{marks}})"
)


def _column(sql: str, params: list[Any], marks: int) -> list[Any]:
    """The first column of ``sql``'s rows, ``{marks}`` filled with ``marks`` placeholders."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(marks=", ".join(["%s"] * marks)), params)
        return [row[0] for row in cursor.fetchall()]


def _no_attachments(message: Message) -> None:
    """Cache an empty ``message.attachments.all()`` (a text message has none), as
    ``prefetch_related`` would: the payloads built after the commit need no query."""
    queryset = Attachment.objects.get_queryset()  # ``none()`` without its clone
    queryset.query.set_empty()
    queryset._result_cache = []
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    message._prefetched_objects_cache = {_ATTACHMENTS_CACHE: queryset}  # type: ignore[attr-defined]


_ATTACHMENTS_CACHE = Message._meta.get_field("attachments").cache_name


class ChatBatcher:
    """The ``message.send`` frames of one event loop's chat sockets, written in batches."""

    _batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ChatBatcher] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self) -> None:
        self.pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of_running_loop(cls) -> ChatBatcher:
        loop = asyncio.get_running_loop()
        batcher = cls._batchers.get(loop)
        if batcher is None:
            batcher = cls._batchers[loop] = cls()
        return batcher

    async def submit(self, session: ChatSession, frame: protocol.MessageSend) -> Result:
        """Store ``frame`` with the others that come in meanwhile; its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self.pending.append((Item(session, frame), future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self.pending:
            await asyncio.sleep(WINDOW_SECONDS)
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                results = await database_sync_to_async(write_batch)([item for item, _f in batch])
            except Exception as exc:  # write_batch falls back itself; this is a bug or a crash
                log.exception("chat batch failed")
                for _item, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_item, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


async def store_message(session: ChatSession, frame: protocol.MessageSend) -> Result:
    """What ``session.handle(frame)`` returns, batched with other sockets' messages."""
    return await ChatBatcher.of_running_loop().submit(session, frame)
