"""Audit test helpers: write a few entries, and tamper with them the way a database user could
(raw SQL with the protective triggers dropped inside the test's transaction)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from django.db import connection

from kefu.audit import triggers
from kefu.audit.chain import entry_hash
from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.core.actor import Actor, ActorKind


def run_sql(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run raw SQL on the audit tables as an attacker with database access would."""
    triggers.uninstall(connection)  # rolled back with the test's transaction
    run_sql(sql, params)


def stored_hash(seq: int) -> str:
    return AuditEntry.objects.values_list("hash", flat=True).get(seq=seq)


def rehash(of: int, /, **changes: Any) -> str:
    """The hash entry ``of`` would carry with ``changes`` applied to its fields."""
    return entry_hash(replace(AuditEntry.objects.get(seq=of).chain_fields(), **changes))


@pytest.fixture
def five_entries(db) -> list[AuditEntry]:
    """Entries 1 to 5, written like services write them."""
    actor = Actor(kind=ActorKind.AGENT, user_id=7, ip="192.0.2.1")
    return [
        audit_record(
            actor=actor,
            action=f"thing.step{n}",
            object_type="thing",
            object_id=n,
            data={"n": n, "note": f"step {n}"},
        )
        for n in range(1, 6)
    ]


@pytest.fixture
def record(db) -> Callable[..., AuditEntry]:
    def write(action: str = "x.done", **data: Any) -> AuditEntry:
        return audit_record(
            actor=Actor.system(), action=action, object_type="x", object_id=1, data=data
        )

    return write
