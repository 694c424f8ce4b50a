"""An in-memory search index per process, kept current by replaying a database change log.

The database is the source of truth (ADR 0009): the index is built from the live rows on first
use, then every ``KEFU_HELP_SEARCH_SYNC_SECONDS`` (or at once, after a change in this process)
the rows of the change log past the last one applied are replayed: each named document is
loaded again and upserted, or removed when it is no longer live. The knowledge base and the
community forum each own one ``ReplayedIndex``; they differ only in their four hooks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings

from kefu.helpcenter.search.engine import IndexDoc, SearchIndex

REPLAY_BATCH = 10_000


class ReplayedIndex:
    def __init__(
        self,
        *,
        last_change: Callable[[], int],
        changes_after: Callable[[int, int], list[tuple[int, int]]],
        all_docs: Callable[[], Iterable[IndexDoc]],
        live_docs: Callable[[set[int]], dict[int, IndexDoc]],
    ) -> None:
        """``last_change()``: the newest change id (0 when none); ``changes_after(id, n)``: at
        most n ``(change id, document id)`` pairs past ``id``, oldest first; ``all_docs()``:
        every live document; ``live_docs(ids)``: those of ``ids`` still live, by id."""
        self._last_change = last_change
        self._changes_after = changes_after
        self._all_docs = all_docs
        self._live_docs = live_docs
        self._lock = threading.RLock()
        self._index: SearchIndex | None = None
        self._applied = 0  # the last change id reflected in the index
        self._checked = 0.0  # monotonic time of the last sync

    def _build(self) -> SearchIndex:
        # Read the log position first: a change committed while we load is replayed next sync
        # (replaying is idempotent), never missed.
        self._applied = self._last_change()
        index = SearchIndex()
        for doc in self._all_docs():
            index.upsert(doc)
        return index

    def _replay(self, index: SearchIndex) -> None:
        changes = self._changes_after(self._applied, REPLAY_BATCH)
        if not changes:
            return
        ids = {doc_id for _id, doc_id in changes}
        live = self._live_docs(ids)
        for doc_id in ids:
            if doc_id in live:
                index.upsert(live[doc_id])
            else:
                index.remove(doc_id)
        self._applied = changes[-1][0]

    def get(self, *, force_sync: bool = False) -> SearchIndex:
        """This process's index, built on first use and synced with the change log."""
        with self._lock:
            if self._index is None:
                self._index = self._build()
                self._checked = time.monotonic()
                return self._index
            interval = float(getattr(settings, "KEFU_HELP_SEARCH_SYNC_SECONDS", 2.0))
            if force_sync or time.monotonic() - self._checked >= interval:
                self._checked = time.monotonic()
                self._replay(self._index)
            return self._index

    def sync_now(self) -> None:
        """Apply pending changes now (called on commit after a change in this process)."""
        with self._lock:
            if self._index is not None:
                self._replay(self._index)
                self._checked = time.monotonic()

    def reset(self) -> None:
        """Forget the index (tests; and a process whose database was replaced)."""
        with self._lock:
            self._index = None
            self._applied = 0
            self._checked = 0.0
