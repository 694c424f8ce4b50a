"""The consumers' hop to the database thread, keeping that thread's SQLite connection open.

Channels runs every consumer's ``database_sync_to_async`` call of a process on one shared thread
(thread-sensitive, no per-request context) and closes old connections before and after each
call. On SQLite ``CONN_MAX_AGE`` is forced to 0 (ASGI runs each HTTP request's sync code in a new
thread, so per-thread connections would pile up), so every chat frame opened a new connection
and ran the WAL pragmas again: about a tenth of a busy server's CPU. That one long-lived thread
can keep its connection: after each call it is marked to stay open, and Django's usual checks
still close it if an error made it unusable or autocommit was left off. Other databases (the
PostgreSQL pool hands out connections cheaply) and other threads are left as they were.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import SyncToAsync
from channels.db import DatabaseSyncToAsync
from django.db import close_old_connections, connection


def _keep_sqlite_connection() -> None:
    if connection.vendor == "sqlite" and connection.connection is not None:
        connection.close_at = None  # no age limit: see close_if_unusable_or_obsolete


class ConsumerDatabaseSyncToAsync(DatabaseSyncToAsync):  # type: ignore[misc]
    """``channels.db.database_sync_to_async`` that leaves an SQLite connection open."""

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return SyncToAsync.thread_handler(self, loop, *args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            _keep_sqlite_connection()
            close_old_connections()


database_sync_to_async = ConsumerDatabaseSyncToAsync
