"""Forum threads in the help center's search: the same in-memory BM25F engine
(``kefu.helpcenter.search``, pre-tokenised terms per ADR 0004) in a second index of its own,
kept current the same way (ADR 0009): services append ``SearchChange`` rows, each process
replays those past the last one applied. Only visible threads are indexed; a thread's text is
its title, tags, question and accepted answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Max

from kefu.community.models import Post, SearchChange, Thread, Visibility
from kefu.helpcenter.languages import help_languages
from kefu.helpcenter.render import plain_text
from kefu.helpcenter.search.engine import IndexDoc, SearchIndex
from kefu.helpcenter.search.replayed import ReplayedIndex

MAX_LIMIT = 20
_BODY_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class ForumResult:
    thread_id: int
    language: str
    title: str
    answered: bool
    url: str


def _doc(thread: Thread, texts: list[str]) -> IndexDoc:
    return IndexDoc(
        doc_id=thread.pk,
        article_id=thread.pk,
        language=thread.board.language,
        title=thread.title,
        tags=tuple(thread.tags or ()),
        body=" ".join(texts)[:_BODY_CHARS],
        extra=thread.board.name,
    )


def _texts(thread_ids: list[int]) -> dict[int, list[str]]:
    """The question and the accepted answer of each thread, as plain text."""
    found: dict[int, list[str]] = {pk: [] for pk in thread_ids}
    accepted = dict(Thread.objects.filter(pk__in=thread_ids).values_list("pk", "accepted_post_id"))
    posts = Post.objects.filter(thread_id__in=thread_ids, visibility=Visibility.VISIBLE).filter(
        is_question=True
    ) | Post.objects.filter(pk__in=[v for v in accepted.values() if v])
    for post in posts.only("thread_id", "html"):
        found[post.thread_id].append(plain_text(post.html))
    return found


def _visible(ids: list[int] | None = None) -> list[Thread]:
    query = Thread.objects.filter(
        visibility=Visibility.VISIBLE, board__is_active=True
    ).select_related("board")
    if ids is not None:
        query = query.filter(pk__in=ids)
    return list(query)


def _last_change() -> int:
    return SearchChange.objects.aggregate(m=Max("id"))["m"] or 0


def _changes_after(applied: int, limit: int) -> list[tuple[int, int]]:
    return list(
        SearchChange.objects.filter(id__gt=applied)
        .order_by("id")
        .values_list("id", "thread_id")[:limit]
    )


def _docs(threads: list[Thread]) -> Iterator[IndexDoc]:
    for start in range(0, len(threads), 500):
        chunk = threads[start : start + 500]
        texts = _texts([t.pk for t in chunk])
        for thread in chunk:
            yield _doc(thread, texts[thread.pk])


def _all_docs() -> Iterator[IndexDoc]:
    return _docs(_visible())


def _live_docs(ids: set[int]) -> dict[int, IndexDoc]:
    return {doc.doc_id: doc for doc in _docs(_visible(list(ids)))}


_index = ReplayedIndex(
    last_change=_last_change,
    changes_after=_changes_after,
    all_docs=_all_docs,
    live_docs=_live_docs,
)


def get_index() -> SearchIndex:
    return _index.get()


def sync_now() -> None:
    _index.sync_now()


def reset() -> None:
    _index.reset()


def forum_search(query: str, *, language: str, limit: int = 5) -> list[ForumResult]:
    """Visible threads matching ``query``: ``language`` first, best first. Never raises on odd
    input."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    if language not in help_languages():
        language = help_languages()[0]
    if not isinstance(query, str) or not query.strip():
        return []
    hits = get_index().search(query[:1000], language=language, limit=limit)
    if not hits:
        return []
    rows = {t.pk: t for t in _visible([hit.doc_id for hit in hits])}
    results = []
    for hit in hits:
        thread = rows.get(hit.doc_id)
        if thread is None:
            continue
        results.append(
            ForumResult(
                thread_id=thread.pk,
                language=thread.board.language,
                title=thread.title,
                answered=thread.accepted_post_id is not None,
                url=f"/help/{thread.board.language}/community/t/{thread.pk}/",
            )
        )
    return results
