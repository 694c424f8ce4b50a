"""An in-memory BM25F index of help-center articles, updated one document at a time.

Layout. Every indexed document gets an *ordinal* (a slot number). Per-ordinal columns (doc id,
article id, language code, weighted length, live flag) are numpy arrays grown by doubling.
Each term owns one ``bytearray`` of packed (int32 ordinal, float32 weighted term frequency)
pairs: appending a posting is amortised O(1) and costs 8 bytes, and a search reads it as a
numpy structured array in one copy (microseconds) before doing all arithmetic vectorised.
There is no Python object per posting, and a bytearray is invisible to the cyclic garbage
collector (``array.array`` objects are not: 50k terms of them made every full collection of
the process 50-100 ms slower).

Updates. ``upsert`` = mark the old ordinal dead + append a new one; ``remove`` marks dead. Dead
postings are skipped through the live mask and idf counts live documents only, so results are
exact immediately. ``compact`` drops dead postings and renumbers ordinals; it runs by itself
once a quarter of the slots are dead. It walks every term under the lock, so searches wait
for it: ~0.5 s for 20k documents / 50k terms on a 2-core machine, once per ~5,000 updates.

Scoring: simple BM25F (Robertson et al., 2004): field term frequencies are weighted (title 4,
tags 3, extra 1.5, body 1) and summed before the BM25 saturation, and the document length is
the same weighted sum, so a word in the title counts like four in the body. Query terms become
*clauses*; a clause's alternatives (the typed term, its typo corrections, its prefix
completions, or a synonym group's terms) are scored at their weight and the clause takes the
best one per document, so expansions never stack. A document's score is the sum of clauses.

Synonyms alone may qualify a document. That is deliberate: the table exists for the case
where the user's words and the article's differ ("cash out" vs "withdraw", a Chinese query for
an English article), and requiring an original term would drop exactly those results. The
half weight and the one-best-term-per-group rule keep them below documents that share the
user's own words.

Thread safety: one ``RLock`` around every mutation and the index part of every search (query
analysis runs outside it). The index is meant to be one per process, shared by threads.
"""

from __future__ import annotations

import math
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from kefu.helpcenter.search import synonyms
from kefu.helpcenter.search.analysis import QueryTerms, analyze, analyze_query, stem
from kefu.helpcenter.search.vocabulary import Vocabulary

K1 = 1.2
B = 0.75
TITLE_WEIGHT, TAGS_WEIGHT, EXTRA_WEIGHT = 4.0, 3.0, 1.5
BODY_WEIGHT = 1.0  # upsert relies on it being 1
FUZZY_MIN_CHARS = 4  # shorter words have too many neighbours at distance 1
# Only alphabetic words are corrected: codes with digits (trc20, erc20, bep2) are exact.
FUZZY_RARE_DF = 2  # a typed word this rare is probably a typo, even if some article has it
PREFIX_MIN_CHARS = 2
PREFIX_WEIGHT = 0.8
COMPACT_MIN_DEAD = 256
COMPACT_DEAD_FRACTION = 0.25

Clause = dict[str, float]  # term → weight; a document scores the best alternative


@dataclass(frozen=True, slots=True)
class IndexDoc:
    doc_id: int  # unique per indexed text (one article translation)
    article_id: int  # shared by the translations of one article: results are deduplicated by it
    language: str
    title: str
    tags: tuple[str, ...]
    body: str
    extra: str = ""  # section and category names


@dataclass(frozen=True, slots=True)
class Hit:
    doc_id: int
    article_id: int
    language: str
    score: float


_POSTING = struct.Struct("<if")  # ordinal, weighted term frequency
_POSTING_DTYPE = np.dtype([("ord", "<i4"), ("tf", "<f4")])


def _read(postings: bytearray) -> npt.NDArray[np.void]:
    """A copy, so no numpy view keeps the bytearray from growing (BufferError)."""
    return np.frombuffer(postings, _POSTING_DTYPE).copy()


def _grow(column: npt.NDArray[Any], size: int) -> npt.NDArray[Any]:
    bigger = np.zeros(max(size, 2 * len(column), 64), dtype=column.dtype)
    bigger[: len(column)] = column
    return bigger


class SearchIndex:
    """Help-center documents in several languages; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._postings: dict[str, bytearray] = {}
        self._ord_of: dict[int, int] = {}  # live doc_id → ordinal
        self._size = 0  # ordinals used, dead ones included
        self._dead = 0
        self._total_length = 0.0  # weighted lengths of live documents
        self._doc_ids = np.zeros(0, np.int64)
        self._article_ids = np.zeros(0, np.int64)
        self._langs = np.zeros(0, np.int16)
        self._lengths = np.zeros(0, np.float32)
        self._live = np.zeros(0, np.bool_)
        self._languages: list[str] = []
        self._lang_code: dict[str, int] = {}
        self._words = Vocabulary()  # Latin words as written: completion, typo correction
        self._norm: npt.NDArray[np.float32] | None = None  # BM25 length norm per ordinal

    def __len__(self) -> int:
        return len(self._ord_of)

    # --- updates -------------------------------------------------------------------------

    def upsert(self, doc: IndexDoc) -> None:
        """Index ``doc``, replacing the document with the same ``doc_id`` if there is one."""
        surfaces: set[str] = set()
        body = Counter(analyze(doc.body, surfaces=surfaces))
        frequencies: dict[str, float] = dict(body)  # the body weighs 1: most terms, C speed
        length = BODY_WEIGHT * body.total()
        for text, weight in (
            (doc.title, TITLE_WEIGHT),
            ("\n".join(doc.tags), TAGS_WEIGHT),
            (doc.extra, EXTRA_WEIGHT),
        ):
            counts = Counter(analyze(text, surfaces=surfaces))
            length += weight * counts.total()
            for term, count in counts.items():
                frequencies[term] = frequencies.get(term, 0.0) + weight * count
        with self._lock:
            self._kill(doc.doc_id)
            ordinal = self._append(doc, length)
            all_postings, pack = self._postings, _POSTING.pack
            for term, frequency in frequencies.items():
                postings = all_postings.get(term)
                if postings is None:
                    all_postings[term] = bytearray(pack(ordinal, frequency))
                else:
                    postings += pack(ordinal, frequency)
            for surface in surfaces:
                if surface not in self._words:
                    self._words.add(surface, stem(surface))
            self._maybe_compact()

    def remove(self, doc_id: int) -> None:
        """Forget the document ``doc_id`` (no-op if it is not indexed)."""
        with self._lock:
            self._kill(doc_id)
            self._maybe_compact()

    def compact(self) -> None:
        """Drop dead postings and renumber ordinals (also trims over-allocation)."""
        with self._lock:
            live = self._live[: self._size].copy()
            renumber = (np.cumsum(live, dtype=np.int64) - 1).astype(np.int32)
            for term in list(self._postings):
                pairs = _read(self._postings[term])
                pairs = pairs[live[pairs["ord"]]]
                if not len(pairs):
                    del self._postings[term]
                    continue
                pairs["ord"] = renumber[pairs["ord"]]
                self._postings[term] = bytearray(pairs.tobytes())
            self._doc_ids = self._doc_ids[: self._size][live]
            self._article_ids = self._article_ids[: self._size][live]
            self._langs = self._langs[: self._size][live]
            self._lengths = self._lengths[: self._size][live]
            self._size = len(self._doc_ids)
            self._live = np.ones(self._size, np.bool_)
            self._dead = 0
            self._norm = None
            self._ord_of = {doc_id: i for i, doc_id in enumerate(self._doc_ids.tolist())}
            self._total_length = float(self._lengths.sum(dtype=np.float64))
            self._words.keep_only(self._postings.__contains__)

    def _kill(self, doc_id: int) -> None:
        ordinal = self._ord_of.pop(doc_id, None)
        if ordinal is not None:
            self._norm = None
            self._live[ordinal] = False
            self._dead += 1
            self._total_length -= float(self._lengths[ordinal])
            if not self._ord_of:
                self._total_length = 0.0  # no float drift survives an empty index

    def _append(self, doc: IndexDoc, length: float) -> int:
        ordinal = self._size
        if ordinal >= len(self._live):
            self._doc_ids = _grow(self._doc_ids, ordinal + 1)
            self._article_ids = _grow(self._article_ids, ordinal + 1)
            self._langs = _grow(self._langs, ordinal + 1)
            self._lengths = _grow(self._lengths, ordinal + 1)
            self._live = _grow(self._live, ordinal + 1)
        code = self._lang_code.get(doc.language)
        if code is None:
            code = self._lang_code[doc.language] = len(self._languages)
            self._languages.append(doc.language)
        self._doc_ids[ordinal] = doc.doc_id
        self._article_ids[ordinal] = doc.article_id
        self._langs[ordinal] = code
        self._lengths[ordinal] = length
        self._live[ordinal] = True
        self._size += 1
        self._norm = None
        self._ord_of[doc.doc_id] = ordinal
        self._total_length += length
        return ordinal

    def _maybe_compact(self) -> None:
        if self._dead >= COMPACT_MIN_DEAD and self._dead >= COMPACT_DEAD_FRACTION * self._size:
            self.compact()

    # --- search --------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        language: str,
        limit: int = 10,
        prefix: bool = False,
        languages: tuple[str, ...] | None = None,
    ) -> list[Hit]:
        """The best ``limit`` documents for ``query``: those in ``language`` first, then the
        other languages (only ``languages`` if given), each part best first, one hit per
        article. ``prefix`` completes the last word (search-as-you-type). Never raises on odd
        text; returns [] when nothing matches."""
        if limit <= 0 or not isinstance(query, str):
            return []
        parsed = analyze_query(query)
        if not parsed.terms and not (prefix and parsed.prefix):
            return []
        with self._lock:
            if not self._ord_of:
                return []
            scores = self._score(self._clauses(parsed, prefix=prefix))
            return self._rank(scores, language, limit, languages)

    def _clauses(self, parsed: QueryTerms, *, prefix: bool) -> list[Clause]:
        clauses: list[Clause] = []
        by_term: dict[str, Clause] = {}
        known: list[str] = []  # the query as understood: typed terms + best typo corrections
        for query_term in parsed.terms:
            clause: Clause = {query_term.term: 1.0}
            known.append(query_term.term)
            if (
                query_term.surface.isalpha()  # not codes: trc20 is one edit from erc20
                and len(query_term.surface) >= FUZZY_MIN_CHARS
                and self._raw_df(query_term.term) <= FUZZY_RARE_DF
            ):
                corrections = self._words.corrections(
                    query_term.surface, query_term.term, self._raw_df
                )
                for term, weight in corrections:
                    clause.setdefault(term, weight)
                if corrections and self._raw_df(query_term.term) == 0:
                    known.append(corrections[0][0])
            clauses.append(clause)
            by_term[query_term.term] = clause
        if prefix and parsed.prefix and len(parsed.prefix) >= PREFIX_MIN_CHARS:
            typed = stem(parsed.prefix)
            completions = self._words.completions(parsed.prefix, typed, self._raw_df)
            if completions:
                target = by_term.get(typed)
                if target is None:
                    target = {}
                    clauses.append(target)
                for term in completions:
                    target[term] = max(target.get(term, 0.0), PREFIX_WEIGHT)
        taken = {term for clause in clauses for term in clause}
        for added in synonyms.expand(known):
            fresh = {term: synonyms.SYNONYM_WEIGHT for term in added if term not in taken}
            if fresh:
                clauses.append(fresh)
        return clauses

    def _raw_df(self, term: str) -> int:
        """Postings of ``term``, dead ones included: an O(1) upper bound of its df."""
        postings = self._postings.get(term)
        return 0 if postings is None else len(postings) // _POSTING.size

    def _score(self, clauses: list[Clause]) -> npt.NDArray[np.float32]:
        size = self._size
        scores = np.zeros(size, np.float32)
        live_count = len(self._ord_of)
        if self._norm is None:  # recomputed after each change: one pass over the lengths
            average = max(self._total_length / live_count, 1e-6)
            self._norm = K1 * (1.0 - B + B * self._lengths[:size] / np.float32(average))
        norms = self._norm
        for clause in clauses:
            best = scores if len(clause) == 1 else np.zeros(size, np.float32)
            for term, weight in clause.items():
                postings = self._postings.get(term)
                if postings is None:
                    continue
                pairs = _read(postings)
                ords, tfs = pairs["ord"], pairs["tf"]
                if self._dead:
                    keep = self._live[ords]
                    ords, tfs = ords[keep], tfs[keep]
                df = len(ords)
                if not df:
                    continue
                idf = math.log(1.0 + (live_count - df + 0.5) / (df + 0.5))
                gain = (weight * idf * (K1 + 1.0)) * tfs / (tfs + norms[ords])
                if best is scores:
                    scores[ords] += gain
                else:
                    best[ords] = np.maximum(best[ords], gain)
            if best is not scores:
                scores += best
        return scores

    def _rank(
        self,
        scores: npt.NDArray[np.float32],
        language: str,
        limit: int,
        languages: tuple[str, ...] | None,
    ) -> list[Hit]:
        found = np.flatnonzero(scores > 0)
        codes = self._langs[found]
        if languages is not None:
            allowed = [self._lang_code[lang] for lang in languages if lang in self._lang_code]
            keep = np.isin(codes, np.array(allowed, np.int16))
            found, codes = found[keep], codes[keep]
        own = self._lang_code.get(language, -1)
        hits: list[Hit] = []
        seen: set[int] = set()
        for part in (found[codes == own], found[codes != own]):
            if len(hits) >= limit:
                break
            hits.extend(self._best(part, scores, limit - len(hits), seen))
        return hits

    def _best(
        self,
        part: npt.NDArray[np.intp],
        scores: npt.NDArray[np.float32],
        limit: int,
        seen: set[int],
    ) -> list[Hit]:
        """The top ``limit`` of ``part`` (ordinals), one per article not yet in ``seen``."""
        want = limit + 8
        while True:
            top = part
            if want < len(part):
                top = part[np.argpartition(-scores[part], want - 1)[:want]]
            top = top[np.lexsort((top, -scores[top]))]  # best first, ties by age
            hits: list[Hit] = []
            taken: set[int] = set()
            for ordinal in top.tolist():
                article_id = int(self._article_ids[ordinal])
                if article_id in seen or article_id in taken:
                    continue
                taken.add(article_id)
                hits.append(
                    Hit(
                        doc_id=int(self._doc_ids[ordinal]),
                        article_id=article_id,
                        language=self._languages[int(self._langs[ordinal])],
                        score=float(scores[ordinal]),
                    )
                )
                if len(hits) == limit:
                    break
            if len(hits) == limit or len(top) == len(part):
                seen.update(taken)
                return hits
            want *= 4

    # --- introspection -------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Sizes for monitoring and the benchmark: documents, slots, terms, postings, and the
        bytes held by postings and columns (Python object overheads not included)."""
        with self._lock:
            postings = sum(len(p) for p in self._postings.values()) // _POSTING.size
            columns = sum(
                c.nbytes
                for c in (self._doc_ids, self._article_ids, self._langs, self._lengths, self._live)
            )
            return {
                "documents": len(self._ord_of),
                "slots": self._size,
                "dead": self._dead,
                "terms": len(self._postings),
                "postings": postings,
                "posting_bytes": 8 * postings,
                "column_bytes": int(columns),
                "surfaces": len(self._words),
            }
