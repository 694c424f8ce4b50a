"""Seed phrases: 12–24 BIP-39 words (English or Simplified Chinese), any separators.

How a run of words becomes a finding:

1. Every English word and every Chinese character of the message is a token; tokens that are
   BIP-39 words, joined only by separators (spaces, commas, 、, newlines, numbering such as
   ``1.`` ``2)`` ``3-``), form a *run*. A run is cut where the separator changes style, so the
   ``": "`` after "seed phrase" or a full stop ending a sentence starts a new *segment*.
2. Inside a segment, every window of 12, 15, 18, 21 or 24 words whose BIP-39 checksum is valid
   is a candidate (a random run passes with probability 1/16 for 12 words, 1/256 for 24).
3. A candidate must also look random rather than written: ordinary English sentences made only of
   list words use many very common words ("you can have all that…"); ordinary Chinese text uses
   frequent characters and common character pairs, while a seed's characters are drawn uniformly
   from the 2,048-character list (see ``_zh_random``).
4. Without a seed cue in the message, windows must (almost) fill their segment, and contiguous
   Chinese (no separators) must fill it exactly. With a cue ("seed phrase", "助记词", "private
   key", wallet names) any window counts, one misspelt word may be repaired, and a segment of 12
   or more list words is flagged even when its checksum fails: a typo'd seed is still a leak.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

import rjieba
from mnemonic import Mnemonic
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne

from kefu.guard.context import KEY, SECRET_KEY, SEED, Context

SEED_KIND = "seed_phrase"
LENGTHS = (24, 21, 18, 15, 12)
_CONTEXT_KINDS = frozenset({SEED, KEY, SECRET_KEY})
_CONTEXT_WINDOW = 400

EN_WORDS: tuple[str, ...] = tuple(Mnemonic("english").wordlist)
ZH_WORDS: tuple[str, ...] = tuple(Mnemonic("chinese_simplified").wordlist)
EN_INDEX = {w: i for i, w in enumerate(EN_WORDS)}
ZH_INDEX = {w: i for i, w in enumerate(ZH_WORDS)}
# Ledger and steel backups keep four letters: BIP-39 words are unique in their first four.
_EN_PREFIX = {w[:4]: i for i, w in enumerate(EN_WORDS) if len(w) > 4}

# Very common English words that are also BIP-39 words. A random 12-word seed holds about 0.4 of
# them; a sentence written only with list words leans on them.
COMMON_EN = frozenset(
    """
    about again all also any because before can come day find first give good have hello
    help into just keep know like make more much need never next now okay one only other
    over please right same since soon sorry still sure thank that then there they thing this
    time today two very wait want way what when where will wish with wrong you year
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Function words that are never "repaired" into a nearby list word ("your" -> "you").
_NEVER_FUZZY = frozenset(
    """
    your with from this that they them then than were been have here there what when were
    will would could should about into some many much more most very just also only even
    over such each both same other again still yours ours mine hers his her him she the
    please thanks hello help wallet phrase seed words word backup recovery mnemonic private
    key keys lost stolen sent send need want know
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_TOKEN = re.compile(r"[A-Za-z]+|[\u4e00-\u9fff]")
# What may stand between two words of one phrase: separators and numbering, nothing else.
_GAP = re.compile(r"[\s\d.,;:、，。；：)(（）\-_/|·•*#'\"“”‘’\[\]{}<>~+=]{0,12}")
_CLASS_MAP = str.maketrans(
    {"，": ",", "、": ",", "；": ";", "：": ":", "。": ".", "（": "(", "）": ")"}
)
_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    zh: bool
    index: int  # BIP-39 index, -1 when the token is not a list word
    fuzzy: bool = False


def _gap_class(gap: str, zh: bool) -> str:
    stripped = _WS.sub("", gap)
    if not stripped:
        # Chinese written without separators is its own style: prose runs into a seed that way.
        return "~" if zh and not gap else " "
    return _DIGITS.sub("#", stripped.translate(_CLASS_MAP))


def checksum_ok(indices: list[int]) -> bool:
    """Whether BIP-39 word indices carry a valid checksum (same rule as Mnemonic.check)."""
    n = len(indices)
    if n not in LENGTHS:
        return False
    value = 0
    for index in indices:
        value = (value << 11) | index
    checksum_bits = n // 3
    entropy_bits = n * 11 - checksum_bits
    entropy = (value >> checksum_bits).to_bytes(entropy_bits // 8, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return (value & ((1 << checksum_bits) - 1)) == expected


def _is_word(pair: str) -> bool:
    # rjieba's dictionary (already loaded by help-center search) knows ~350k words; a pair of
    # characters drawn at random from the BIP-39 list is one of them about 2 % of the time.
    return bool(rjieba.has_word(pair))


def _zh_random(chars: list[str], *, strict: bool) -> bool:
    """Whether Chinese list characters look drawn at random rather than written.

    Written Chinese leans on the most frequent characters (的, 是, 我 …, low BIP-39 indices,
    which are ordered by frequency) and forms dictionary words with its neighbours; a seed's
    characters are uniform over the list. Measured on 5,000 random 12-character seeds: mean
    log-rank below 5.7 in under 0.1 %, three or more dictionary pairs in 0.14 %.
    """
    mean_log_rank = sum(math.log(ZH_INDEX[c] + 20) for c in chars) / len(chars)
    pairs = len(chars) - 1
    hits = sum(1 for i in range(pairs) if _is_word(chars[i] + chars[i + 1]))
    if strict:
        return mean_log_rank >= 5.7 and hits / pairs <= 0.25
    return mean_log_rank >= 5.5 and hits / pairs <= 0.35


def _en_random(words: list[str], n: int) -> bool:
    common = sum(1 for w in words if w in COMMON_EN)
    # COMMON_EN is 4 % of the list: a random 12-word seed holds five or more of them with
    # probability below 1e-4; a sentence written with list words holds far more.
    return common <= max(4, n // 3)


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
            tokens.append(_Token(match.start(), match.end(), True, ZH_INDEX.get(word, -1)))
        else:
            tokens.append(_Token(match.start(), match.end(), False, EN_INDEX.get(word.lower(), -1)))
    return tokens


def _repair(text: str, token: _Token) -> None:
    """Map a misspelt or four-letter English word onto its list word, in place."""
    word = text[token.start : token.end].lower()
    if len(word) < 4 or len(word) > 9 or word in _NEVER_FUZZY:
        return
    best = extractOne(word, EN_WORDS, scorer=Levenshtein.distance, score_cutoff=1)
    if best is not None:
        token.index, token.fuzzy = best[2], True


def _segments(text: str, tokens: list[_Token]) -> list[list[_Token]]:
    """Runs of list words split where the separator style changes."""
    segments: list[list[_Token]] = []
    run: list[_Token] = []
    classes: list[str] = []

    def flush() -> None:
        if len(run) >= 12:
            segments.extend(_split_by_class(run, classes))

    for token in tokens:
        if token.index < 0:
            flush()
            run, classes = [], []
            continue
        if run:
            prev = run[-1]
            gap = text[prev.end : token.start]
            if prev.zh != token.zh or (not token.zh and not gap) or not _GAP.fullmatch(gap):
                flush()
                run, classes = [], []
            else:
                classes.append(_gap_class(gap, token.zh))
        run.append(token)
    flush()
    return segments


def _split_by_class(run: list[_Token], classes: list[str]) -> list[list[_Token]]:
    """Maximal sub-runs joined by one separator style; a token where the style changes ends
    one sub-run and starts the next ("恢复短语是 抵 乡 …": 是 belongs to both)."""
    out: list[list[_Token]] = []
    current = [run[0]]
    style = classes[0] if classes else ""
    for token, cls in zip(run[1:], classes, strict=True):
        if cls != style:
            if len(current) >= 12:
                out.append(current)
            current = [current[-1]]
            style = cls
        current.append(token)
    if len(current) >= 12:
        out.append(current)
    return out


def _accept(
    text: str, window: list[_Token], *, context: bool, fills: bool, contiguous: bool
) -> bool:
    n = len(window)
    if sum(t.fuzzy for t in window) > (2 if context else 0):
        return False
    if window[0].zh:
        if not contiguous:
            return True
        if not context and not fills:
            return False
        return _zh_random([text[t.start] for t in window], strict=not context)
    words = [text[t.start : t.end].lower() for t in window]
    return _en_random(words, n)


PREFILTER = True  # False: tokenise every message (kefu/guard/tests/test_prefilter.py)


def _list_words(text: str) -> int:
    """How many tokens of ``text`` are list words, as ``_tokenise`` numbers them."""
    count = 0
    for word in _TOKEN.findall(text):
        if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
            count += word in ZH_INDEX
        else:
            count += word.lower() in EN_INDEX
    return count


def find_seed_phrases(text: str, ctx: Context) -> list[tuple[int, int]]:
    """Spans of the seed phrases in ``text``."""
    has_cue = SEED in ctx.kinds or KEY in ctx.kinds or SECRET_KEY in ctx.kinds
    # Without a cue no word is repaired, and a phrase needs 12 list words in a row: a message
    # with fewer list words in all has none (most messages; no tokens built for them).
    if PREFILTER and not has_cue and _list_words(text) < 12:
        return []
    tokens = _tokenise(text)
    if len(tokens) < 12:
        return []
    if has_cue:
        for token in tokens:
            if token.index < 0 and not token.zh:
                # Steel plates and Ledger cards keep four letters; they are unique in the list.
                word = text[token.start : token.end].lower()
                token.index = _EN_PREFIX.get(word, -1) if len(word) == 4 else -1
        for i, token in enumerate(tokens):
            if token.index < 0 and not token.zh and _next_to_list_word(tokens, i):
                _repair(text, token)
    spans: list[tuple[int, int]] = []
    for segment in _segments(text, tokens):
        context = has_cue and ctx.near(
            segment[0].start, segment[-1].end, _CONTEXT_KINDS, _CONTEXT_WINDOW
        )
        spans.extend(_scan_segment(text, segment, context=context))
    return spans


def _next_to_list_word(tokens: list[_Token], i: int) -> bool:
    return (i > 0 and tokens[i - 1].index >= 0) or (
        i + 1 < len(tokens) and tokens[i + 1].index >= 0
    )


def _scan_segment(text: str, segment: list[_Token], *, context: bool) -> list[tuple[int, int]]:
    size = len(segment)
    zh = segment[0].zh
    gaps_empty = [segment[i].start == segment[i - 1].end for i in range(1, size)]
    found: list[tuple[int, int]] = []  # token index ranges [i, j)
    for n in LENGTHS:
        if n > size:
            continue
        for i in _starts(segment, n, context=context, zh=zh, gaps_empty=gaps_empty):
            j = i + n
            if any(i < b and a < j for a, b in found):
                continue
            window = segment[i:j]
            if not checksum_ok([t.index for t in window]):
                continue
            contiguous = zh and any(gaps_empty[i : j - 1])
            if _accept(text, window, context=context, fills=(n == size), contiguous=contiguous):
                found.append((i, j))
    if not found and context and _typo_fallback(text, segment, gaps_empty):
        found.append((0, size))
    return [(segment[i].start, segment[j - 1].end) for i, j in sorted(found)]


def _starts(
    segment: list[_Token], n: int, *, context: bool, zh: bool, gaps_empty: list[bool]
) -> range | list[int]:
    extra = len(segment) - n
    if context:
        if zh and any(gaps_empty):
            # Written Chinese forms long runs: only windows at either end of the run.
            return sorted({0, extra})
        return range(extra + 1)
    if extra > 6:
        return []
    # A seed pasted into a sentence may pick up a few list words on either side ("check ...").
    return [i for i in range(extra + 1) if i <= 3 and extra - i <= 3]


def _typo_fallback(text: str, segment: list[_Token], gaps_empty: list[bool]) -> bool:
    """A 12+ word segment near a seed cue whose checksum fails: flag it when it looks random."""
    if segment[0].zh:
        # Contiguous Chinese is ordinary text far too often to flag without a checksum.
        return not any(gaps_empty)
    if sum(t.fuzzy for t in segment) > max(2, len(segment) // 6):
        return False
    words = [text[t.start : t.end].lower() for t in segment]
    return _en_random(words, min(len(segment), 24))
