"""Answers from the knowledge base: retrieval and the extractive passage.

The assistant never writes an answer of its own. ``retrieve`` asks the help-center search
(``kb_search``, in the customer's language only) for the best articles, then picks in each the
passage that shares the most query terms with the question. Terms come from the search's own
analysis (``kefu.helpcenter.search.analysis.analyze``: jieba for Chinese, Snowball stems for
English, the search's stop words dropped), so "提现没到账" and "withdrawals not received" are
compared the way the search compares them.

A passage is one block of the published Markdown (a paragraph, a list or one table row), with
Markdown syntax removed and the heading above it counted at half weight. Without any shared
term the article's summary stands in. The analysed blocks are cached per published revision.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.urls import reverse

from kefu.helpcenter.languages import best_language
from kefu.helpcenter.models import ArticleTranslation
from kefu.helpcenter.search.analysis import STOPWORDS, analyze
from kefu.helpcenter.searching import kb_search

MAX_PASSAGE_CHARS = 600
_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Passage:
    slug: str
    title: str
    url: str  # the article's path on this site
    text: str  # plain text, no Markdown
    score: float  # query terms shared (heading terms count half); 0 = the summary stood in


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    terms: frozenset[str]
    heading_terms: frozenset[str]


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")


def plain(markdown: str) -> str:
    """Markdown inline syntax removed: links keep their text, emphasis and code marks go."""
    return _EMPHASIS.sub("", _LINK.sub(r"\1", markdown)).strip()


def _split(body: str) -> list[tuple[str, str]]:
    """(heading, block text) pairs: paragraphs, whole lists, and each table row alone."""
    out: list[tuple[str, str]] = []
    heading = ""
    for raw in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        lines = [line for line in raw.strip().split("\n") if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            heading = plain(lines[0].lstrip("#"))
            lines = lines[1:]
            if not lines:
                continue
        if lines[0].lstrip().startswith("|"):
            rows = [row for row in lines if not _TABLE_RULE.match(row.strip())]
            header = [plain(cell) for cell in rows[0].strip().strip("|").split("|")] if rows else []
            for row in rows[1:]:
                cells = [plain(cell) for cell in row.strip().strip("|").split("|")]
                pairs = [
                    f"{name}: {cell}" if i and name else cell
                    for i, (name, cell) in enumerate(zip(header, cells, strict=False))
                    if cell
                ]
                out.append((heading, "; ".join(pairs)))
            continue
        text = "\n".join(
            ("• " + plain(_BULLET.sub("", line))) if _BULLET.match(line) else plain(line)
            for line in lines
        )
        out.append((heading, text))
    return out


def _terms(text: str) -> frozenset[str]:
    return frozenset(t for t in analyze(text) if t not in STOPWORDS)


class _BlockCache:
    """Analysed blocks per published revision id (bounded, thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[int, tuple[_Block, ...]] = OrderedDict()

    def get(self, revision_id: int, body: str) -> tuple[_Block, ...]:
        with self._lock:
            found = self._items.get(revision_id)
            if found is not None:
                self._items.move_to_end(revision_id)
                return found
        blocks = tuple(
            _Block(text=text, terms=_terms(text), heading_terms=_terms(heading))
            for heading, text in _split(body)
        )
        with self._lock:
            self._items[revision_id] = blocks
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)
        return blocks


_blocks = _BlockCache()


def _shorten(text: str) -> str:
    if len(text) <= MAX_PASSAGE_CHARS:
        return text
    cut = text[:MAX_PASSAGE_CHARS]
    end = max(cut.rfind(mark) for mark in (". ", "。", "\n", "！", "？"))
    return (cut[: end + 1] if end > MAX_PASSAGE_CHARS // 3 else cut).rstrip() + " …"


def best_passage(
    query_terms: frozenset[str], blocks: tuple[_Block, ...]
) -> tuple[str, float] | None:
    """The block sharing the most query terms (heading terms half), earliest on a tie."""
    best: tuple[float, int] | None = None
    for index, block in enumerate(blocks):
        score = len(query_terms & block.terms) + 0.5 * len(
            (query_terms & block.heading_terms) - block.terms
        )
        if score > 0 and (best is None or score > best[0]):
            best = (score, index)
    if best is None:
        return None
    return _shorten(blocks[best[1]].text), best[0]


def retrieve(query: str, *, language: str, limit: int = 1) -> list[Passage]:
    """The best passage of each of the ``limit`` best live articles in ``language`` (only
    that language: an answer is given in the customer's language or not at all)."""
    language = best_language(language)
    results = [
        r
        for r in kb_search(query, language=language, limit=max(limit, 3))
        if r.language == language
    ][:limit]
    if not results:
        return []
    rows = {
        row["article_id"]: row
        for row in ArticleTranslation.objects.filter(
            article_id__in=[r.article_id for r in results],
            language=language,
            published_revision__isnull=False,
        ).values("article_id", "published_revision_id", "published_revision__body")
    }
    query_terms = _terms(query)
    passages = []
    for result in results:
        row = rows.get(result.article_id)
        if row is None:  # unpublished a moment ago
            continue
        blocks = _blocks.get(row["published_revision_id"], row["published_revision__body"] or "")
        found = best_passage(query_terms, blocks)
        text, score = found if found else (result.summary, 0.0)
        if not text:
            continue
        passages.append(
            Passage(
                slug=result.slug,
                title=result.title,
                url=reverse("helpcenter:article", args=[language, result.slug]),
                text=text,
                score=score,
            )
        )
    return passages
