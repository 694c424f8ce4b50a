"""Values for the guard's tests, made deterministically."""

from __future__ import annotations

import random

from mnemonic import Mnemonic

from kefu.guard.detect import scan

EN = Mnemonic("english")
ZH = Mnemonic("chinese_simplified")


def seed(lang: str = "en", strength: int = 16, salt: int = 0) -> list[str]:
    rng = random.Random(f"{lang}-{strength}-{salt}")
    return (EN if lang == "en" else ZH).to_mnemonic(rng.randbytes(strength)).split()


def bad_checksum_words(salt: int = 0) -> list[str]:
    """Twelve list words whose BIP-39 checksum fails."""
    rng = random.Random(f"bad-{salt}")
    while True:
        words = [rng.choice(EN.wordlist) for _ in range(12)]
        if not EN.check(" ".join(words)):
            return words


def kinds(text: str) -> list[tuple[str, str]]:
    """(kind, value) of every finding in ``text``."""
    return [(f.kind, text[f.start : f.end]) for f in scan(text).findings]
