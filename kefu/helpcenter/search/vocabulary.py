"""The Latin words seen in indexed documents, as written, for completion and typo correction.

The index holds stems, but people type words: "withdr" is a prefix of "withdrawal", not of
the stem "withdraw", and "verifcation" is one edit from "verification", not from "verif". So
the engine keeps each surface word with its stem and matches what is typed against the words,
then scores their stems.

Words are only added (a word whose stem has no live posting any more yields nothing and is
dropped at the next compaction), so nothing here needs to know about documents.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from rapidfuzz import process
from rapidfuzz.distance import OSA

FUZZY_WEIGHTS = {1: 0.7, 2: 0.5}  # by edit distance (OSA: a transposition is one edit)
FUZZY_MAX = 5
PREFIX_MAX = 20
PREFIX_SCAN = 500  # words looked at per prefix before keeping the most frequent stems


class Vocabulary:
    """Surface word → stem, sorted for prefixes and bucketed for edit distance.

    Each word sits in two typo buckets: (length, first letter) and (length, last letter). One
    edit cannot change both ends of a word, so the two buckets hold every candidate at
    distance 1 while comparing ~1/10 of the vocabulary. At distance 2 (words of 8+ letters) a
    word with typos at both ends is missed: rare, and worth the 10x.
    """

    def __init__(self) -> None:
        self._stem_of: dict[str, str] = {}
        self._sorted: list[str] = []
        self._buckets: dict[tuple[int, str, bool], list[str]] = {}

    def __len__(self) -> int:
        return len(self._stem_of)

    def __contains__(self, word: object) -> bool:
        return word in self._stem_of

    def add(self, word: str, stem: str) -> None:
        if word in self._stem_of or not word:
            return
        self._stem_of[word] = stem
        bisect.insort(self._sorted, word)
        self._buckets.setdefault((len(word), word[0], True), []).append(word)
        self._buckets.setdefault((len(word), word[-1], False), []).append(word)

    def keep_only(self, keep: Callable[[str], bool]) -> None:
        """Drop the words whose stem fails ``keep`` (compaction: stems with no posting)."""
        kept = {w: s for w, s in self._stem_of.items() if keep(s)}
        self._stem_of, self._sorted, self._buckets = {}, [], {}
        for word in sorted(kept):
            self.add(word, kept[word])

    def completions(self, typed: str, exclude: str, frequency: Callable[[str], int]) -> list[str]:
        """Stems of words starting with ``typed`` (not ``exclude``), most frequent first."""
        start = bisect.bisect_left(self._sorted, typed)
        found: set[str] = set()
        for word in self._sorted[start : start + PREFIX_SCAN]:
            if not word.startswith(typed):
                break
            found.add(self._stem_of[word])
        found.discard(exclude)
        ranked = sorted((t for t in found if frequency(t)), key=lambda t: (-frequency(t), t))
        return ranked[:PREFIX_MAX]

    def corrections(
        self, typed: str, exclude: str, frequency: Callable[[str], int]
    ) -> list[tuple[str, float]]:
        """(stem, weight) of words within 1 edit (4–7 letters) or 2 edits (8+) of ``typed``,
        closest then most frequent first; not ``exclude`` (the typed word's own stem)."""
        max_edits = 1 if len(typed) < 8 else 2
        best: dict[str, int] = {}
        for size in range(len(typed) - max_edits, len(typed) + max_edits + 1):
            for key in ((size, typed[0], True), (size, typed[-1], False)):
                bucket = self._buckets.get(key)
                if not bucket:
                    continue
                for word, distance, _i in process.extract(
                    typed, bucket, scorer=OSA.distance, score_cutoff=max_edits, limit=None
                ):
                    stem = self._stem_of[word]
                    if stem != exclude and frequency(stem) and distance < best.get(stem, 99):
                        best[stem] = int(distance)
        ranked = sorted(best, key=lambda t: (best[t], -frequency(t), t))[:FUZZY_MAX]
        return [(t, FUZZY_WEIGHTS[best[t]]) for t in ranked]
