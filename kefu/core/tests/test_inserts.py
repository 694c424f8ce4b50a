"""``insert_new`` writes the rows ``bulk_create`` writes, in one statement, and sets the ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from kefu.conversations.models import (
    AuthorKind,
    Channel,
    Message,
    MessageKind,
    TimelineEntry,
    TimelineKind,
)
from kefu.core import clock
from kefu.core.inserts import insert_new

pytestmark = pytest.mark.django_db


def _messages(conversation: Any, start: int, n: int) -> list[Message]:
    now = clock.now()
    return [
        Message(
            conversation=conversation,
            kind=MessageKind.REPLY,
            author_kind=AuthorKind.CUSTOMER,
            body=f"body {start + i} 提现 'quote' \"double\"",
            body_html=f"<p>body {start + i}</p>",
            channel=Channel.CHAT,
            external_id=f"insert-test-{start + i}" if i % 2 else None,
            created_at=now + timedelta(microseconds=i),
            seq=start + i,
            public_seq=start + i if i % 3 else None,
            metadata={"n": start + i, "nested": {"list": [1, "二"]}} if i % 2 else {},
        )
        for i in range(n)
    ]


def _stored(model: type[models.Model], ids: list[int]) -> list[dict[str, Any]]:
    rows = {r.pop("id"): r for r in model.objects.filter(pk__in=ids).values()}
    return [rows[pk] for pk in ids]


def test_insert_new_stores_the_rows_bulk_create_stores(conversation_a):
    ours = _messages(conversation_a, 1001, 7)
    theirs = _messages(conversation_a, 2001, 7)
    with CaptureQueriesContext(connection) as ctx:
        insert_new(Message, ours)
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]) == 1
    Message.objects.bulk_create(theirs)
    assert all(m.pk is not None and not m._state.adding for m in ours)
    assert len({m.pk for m in ours}) == 7
    mine, django = _stored(Message, [m.pk for m in ours]), _stored(Message, [m.pk for m in theirs])
    for a, b in zip(mine, django, strict=True):
        # The same values but the numbers and keys made different on purpose.
        for key in ("body", "body_html", "external_id", "seq", "public_seq", "metadata"):
            a.pop(key), b.pop(key)
        assert a == b | {"created_at": a["created_at"]}
    reread = Message.objects.get(pk=ours[1].pk)
    assert reread.metadata == {"n": 1002, "nested": {"list": [1, "二"]}}
    assert reread.body == "body 1002 提现 'quote' \"double\""
    assert reread.created_at == ours[1].created_at
    assert reread.external_id == "insert-test-1002"
    assert Message.objects.get(pk=ours[0].pk).external_id is None


def test_insert_new_sets_foreign_keys_from_the_related_rows(conversation_a):
    [message] = _messages(conversation_a, 1001, 1)
    insert_new(Message, [message])
    entry = TimelineEntry(
        conversation_id=conversation_a.pk,
        kind=TimelineKind.MESSAGE,
        actor_kind="customer",
        actor_label="Alice",
        message=message,
        data={},
        public=True,
        created_at=clock.now(),
    )
    insert_new(TimelineEntry, [entry])
    stored = TimelineEntry.objects.get(pk=entry.pk)
    assert (stored.message_id, stored.public, stored.data) == (message.pk, True, {})


def test_insert_new_splits_a_batch_larger_than_the_backend_takes(conversation_a, monkeypatch):
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 3)
    ours = _messages(conversation_a, 1001, 8)
    with CaptureQueriesContext(connection) as ctx:
        insert_new(Message, ours)
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]) == 3
    assert [m.seq for m in Message.objects.filter(pk__in=[m.pk for m in ours])] == list(
        range(1001, 1009)
    )


def test_insert_new_leaves_expressions_and_set_ids_to_bulk_create(conversation_a, monkeypatch):
    calls: list[int] = []
    real = models.QuerySet.bulk_create

    def counting(self: models.QuerySet[Any], objs: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        return real(self, objs, *args, **kwargs)

    monkeypatch.setattr(models.QuerySet, "bulk_create", counting)
    [message] = _messages(conversation_a, 1001, 1)
    message.body = models.Value("from an expression")  # type: ignore[assignment]
    insert_new(Message, [message])
    assert calls == [1]
    assert Message.objects.get(pk=message.pk).body == "from an expression"
    insert_new(Message, [])
    assert calls == [1]
