"""The one knowledge-base search service: the help center, the chat widget's suggestions, the
request form's deflection and the assistant all call ``kb_search``.

The index lives in memory in each process (``kefu.helpcenter.search``). The database is the
source of truth: the index is built from live translations on first use, then kept current by
replaying ``SearchIndexChange`` rows past the last one applied — at most every
``KEFU_HELP_SEARCH_SYNC_SECONDS`` on a search, and at once after a publish in this process.
So a publish on any node reaches every node's search without a rebuild. ADR 0009.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import Max

from kefu.helpcenter.languages import help_languages, pick
from kefu.helpcenter.models import ArticleTranslation, SearchIndexChange
from kefu.helpcenter.search.engine import IndexDoc, SearchIndex
from kefu.helpcenter.search.replayed import ReplayedIndex

MAX_LIMIT = 50
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchResult:
    article_id: int
    slug: str
    language: str
    title: str
    summary: str
    score: float
    url: str


def _doc(translation: ArticleTranslation) -> IndexDoc:
    section = translation.article.section
    extra = " ".join(
        filter(
            None,
            (
                pick(section.names, translation.language),
                pick(section.category.names, translation.language),
            ),
        )
    )
    return IndexDoc(
        doc_id=translation.pk,
        article_id=translation.article_id,
        language=translation.language,
        title=translation.title,
        tags=tuple(translation.tags or ()),
        body=translation.search_text,
        extra=extra,
    )


def _last_change() -> int:
    return SearchIndexChange.objects.aggregate(m=Max("id"))["m"] or 0


def _changes_after(applied: int, limit: int) -> list[tuple[int, int]]:
    return list(
        SearchIndexChange.objects.filter(id__gt=applied)
        .order_by("id")
        .values_list("id", "translation_id")[:limit]
    )


def _all_docs() -> Iterator[IndexDoc]:
    for translation in (
        ArticleTranslation.objects.filter(published_revision__isnull=False)
        .select_related("article__section__category")
        .iterator(chunk_size=500)
    ):
        yield _doc(translation)


def _live_docs(ids: set[int]) -> dict[int, IndexDoc]:
    return {
        tr.pk: _doc(tr)
        for tr in ArticleTranslation.objects.filter(
            pk__in=ids, published_revision__isnull=False
        ).select_related("article__section__category")
    }


_index = ReplayedIndex(
    last_change=_last_change,
    changes_after=_changes_after,
    all_docs=_all_docs,
    live_docs=_live_docs,
)


def get_index(*, force_sync: bool = False) -> SearchIndex:
    """This process's index, built on first use and synced with the change log."""
    return _index.get(force_sync=force_sync)


def sync_now() -> None:
    """Apply pending index changes now (called on commit after a publish in this process)."""
    _index.sync_now()


def warm_in_background() -> threading.Thread | None:
    """Build the index in a daemon thread (server start-up), unless
    ``KEFU_HELP_SEARCH_WARM`` is off. A failure is logged; the first search retries."""
    if not getattr(settings, "KEFU_HELP_SEARCH_WARM", True):
        return None

    def build() -> None:
        try:
            get_index()
        except Exception:  # the database may not be migrated yet; searching will retry
            logger.warning("help-center search index: warm-up failed", exc_info=True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=build, name="kb-search-warm", daemon=True)
    thread.start()
    return thread


def reset() -> None:
    """Forget the index (tests; and a process whose database was replaced)."""
    _index.reset()


def kb_search(
    query: str, *, language: str, limit: int = 10, prefix: bool = False
) -> list[SearchResult]:
    """Live articles matching ``query``: ``language`` first, then the others, best first.
    Never raises on odd input (empty, huge, punctuation only, control characters)."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    if language not in help_languages():
        language = help_languages()[0]
    if not isinstance(query, str) or not query.strip():
        return []
    hits = get_index().search(query[:1000], language=language, limit=limit, prefix=prefix)
    if not hits:
        return []
    rows = {
        tr.pk: tr
        for tr in ArticleTranslation.objects.filter(
            pk__in=[hit.doc_id for hit in hits], published_revision__isnull=False
        ).select_related("article")
    }
    results = []
    for hit in hits:
        tr = rows.get(hit.doc_id)
        if tr is None:  # unpublished since the last sync
            continue
        results.append(
            SearchResult(
                article_id=tr.article_id,
                slug=tr.article.slug,
                language=tr.language,
                title=tr.title,
                summary=tr.summary,
                score=float(hit.score),
                url=f"/help/{tr.language}/articles/{tr.article.slug}/",
            )
        )
    return results
