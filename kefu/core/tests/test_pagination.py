"""Keyset cursors: opaque, round-trip exactly (datetimes included), and refuse tampering."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import ValidationFailed
from kefu.core.pagination import (
    SortKey,
    decode_cursor,
    encode_cursor,
    paginate,
    parse_ordering,
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "values",
    [
        [datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), 42],
        [datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))), 1],
        [3, datetime(2020, 1, 1, tzinfo=UTC), 9_007_199_254_740_993],
        ["提现", "a/b+c=d", 0],
        [None, -1],
    ],
)
def test_cursor_round_trip(values):
    cursor = encode_cursor(values)
    assert "=" not in cursor
    assert cursor == cursor.strip()
    assert all(c.isalnum() or c in "-_" for c in cursor)  # safe in a URL as is
    decoded = decode_cursor(cursor, len(values))
    assert decoded == values
    for before, after in zip(values, decoded, strict=True):
        assert type(before) is type(after)
        if isinstance(before, datetime):
            assert after.utcoffset() == before.utcoffset()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "not base64 at all",
        _b64(b"\xff\xfe\x00"),  # not UTF-8
        _b64(b"{not json"),
        _b64(b'{"a": 1}'),  # not a list
        _b64(b'"text"'),
        _b64(b"[1]"),  # wrong length
        _b64(b"[1, 2, 3]"),
        _b64(json.dumps([{"t": "yesterday"}, 1]).encode()),
        _b64(json.dumps([{"t": 5}, 1]).encode()),
    ],
)
def test_tampered_cursor_is_a_validation_error(cursor):
    with pytest.raises(ValidationFailed) as excinfo:
        decode_cursor(cursor, 2)
    assert excinfo.value.fields == {"cursor": ["Invalid cursor."]}


def test_parse_ordering():
    assert parse_ordering(["-priority", "created_at", "-id"]) == [
        SortKey("priority", True),
        SortKey("created_at", False),
        SortKey("id", True),
    ]


@pytest.fixture
def rows(db, monkeypatch):
    # Audit entries are append-only: each is written at its (repeating) time by audit_record.
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(10):
        monkeypatch.setattr(clock, "now", lambda i=i: base + timedelta(hours=i // 4))
        audit_record(actor=Actor.system(), action=f"a{i % 3}", object_type="x", object_id=i)
    return list(AuditEntry.objects.order_by("pk"))


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        (["-created_at", "-id"], lambda e: (e.created_at, e.pk)),
        (["action", "id"], lambda e: (e.action, e.pk)),
        (["-action", "created_at", "id"], None),
    ],
)
def test_paginate_walks_every_row_once(rows, ordering, key):
    seen, cursor = [], None
    while True:
        page = paginate(AuditEntry.objects.all(), ordering=ordering, cursor=cursor, limit=3)
        seen += [e.pk for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = list(AuditEntry.objects.order_by(*ordering).values_list("pk", flat=True))
    assert seen == expected
    if key is not None:
        descending = ordering[0].startswith("-")
        assert seen == [e.pk for e in sorted(rows, key=key, reverse=descending)]


def test_last_page_has_no_cursor(rows):
    page = paginate(AuditEntry.objects.all(), ordering=["id"], cursor=None, limit=10)
    assert len(page.items) == 10
    assert page.next_cursor is None
    page = paginate(AuditEntry.objects.all(), ordering=["id"], cursor=None, limit=9)
    assert page.next_cursor == encode_cursor([rows[8].pk])


@pytest.mark.parametrize(
    "values", [["yesterday", 1], [None, None], [{"x": 1}, 1], [5, "x"], [[1], 2]]
)
def test_well_formed_cursor_with_wrong_types_is_a_validation_error(rows, values):
    with pytest.raises(ValidationFailed) as excinfo:
        paginate(
            AuditEntry.objects.all(),
            ordering=["-created_at", "-id"],
            cursor=encode_cursor(values),
            limit=3,
        )
    assert excinfo.value.fields == {"cursor": ["Invalid cursor."]}
