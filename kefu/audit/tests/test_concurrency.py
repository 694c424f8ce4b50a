"""Appends from many connections at once are numbered without gaps or repeats (PostgreSQL:
the chain head's row lock; SQLite serialises writers by itself)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from kefu.audit.models import AuditEntry
from kefu.audit.services import audit_record
from kefu.audit.verify import audit_verify
from kefu.core.actor import Actor

THREADS = 6
EACH = 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_get_consecutive_numbers():
    audit_record(actor=Actor.system(), action="start", object_type="x", object_id=0)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                with transaction.atomic():
                    audit_record(actor=Actor.system(), action=f"t{n}", object_type="x", object_id=i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS * EACH + 2))
    assert audit_verify().ok
