"""The hash chain: how an audit entry commits to its own content and to the entry before it.

Every entry stores ``hash = sha256(encoding)``, where the encoding is a versioned, canonical JSON
array of the entry's sequence number, the previous entry's hash and every recorded field. Change
any field of any entry, remove one, or swap two, and the recomputed hashes no longer line up.

The encoding must give the same bytes when an entry is hashed before it is stored and when it is
read back from SQLite or PostgreSQL years later, so values are brought to the form both databases
return before they are hashed or stored (see :func:`canonical_data`). Changing anything here
changes every hash: a new encoding needs a new ``HASH_VERSION`` and a migration that records from
which sequence number it applies.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

HASH_VERSION = "kefu-audit/1"
GENESIS_HASH = "0" * 64  # the "previous hash" of entry 1


def _normalise(value: Any) -> Any:
    """Numbers as PostgreSQL's jsonb gives them back: integral floats become integers (jsonb
    keeps ``1e16`` as the integer 10000000000000000), non-finite floats become strings (neither
    JSON nor jsonb has them)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            # Through the shortest decimal form, exactly as jsonb parses it: int(1e300) would be
            # the binary value's 301 digits, not 10**300.
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def canonical_data(data: Any) -> Any:
    """``data`` as plain JSON values in the form both databases store and return.

    Dates, decimals and UUIDs become strings (Django's JSON encoder), keys become strings and
    numbers are normalised. Applying it to its own result changes nothing.
    """
    return _normalise(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text as is: one spelling for one value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def utc_timestamp(value: datetime) -> str:
    """``2026-01-02T03:04:05.000006Z``: UTC, always with microseconds."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What an entry's hash covers, as stored (or as it will be stored)."""

    seq: int
    prev_hash: str
    created_at: datetime
    actor_kind: str
    actor_ref: str
    action: str
    object_type: str
    object_id: str
    data: Any
    ip: str | None


def entry_encoding(fields: EntryFields) -> bytes:
    """The exact bytes an entry's hash is taken over."""
    return canonical_json(
        [
            HASH_VERSION,
            fields.seq,
            fields.prev_hash,
            utc_timestamp(fields.created_at),
            fields.actor_kind,
            fields.actor_ref,
            fields.action,
            fields.object_type,
            fields.object_id,
            _normalise(fields.data),
            None if fields.ip is None else str(fields.ip),
        ]
    ).encode("utf-8")


def entry_hash(fields: EntryFields) -> str:
    """The hex SHA-256 an entry with these fields must carry."""
    return hashlib.sha256(entry_encoding(fields)).hexdigest()
