from io import StringIO

import pytest
from django.core.management import call_command

from kefu.accounts.models import User
from kefu.bench.http import LoadResult, check_loopback
from kefu.bench.seed import SUPERVISOR_EMAIL
from kefu.conversations.models import Conversation, Message
from kefu.conversations.selectors import InboxFilters, conversation_list_for_agent


def _search(user: User, q: str) -> list[Conversation]:
    page = conversation_list_for_agent(user=user, filters=InboxFilters(view="all", q=q), limit=100)
    return page.items


def test_bench_seed_writes_n_conversations_that_search_finds(db):
    out = StringIO()
    call_command("bench", "seed", "--conversations", "200", "--batch", "150", stdout=out)

    conversations = Conversation.objects.all()
    assert conversations.count() == 200
    assert "Wrote 200 conversations" in out.getvalue()
    assert set(conversations.values_list("language", flat=True)) == {"en", "zh-hans"}
    assert len(set(conversations.values_list("status", flat=True))) >= 5
    assert conversations.filter(assignee__isnull=False).exists()
    for conversation in conversations:
        count = Message.objects.filter(conversation=conversation).count()
        assert 1 <= count <= 3
        assert conversation.message_count == count

    supervisor = User.objects.get(email=SUPERVISOR_EMAIL)
    english = _search(supervisor, "withdrawal")
    assert english
    for found in english:
        text = " ".join([found.subject, *found.messages.values_list("body", flat=True)])
        assert "withdrawal" in text.lower()
    chinese = _search(supervisor, "提现")
    assert chinese
    assert all(
        "提现" in c.subject or c.messages.filter(body__contains="提现").exists() for c in chinese
    )
    with_tx = conversations.exclude(tx_id="").first()
    assert with_tx is not None
    assert [c.pk for c in _search(supervisor, with_tx.tx_id)] == [with_tx.pk]


def test_bench_seed_twice_appends_with_fresh_ids(db):
    call_command("bench", "seed", "--conversations", "30", stdout=StringIO())
    call_command("bench", "seed", "--conversations", "20", "--seed", "2", stdout=StringIO())

    assert Conversation.objects.count() == 50
    created = Conversation.objects.create(
        contact_id=Conversation.objects.first().contact_id,
        subject="after the bulk load",
        created_at=Conversation.objects.first().created_at,
        last_activity_at=Conversation.objects.first().created_at,
    )
    assert created.pk > max(
        Conversation.objects.exclude(pk=created.pk).values_list("pk", flat=True)
    )


def test_bench_only_targets_loopback_and_reports_nearest_rank_percentiles():
    assert check_loopback("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    for url in ("http://example.com", "http://10.0.0.1:8000", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            check_loopback(url)
    result = LoadResult(name="x", concurrency=1, latencies=[i / 1000 for i in range(1, 101)])
    assert result.percentile(50) == pytest.approx(50.0)
    assert result.percentile(95) == pytest.approx(95.0)
    assert result.percentile(99) == pytest.approx(99.0)
    assert LoadResult(name="empty", concurrency=1).percentile(95) is None
