"""How alike two names look: confusable "skeletons", scripts, registrable domains, distances.

The skeleton maps every character to the ASCII letter or digit it can be mistaken for (Unicode's
confusables, from the ``confusable-homoglyphs`` data), drops accents, and folds the ASCII
look-alikes people fall for (``0``/``o``, ``1``/``l``/``i``, ``rn``/``m``, ``vv``/``w``). Two
names with the same skeleton look the same to a reader.

Registrable domains come from ``tldextract``'s bundled copy of the Public Suffix List: it is
never fetched from the network and nothing is cached on disk.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import tldextract
from confusable_homoglyphs import categories, confusables
from rapidfuzz.distance import OSA

_ASCII_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
_MULTI_FOLD = (("rn", "m"), ("vv", "w"))
_SEPARATORS = re.compile(r"[\s._\-]+")


@functools.cache
def _ascii_twin(char: str) -> str:
    """The ASCII letter or digit ``char`` can be mistaken for, else ``char`` itself."""
    if char.isascii():
        return char
    for glyph in confusables.confusables_data.get(char, ()):
        twin = str(glyph.get("c", ""))
        if len(twin) == 1 and twin.isascii() and twin.isalnum():
            return twin.lower()
    return char


def skeleton(text: str) -> str:
    """What ``text`` looks like, reduced to plain lower-case ASCII wherever it can be."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    chars = [
        _ascii_twin(ch)
        for ch in unicodedata.normalize("NFD", folded)
        if not unicodedata.combining(ch)
    ]
    result = "".join(chars).translate(_ASCII_FOLD)
    for pair, single in _MULTI_FOLD:
        result = result.replace(pair, single)
    return result


def compact(text: str) -> str:
    """``text`` without separators (spaces, dots, dashes, underscores), case-folded."""
    return _SEPARATORS.sub("", text.casefold())


def scripts(text: str) -> set[str]:
    """The writing systems used in ``text`` (digits and punctuation count as none)."""
    return {str(a) for a in categories.unique_aliases(text)} - {"COMMON", "INHERITED"}


def is_mixed_script(text: str) -> bool:
    return len(scripts(text)) > 1


def distance(a: str, b: str) -> int:
    """Edits between ``a`` and ``b`` (insert, delete, substitute, swap two neighbours)."""
    return int(OSA.distance(a, b))


def typo_allowance(length: int) -> int:
    """How many edits still count as a typo of a name this long (short names: none)."""
    if length >= 8:
        return 2
    if length >= 4:
        return 1
    return 0


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # No URLs: the bundled snapshot only. No cache directory: nothing is written to disk.
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def split_domain(ascii_host: str) -> tuple[str, str, str]:
    """(subdomain, registrable label, public suffix) of an ASCII host.

    ``login.exchange.co.uk`` -> (``login``, ``exchange``, ``co.uk``). A host under a suffix
    the list does not know is split at its last dot."""
    result = _extractor()(ascii_host)
    if result.suffix and result.domain:
        return result.subdomain, result.domain, result.suffix
    labels = ascii_host.split(".")
    if len(labels) == 1:
        return "", labels[0], ""
    return ".".join(labels[:-2]), labels[-2], labels[-1]
