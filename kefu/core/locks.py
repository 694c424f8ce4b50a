"""Named locks held until the current transaction ends.

For "find it, else create it" where no row exists yet to lock (a caller's number seen for the
first time): on PostgreSQL a transaction-level advisory lock on a 64-bit key derived from the
name; on SQLite nothing is needed, since a write transaction (``BEGIN IMMEDIATE``, see
``config/settings.py``) already holds the database's only write lock.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def lock_key(namespace: str, name: str) -> int:
    """A stable signed 64-bit key for ``namespace`` + ``name`` (the same in every process)."""
    digest = hashlib.blake2b(f"{namespace}\x00{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def transaction_lock(namespace: str, name: str) -> None:
    """Wait for, then hold until commit or rollback, the lock named ``namespace`` + ``name``.

    Must run inside ``transaction.atomic()``."""
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock needs a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(namespace, name)])
