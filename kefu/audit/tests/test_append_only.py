"""Audit entries are never changed or removed: the ORM refuses, and so does the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from kefu.audit import triggers
from kefu.audit.models import AuditAppendOnlyError, AuditChainHead, AuditEntry
from kefu.audit.tests.conftest import run_sql
from kefu.audit.verify import audit_verify

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's DELETE triggers"
)


def _snapshot() -> list[tuple[object, ...]]:
    return list(AuditEntry.objects.order_by("seq").values_list("seq", "action", "hash"))


def test_saving_a_loaded_entry_is_refused(five_entries):
    before = _snapshot()
    entry = AuditEntry.objects.get(seq=2)
    entry.action = "rewritten"

    with pytest.raises(AuditAppendOnlyError, match="cannot be updated"):
        entry.save()

    assert _snapshot() == before


def test_deleting_an_entry_is_refused(five_entries):
    before = _snapshot()

    with pytest.raises(AuditAppendOnlyError, match="cannot be deleted"):
        AuditEntry.objects.get(seq=2).delete()

    assert _snapshot() == before


@pytest.mark.parametrize(
    "write",
    [
        lambda qs: qs.update(action="rewritten"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["action"]),
        lambda qs: qs.bulk_create([AuditEntry(action="forged")]),
    ],
    ids=["update", "delete", "bulk_update", "bulk_create"],
)
def test_bulk_writes_through_the_queryset_are_refused(five_entries, write):
    before = _snapshot()

    with pytest.raises(AuditAppendOnlyError):
        write(AuditEntry.objects.filter(seq__lte=2))

    assert _snapshot() == before


def test_the_database_refuses_a_raw_update(five_entries):
    before = _snapshot()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql("UPDATE audit_auditentry SET action = 'rewritten' WHERE seq = 2")

    assert _snapshot() == before


def test_the_database_refuses_to_move_the_head_back(five_entries):
    with pytest.raises(DatabaseError, match="one entry at a time"), transaction.atomic():
        run_sql("UPDATE audit_auditchainhead SET seq = 4")

    assert AuditChainHead.objects.get().seq == 5


@on_postgresql
def test_postgresql_refuses_a_raw_delete_of_an_entry_or_the_head(five_entries):
    before = _snapshot()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        run_sql("DELETE FROM audit_auditentry WHERE seq = 5")
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        run_sql("DELETE FROM audit_auditchainhead")

    assert _snapshot() == before
    assert AuditChainHead.objects.get().seq == 5


def test_the_triggers_are_installed_by_the_migrations(db):
    assert triggers.installed(connection)
    assert audit_verify().db_guard is True


def test_verify_reports_missing_triggers(five_entries):
    triggers.uninstall(connection)  # rolled back with the test

    report = audit_verify()

    assert (report.ok, report.db_guard) == (True, False)
