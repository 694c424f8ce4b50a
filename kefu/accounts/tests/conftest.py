"""Helpers for account tests: the audit rows a call wrote."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Max
from django.utils import timezone, translation

from kefu.audit.models import AuditEntry


@pytest.fixture(autouse=True)
def _default_language_and_timezone():
    """Start and end every test in English and UTC.

    A request made through the test client leaves the signed-in user's language and timezone
    active in the thread, which would otherwise leak into the next test's messages.
    """
    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


class AuditWatch:
    def __init__(self) -> None:
        self.max_id = AuditEntry.objects.aggregate(top=Max("pk"))["top"] or 0

    def rows(self) -> list[tuple[Any, ...]]:
        return [
            (a.actor_kind, a.actor_ref, a.action, a.object_type, a.object_id, a.data)
            for a in AuditEntry.objects.filter(pk__gt=self.max_id).order_by("pk")
        ]


@pytest.fixture
def audit_watch(db):
    """audit_watch() -> an AuditWatch listing audit rows written from now on."""
    return AuditWatch


@pytest.fixture
def clock(monkeypatch):
    """kefu.core.clock.now under the test's control (kefu.accounts.tests.twofactor_kit)."""
    from kefu.accounts.tests.twofactor_kit import use_clock

    return use_clock(monkeypatch)
