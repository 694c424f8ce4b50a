import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kefu.inbox.models import InboundEvent


def test_bench_email_refuses_parallel_workers_on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("the refusal is SQLite's (one writer)")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("bench", "email", "--messages", "10", "--workers", "2")
    assert not InboundEvent.objects.exists()  # refused before storing anything
