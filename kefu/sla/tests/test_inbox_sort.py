"""The inbox's "sla" sort: by Conversation.sla_due_at, keyset pages without gaps or repeats,
conversations without a deadline last (oldest id first), on the page and in the API."""

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


@pytest.mark.parametrize("limit", [1, 3, 8, 25, 100])
def test_sla_sort_walks_every_conversation_once_most_urgent_first_untimed_last(
    forty, supervisor, limit
):
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
    untimed = sorted(c.pk for c in forty if c.sla_due_at is None)
    assert seen == [c.pk for c in sorted(timed, key=lambda c: (c.sla_due_at, c.pk))] + untimed
    assert len(seen) == 40
    assert len(untimed) == 8


def test_a_page_boundary_inside_the_untimed_rows_continues_by_id(forty, supervisor):
    """The cursor of a row without a deadline holds NULL: the next page is the untimed rows
    after it by id, never the timed ones again."""
    first = conversation_list_for_agent(
        user=supervisor, filters=InboxFilters(view="all", sort="sla"), limit=34
    )
    assert first.items[-1].sla_due_at is None
    rest = conversation_list_for_agent(
        user=supervisor,
        filters=InboxFilters(view="all", sort="sla"),
        cursor=first.next_cursor,
        limit=100,
    )
    assert all(c.sla_due_at is None for c in rest.items)
    assert [c.pk for c in rest.items] == sorted(c.pk for c in rest.items)
    assert len(first.items) + len(rest.items) == 40
    assert rest.next_cursor is None


def test_sla_sort_query_count_is_constant_in_page_size(
    forty, supervisor, django_assert_num_queries
):
    for limit in (5, 40):
        with django_assert_num_queries(1):
            page = conversation_list_for_agent(
                user=supervisor, filters=InboxFilters(view="all", sort="sla"), limit=limit
            )
            [(c.contact.name, c.team, c.assignee) for c in page.items]
