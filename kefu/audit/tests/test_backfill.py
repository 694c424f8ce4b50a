"""Migration 0003 numbers and chains the entries written before the chain existed, oldest
first, and the result verifies; 0004 then makes the columns required and adds the triggers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kefu.audit import triggers
from kefu.audit.chain import GENESIS_HASH
from kefu.audit.models import AuditChainHead, AuditEntry
from kefu.audit.services import audit_record
from kefu.audit.verify import audit_verify
from kefu.core.actor import Actor

BEFORE = [("audit", "0001_initial")]
AFTER = [("audit", "0004_chain_constraints")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_entries_are_chained_by_the_backfill():
    try:
        old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
        old = old_apps.get_model("audit", "AuditEntry")
        for n, (action, data) in enumerate(
            [("a.one", {"n": 1.0}), ("b.two", {"when": "x"}), ("c.three", {})]
        ):
            row = old.objects.create(
                actor_kind="system",
                actor_ref="system",
                action=action,
                object_type="x",
                object_id=str(n),
                data=data,
                ip="2001:db8::1" if n == 1 else None,
            )
            # auto_now_add stamped it; give each a distinct, known time.
            old.objects.filter(pk=row.pk).update(created_at=datetime(2026, 1, 1, n, tzinfo=UTC))

        migrate(AFTER)

        chained = list(AuditEntry.objects.order_by("seq").values_list("seq", "action", "prev_hash"))
        assert [(s, a) for s, a, _ in chained] == [(1, "a.one"), (2, "b.two"), (3, "c.three")]
        assert chained[0][2] == GENESIS_HASH
        head = AuditChainHead.objects.get()
        assert (head.seq, head.hash) == (3, AuditEntry.objects.get(seq=3).hash)
        assert audit_verify().ok
        assert triggers.installed(connection)

        new = audit_record(actor=Actor.system(), action="d.four", object_type="x", object_id=4)
        assert (new.seq, new.prev_hash) == (4, head.hash)
        assert audit_verify().ok
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
