"""Database triggers that back up the ORM's refusal to change the audit log.

PostgreSQL: no UPDATE or DELETE of an audit entry, no DELETE of the chain head, and the head
only moves forward one entry at a time. TRUNCATE fires no row trigger, so Django's test flush
(which truncates on PostgreSQL) still empties the tables.

SQLite: no UPDATE of an audit entry, and the head only moves forward one entry at a time.
DELETE stays possible because Django's flush empties SQLite tables with DELETE; a deletion still
shows in ``kefu audit verify``. SQLite drops a table's triggers when a migration rebuilds the
table, so a migration that alters these tables must call :func:`install` again afterwards;
``kefu audit verify`` reports ``"db_guard": false`` when they are missing.

Whoever owns the database can drop triggers: they stop mistakes and casual edits, while the
external anchors described in docs/subsystems/audit.md catch a deliberate rewrite.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

ENTRY_TABLE = "audit_auditentry"
HEAD_TABLE = "audit_auditchainhead"

_POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'The audit log is append-only: % of an entry refused', TG_OP;
    END
    $$
    """,
    f"""
    CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON {ENTRY_TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
    """,
    """
    CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'The audit chain head cannot be deleted';
        END IF;
        IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 THEN
            RAISE EXCEPTION 'The audit chain head only moves forward one entry at a time';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    f"""
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON {HEAD_TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()
    """,
]
_POSTGRES_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS audit_entry_append_only ON {ENTRY_TABLE}",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
    f"DROP TRIGGER IF EXISTS audit_head_forward_only ON {HEAD_TABLE}",
    "DROP FUNCTION IF EXISTS audit_head_forward_only()",
]

_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_entry_append_only BEFORE UPDATE ON {ENTRY_TABLE}
    BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: UPDATE of an entry refused'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS audit_head_forward_only BEFORE UPDATE ON {HEAD_TABLE}
    WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
    BEGIN SELECT RAISE(ABORT, 'The audit chain head only moves forward one entry at a time'); END
    """,
]
_SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only",
    "DROP TRIGGER IF EXISTS audit_head_forward_only",
]

TRIGGER_NAMES = ("audit_entry_append_only", "audit_head_forward_only")


def _statements(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    if connection.vendor == "postgresql":
        return _POSTGRES_INSTALL if install else _POSTGRES_UNINSTALL
    if connection.vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_UNINSTALL
    return []  # other databases: the ORM refusal and verify only


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers (replacing PostgreSQL's functions if they exist)."""
    if connection.vendor == "postgresql":
        uninstall(connection)  # CREATE TRIGGER has no IF NOT EXISTS before PostgreSQL 14
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers and their functions."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)


def installed(connection: BaseDatabaseWrapper) -> bool:
    """Whether both triggers exist on this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
                " AND tgname = ANY(%s)",
                [list(TRIGGER_NAMES)],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s)",
                list(TRIGGER_NAMES),
            )
        else:
            return False
        row = cursor.fetchone()
    return bool(row and row[0] == len(TRIGGER_NAMES))
