"""A per-process cache of the policy rows read on every inbound message (ADR 0028).

SLA policies, routing rules and the routing policy, which automation triggers have rules, and
the active webhook endpoints are read on every new conversation or message but change a few
times a day. Each app keeps what it reads in :func:`cached` under a key; every entry is tagged
with the **version token** of the one ``PolicyVersion`` row, and is served only while that row
still holds the same token.

Who bumps the token: a database trigger on every watched table (:func:`watch`), installed
after every ``migrate`` (:func:`install`). A trigger sees every writer — services, backoffice
views, the demo seed, test factories, ``QuerySet.update()``, ``bulk_create``, cascades and
``SET NULL`` from a deleted team, raw SQL — and writes the new token in the writer's own
transaction, so:

- a committed change is seen by the next read of the token, in this process or any other;
- a rolled-back change leaves the old token: the token is random, so an entry cached from
  inside the rolled-back transaction (under its uncommitted token) never matches again;
- no ``PolicyVersion`` row (a flushed test database) means nothing is cached.

Readers pay one tiny query per read of the token: :func:`pinned` reads it once for a whole
inbound event (or takes it from the event's own claim query), otherwise each :func:`cached`
call reads it. Cached values are shared by every thread of the process: callers treat them as
read-only and hand out copies of model instances they return to their own callers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Subquery

from kefu.core.models import POLICY_VERSION_PK, PolicyVersion
from kefu.core.prepared import Prepared

T = TypeVar("T")

_NOT_PINNED: Any = object()
_pinned: ContextVar[Any] = ContextVar("kefu_policy_token", default=_NOT_PINNED)
_entries: dict[str, tuple[str, Any]] = {}
_lock = threading.Lock()
_watched: dict[str, None] = {}  # table names, in registration order


def watch(table: str) -> None:
    """Bump the version on every write to ``table`` (called from an app's ``ready()``)."""
    _watched[table] = None


def watched() -> list[str]:
    return list(_watched)


def token_subquery() -> Subquery:
    """The current token as a subquery, to read it in a query the caller makes anyway."""
    return Subquery(PolicyVersion.objects.filter(pk=POLICY_VERSION_PK).values("token")[:1])


def current_token() -> str | None:
    """The committed (or this transaction's own) token; None without a version row."""
    rows = _VERSION()
    return rows[0].token if rows else None


# Read on every committed event and inbound message: the same one-row statement each time,
# compiled once per connection (kefu.core.prepared) instead of by the ORM on every read.
_VERSION = Prepared(
    lambda: PolicyVersion.objects.filter(pk=POLICY_VERSION_PK).order_by()[:1],
    ids=0,
    name="policy_version",
)


@contextmanager
def pinned(token: Any = _NOT_PINNED) -> Iterator[None]:
    """Read the token once for the whole block (or use ``token``, read by the caller's own
    query; None: cache nothing in the block). A pin inside a pin keeps the outer one.

    Only for blocks that write no policy rows themselves (an inbound event): what the block
    caches is tagged with the token read at its start."""
    if _pinned.get() is not _NOT_PINNED:
        yield
        return
    reset = _pinned.set(current_token() if token is _NOT_PINNED else token)
    try:
        yield
    finally:
        _pinned.reset(reset)


def cached(key: str, load: Callable[[], T]) -> T:
    """``load()``'s value, reused while the version token is unchanged.

    ``load`` only reads: the value is tagged with the token read before it, so a loader that
    wrote a policy row (and so changed the token) would tag its own write with the old one."""
    token = _pinned.get()
    if token is _NOT_PINNED:
        token = current_token()
    if token is None:
        return load()
    hit = _entries.get(key)
    if hit is not None and hit[0] == token:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    with _lock:
        _entries[key] = (token, value)
    return value


def clear() -> None:
    """Drop every entry (a forked worker starts with the parent's; it is still correct, this
    only frees memory)."""
    with _lock:
        _entries.clear()


# --- the triggers -----------------------------------------------------------------------------

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kefu_policy_version_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- 1: POLICY_VERSION_PK
    INSERT INTO core_policyversion (id, token) VALUES (1, gen_random_uuid()::text)
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$
"""


def _pg_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS kefu_policy_version ON {table}",
        f"CREATE TRIGGER kefu_policy_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION kefu_policy_version_bump()",
        f"DROP TRIGGER IF EXISTS kefu_policy_version_truncate ON {table}",
        f"CREATE TRIGGER kefu_policy_version_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION kefu_policy_version_bump()",
    ]


def _sqlite_statements(table: str) -> list[str]:
    bump = (
        "INSERT OR REPLACE INTO core_policyversion (id, token) "
        "VALUES (1, lower(hex(randomblob(16))));"  # 1: POLICY_VERSION_PK
    )
    return [
        f"CREATE TRIGGER IF NOT EXISTS kefu_policy_version_{op.lower()}_{table} "
        f"AFTER {op} ON {table} BEGIN {bump} END"
        for op in ("INSERT", "UPDATE", "DELETE")
    ]


def install(connection: BaseDatabaseWrapper | None = None) -> None:
    """Create the version row and the triggers on every watched table (idempotent: run after
    every ``migrate``, which also restores the triggers SQLite drops when it rebuilds a
    table)."""
    connection = connection or default_connection
    existing = set(connection.introspection.table_names())
    if "core_policyversion" not in existing:
        return
    tables = [t for t in _watched if t in existing]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            statements = [s for t in tables for s in _pg_statements(t)]
        elif connection.vendor == "sqlite":
            statements = [s for t in tables for s in _sqlite_statements(t)]
        else:  # pragma: no cover - Kefu runs on SQLite and PostgreSQL only
            raise NotImplementedError(connection.vendor)
        for statement in statements:
            cursor.execute(statement)
    PolicyVersion.objects.using(connection.alias).get_or_create(pk=POLICY_VERSION_PK)


def installed(connection: BaseDatabaseWrapper | None = None) -> list[str]:
    """The watched tables that have their trigger (a test compares this with :func:`watched`)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = 'kefu_policy_version'"
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'kefu_policy_version_update_%'"
            )
        found = {row[0] for row in cursor.fetchall()}
    return [t for t in _watched if t in found]
