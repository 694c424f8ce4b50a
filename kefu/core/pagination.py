"""Keyset ("cursor") pagination: constant cost per page, however deep the list is.

A page is ordered by a tuple of fields ending in the primary key, so the order is total. The
cursor is the last row's values for those fields, encoded opaquely; the next page asks for rows
strictly after that tuple.

A nullable field sorts with its empty values last when written ``"field" + NULLS_LAST``
(``"sla_due_at~nulls_last"``): every value comes before NULL, in either direction, so the same
rule holds on PostgreSQL and SQLite (whose defaults differ).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed

M = TypeVar("M", bound=Model)

NULLS_LAST = "~nulls_last"


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool
    nulls_last: bool = False

    def order_by(self) -> OrderBy:
        expression = F(self.field)
        if self.descending:
            return expression.desc(nulls_last=True if self.nulls_last else None)
        return expression.asc(nulls_last=True if self.nulls_last else None)


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def parse_ordering(ordering: list[str]) -> list[SortKey]:
    return [
        SortKey(o.lstrip("-").removesuffix(NULLS_LAST), o.startswith("-"), o.endswith(NULLS_LAST))
        for o in ordering
    ]


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
    """(a, b, c) strictly after (x, y, z) in the given directions, as OR-of-ANDs. A nulls-last
    key: after a value come larger (or smaller) values and every NULL; nothing comes after NULL
    but rows equal on it (``field=None`` is ``IS NULL``) and after on the next keys."""
    condition = Q()
    for i, key in enumerate(keys):
        clause = Q(**{k.field: v for k, v in zip(keys[:i], values[:i], strict=True)})
        op = "lt" if key.descending else "gt"
        if key.nulls_last and values[i] is None:
            continue  # NULL is last: nothing is strictly after it on this key
        beyond = Q(**{f"{key.field}__{op}": values[i]})
        if key.nulls_last:
            beyond |= Q(**{f"{key.field}__isnull": True})
        condition |= clause & beyond
    return condition


def paginate(qs: QuerySet[M], *, ordering: list[str], cursor: str | None, limit: int) -> Page[M]:
    """Return one page of ``qs`` in ``ordering`` (which must end with a unique field)."""
    keys = parse_ordering(ordering)
    if cursor:
        try:
            qs = qs.filter(_after(keys, decode_cursor(cursor, len(keys))))
        except (ValueError, TypeError, ValidationError) as exc:  # well-formed but wrong types
            raise _invalid_cursor() from exc
    rows = list(qs.order_by(*[key.order_by() for key in keys])[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, k.field) for k in keys])
    return Page(items=rows, next_cursor=next_cursor)
