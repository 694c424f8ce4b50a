"""Extractive answers: Markdown blocks, the best passage, retrieval over the demo knowledge base."""

from __future__ import annotations

import pytest

from kefu.assistant.answers import MAX_PASSAGE_CHARS, _split, _terms, best_passage, plain, retrieve
from kefu.assistant.tests.test_dialogue_support import load_demo_kb
from kefu.helpcenter.models import ArticleTranslation

BODY = """Intro with a [link](/help/en/articles/x/) and **bold** text.

## Status by status

| Status | What it means | Usual duration |
|---|---|---|
| Pending | Waiting for checks. | A few minutes |
| Under review | Our risk team is checking it. | Up to 24 hours |

## What you can do

- Check the **network notice**.
- Do not submit it again.
"""


def test_markdown_is_split_into_plain_blocks_with_their_headings():
    assert _split(BODY) == [
        ("", "Intro with a link and bold text."),
        (
            "Status by status",
            "Pending; What it means: Waiting for checks.; Usual duration: A few minutes",
        ),
        (
            "Status by status",
            "Under review; What it means: Our risk team is checking it.; "
            "Usual duration: Up to 24 hours",
        ),
        ("What you can do", "• Check the network notice.\n• Do not submit it again."),
    ]
    assert plain("See [the guide](/x/) `now`") == "See the guide now"


def test_best_passage_is_the_block_sharing_most_query_terms():
    from kefu.assistant.answers import _Block

    blocks = tuple(
        _Block(text=text, terms=_terms(text), heading_terms=_terms(heading))
        for heading, text in _split(BODY)
    )
    text, score = best_passage(_terms("how long does the risk review take"), blocks)
    assert text.startswith("Under review")
    assert score >= 2
    assert best_passage(_terms("kangaroo"), blocks) is None


@pytest.fixture
def full_demo_kb(db, system_actor):
    load_demo_kb(system_actor)


CASES = [
    ("I lost my 2fa phone", "en", "lost-2fa", "2FA"),
    ("谷歌验证器丢了", "zh-hans", "lost-2fa", "验证"),
    ("deposit sent on the wrong network", "en", "deposit-wrong-network", "network"),
    ("充值忘记填写标签", "zh-hans", None, "标签"),
    ("how long does identity verification take", "en", None, "verif"),
]


def test_retrieval_over_the_demo_kb_gives_a_passage_of_the_article(full_demo_kb):
    for query, language, slug, words in CASES:
        [passage] = retrieve(query, language=language)
        if slug:
            assert passage.slug == slug, query
        assert passage.url == f"/help/{language}/articles/{passage.slug}/"
        live = ArticleTranslation.objects.get(article__slug=passage.slug, language=language)
        assert passage.title == live.title
        assert words.lower() in passage.text.lower(), (query, passage.text)
        assert len(passage.text) <= MAX_PASSAGE_CHARS + 2
        # Extractive: the passage's words are the published article's.
        body = plain(live.published_revision.body)
        for word in passage.text.replace("•", " ").replace(";", " ").split()[:12]:
            assert word.strip(".,:;") in body, (query, word)


def test_retrieval_stays_in_the_customer_language(full_demo_kb):
    passages = retrieve("withdrawal pending", language="zh-hans", limit=3)
    assert passages
    assert all(p.url.startswith("/help/zh-hans/") for p in passages)


def test_nothing_found_is_an_empty_list(db):
    assert retrieve("anything", language="en") == []
    assert retrieve("", language="en") == []
