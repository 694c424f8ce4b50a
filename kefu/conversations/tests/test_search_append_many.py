"""``search.append_many`` (the chat group commit's index round) leaves every conversation's
terms as ``append_to_index`` message by message would, and rewrites no row it does not change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.conversations import search
from kefu.testing import factories

pytestmark = pytest.mark.django_db


def _terms(conversation_id: int) -> list[str]:
    """The stored terms; in order on SQLite (PostgreSQL's merge keeps a set, in no order)."""
    terms = search.stored_terms(conversation_id)
    return sorted(terms) if connection.vendor == "postgresql" else terms


def _in_order(terms: list[str]) -> list[str]:
    return sorted(terms) if connection.vendor == "postgresql" else terms


def _matching(query: str) -> set[int]:
    from kefu.conversations.models import Conversation

    ids = search.matching_ids(query)
    assert ids is not None
    return set(Conversation.objects.filter(pk__in=ids).values_list("pk", flat=True))


def test_append_many_equals_appending_message_by_message(customer_1, customer_2):
    one, two, three, fresh_a, fresh_b = (
        factories.ConversationFactory(contact=c.contact)
        for c in (customer_1,) * 3 + (customer_2,) * 2
    )
    for conversation, text in ((one, "deposit missing 提现失败"), (two, "hello there")):
        search.index_conversation(conversation.pk, [text])
        search.index_conversation(fresh_a.pk if conversation is one else fresh_b.pk, [text])
    with connection.cursor() as cursor:  # no row at all for three
        if connection.vendor == "postgresql":
            cursor.execute(
                "DELETE FROM conversations_search WHERE conversation_id = %s", [three.pk]
            )
        else:
            cursor.execute("DELETE FROM conversations_fts WHERE rowid = %s", [three.pk])
    assert search.stored_terms(three.pk) == []
    texts = {
        one.pk: ["Deposit still MISSING", "zebracorn 失败了"],
        two.pk: ["hello"],  # nothing new
        three.pk: ["brand new conversation"],  # no row yet
    }
    search.append_many(texts)
    for cid, parts in ((fresh_a.pk, texts[one.pk]), (fresh_b.pk, texts[two.pk])):
        for part in parts:
            search.append_to_index(cid, part)
    assert _terms(one.pk) == _terms(fresh_a.pk)
    assert _terms(one.pk) == _in_order(
        ["deposit", "missing", "提现", "现失", "失败", "still", "zebracorn", "败了"]
    )
    assert _terms(two.pk) == _terms(fresh_b.pk) == ["hello", "there"]
    assert _terms(three.pk) == _in_order(["brand", "new", "conversation"])
    assert _matching("zebracorn") == {one.pk, fresh_a.pk}
    assert _matching("提现") == {one.pk, fresh_a.pk}
    assert _matching("brand conversation") == {three.pk}
    assert _matching("hello") == {two.pk, fresh_b.pk}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the FTS index agrees with its rows
            cursor.execute(
                "INSERT INTO conversations_fts (conversations_fts) VALUES ('integrity-check')"
            )


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_append_many_writes_only_rows_whose_terms_change(customer_1):
    same, changed = (factories.ConversationFactory(contact=customer_1.contact) for _ in range(2))
    search.index_conversation(same.pk, ["already indexed words"])
    search.index_conversation(changed.pk, ["already indexed"])
    with CaptureQueriesContext(connection) as ctx:
        search.append_many({same.pk: ["Indexed words, already"], changed.pk: ["words"]})
    writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SELECT")]
    assert writes == [  # one row written: the changed one (executemany logs the row count)
        "1 times: INSERT OR REPLACE INTO conversations_fts (rowid, terms) VALUES (%s, %s)"
    ]
    assert search.stored_terms(changed.pk) == ["already", "indexed", "words"]
    search.append_many({same.pk: ["words"]})
    assert search.stored_terms(same.pk) == ["already", "indexed", "words"]
