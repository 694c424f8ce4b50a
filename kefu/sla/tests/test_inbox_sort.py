"""The inbox's "sla" sort: by Conversation.sla_due_at, keyset pages without gaps or repeats,
conversations without a deadline left out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.conversations.models import Conversation, Status
from kefu.conversations.selectors import InboxFilters, conversation_list_for_agent
from kefu.testing import factories


@pytest.fixture
def forty(db):
    contact = factories.ContactFactory()
    base = timezone.now().replace(microsecond=0)
    rows = [
        Conversation(
            contact=contact,
            subject=f"row {i}",
            status=Status.OPEN,
            created_at=base,
            last_activity_at=base,
            # ties on the deadline (the id breaks them), some overdue, every fifth untimed
            sla_due_at=None if i % 5 == 0 else base + timedelta(minutes=(i * 7) % 11 - 4),
        )
        for i in range(40)
    ]
    Conversation.objects.bulk_create(rows)
    return list(Conversation.objects.filter(contact=contact))


@pytest.mark.parametrize("limit", [1, 3, 25, 100])
def test_sla_sort_walks_every_timed_conversation_once_most_urgent_first(forty, supervisor, limit):
    seen: list[int] = []
    cursor = None
    while True:
        page = conversation_list_for_agent(
            user=supervisor,
            filters=InboxFilters(view="all", sort="sla"),
            cursor=cursor,
            limit=limit,
        )
        seen += [c.pk for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    timed = [c for c in forty if c.sla_due_at is not None]
    assert seen == [c.pk for c in sorted(timed, key=lambda c: (c.sla_due_at, c.pk))]
    assert len(seen) == 32
