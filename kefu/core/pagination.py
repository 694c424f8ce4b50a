"""Keyset ("cursor") pagination: constant cost per page, however deep the list is.

A page is ordered by a tuple of fields ending in the primary key, so the order is total. The
cursor is the last row's values for those fields, encoded opaquely; the next page asks for rows
strictly after that tuple.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def parse_ordering(ordering: list[str]) -> list[SortKey]:
    return [SortKey(o.lstrip("-"), o.startswith("-")) for o in ordering]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    return value


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(_("Invalid cursor."), fields={"cursor": [_("Invalid cursor.")]})


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != length:
            raise ValueError("wrong length")
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise _invalid_cursor() from exc


def _after(keys: list[SortKey], values: list[Any]) -> Q:
    """(a, b, c) strictly after (x, y, z) in the given directions, as OR-of-ANDs."""
    condition = Q()
    for i, key in enumerate(keys):
        clause = Q(**{k.field: v for k, v in zip(keys[:i], values[:i], strict=True)})
        op = "lt" if key.descending else "gt"
        clause &= Q(**{f"{key.field}__{op}": values[i]})
        condition |= clause
    return condition


def paginate(qs: QuerySet[M], *, ordering: list[str], cursor: str | None, limit: int) -> Page[M]:
    """Return one page of ``qs`` in ``ordering`` (which must end with a unique field)."""
    keys = parse_ordering(ordering)
    if cursor:
        try:
            qs = qs.filter(_after(keys, decode_cursor(cursor, len(keys))))
        except (ValueError, TypeError, ValidationError) as exc:  # well-formed but wrong types
            raise _invalid_cursor() from exc
    rows = list(qs.order_by(*ordering)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, k.field) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)
