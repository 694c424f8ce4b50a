from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from kefu.conversations.models import Conversation, Status
from kefu.portal.views import support_requests
from kefu.testing.factories import ConversationFactory

URL = reverse("portal:request_list")


def test_list_shows_only_own_requests(client_1, conversation_a, conversation_b):
    response = client_1.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert conversation_a.reference in content
    assert reverse("portal:request_detail", args=[conversation_a.pk]) in content
    assert conversation_b.reference not in content
    assert reverse("portal:request_detail", args=[conversation_b.pk]) not in content
    assert [c.pk for c in response.context["page"].items] == [conversation_a.pk]


def test_list_shows_status_badge_and_activity_in_viewer_timezone(
    client_1, customer_1, conversation_a
):
    customer_1.timezone = "Asia/Shanghai"
    customer_1.save(update_fields=["timezone"])
    Conversation.objects.filter(pk=conversation_a.pk).update(
        status=Status.PENDING, last_activity_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    )
    content = client_1.get(URL).content.decode()
    assert '<span class="badge status-pending">Pending on customer</span>' in content
    assert "2024-05-01 20:00" in content  # 12:00 UTC is 20:00 in Shanghai
    assert 'datetime="2024-05-01T20:00:00+08:00"' in content


def test_empty_list_invites_a_first_request(client_1):
    content = client_1.get(URL).content.decode()
    assert "You have no requests yet." in content


def test_list_pages_with_a_cursor(client_1, customer_1, monkeypatch):
    monkeypatch.setattr(support_requests, "PAGE_SIZE", 2)
    made = [ConversationFactory(contact=customer_1.contact, subject=f"Case {i}") for i in range(3)]
    first = client_1.get(URL)
    assert [c.pk for c in first.context["page"].items] == [made[2].pk, made[1].pk]
    cursor = first.context["page"].next_cursor
    assert cursor
    second = client_1.get(URL, {"cursor": cursor})
    assert [c.pk for c in second.context["page"].items] == [made[0].pk]
    assert second.context["page"].next_cursor is None
    # A tampered cursor falls back to the first page instead of failing.
    bad = client_1.get(URL, {"cursor": "not-a-cursor"})
    assert bad.status_code == 200
    assert [c.pk for c in bad.context["page"].items] == [made[2].pk, made[1].pk]


def test_list_query_count_does_not_grow_with_rows(client_1, customer_1, django_assert_num_queries):
    ConversationFactory(contact=customer_1.contact)
    client_1.get(URL)  # warm up (session, contact)
    # 6: one is the unread community notifications (the nav's count and the list's panel).
    with django_assert_num_queries(6) as one:
        client_1.get(URL)
    for _ in range(4):
        ConversationFactory(contact=customer_1.contact)
    with django_assert_num_queries(len(one.captured_queries)):
        client_1.get(URL)
