"""Which language a customer wrote in: ``"zh"``, ``"en"`` or ``"other"``.

Script counting, no model: customers of this desk write English, Chinese, or a mix of the two
("USDT TRC20 提现没到账"), and the answer only chooses the reply language.

- ``"zh"``: the message holds meaningful Chinese, i.e. at least two Han characters, or one Han
  character and no Latin word ("好"). Coin names, networks and ids in Latin letters inside a
  Chinese sentence do not change that: a mixed message is ``"zh"``.
- ``"other"``: letters of another script (Cyrillic, Arabic, Hangul, kana, Thai, ...) outnumber
  the Latin letters, and the Chinese rule above does not apply. Japanese (kana with kanji)
  counts as ``"other"`` when it has more kana than Han characters.
- ``"en"``: everything else, including Latin-script messages in other languages, and messages
  with no letters at all (empty, digits, emoji, punctuation): English is the desk's default.
"""

from __future__ import annotations

from typing import Final, Literal

Language = Literal["zh", "en", "other"]
LANGUAGES: Final[tuple[Language, ...]] = ("zh", "en", "other")


def _is_han(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= code <= 0x2FA1F  # extensions B-F and compatibility supplement
    )


def _is_kana(code: int) -> bool:
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D


def _is_latin(ch: str, code: int) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z") or (0xC0 <= code <= 0x24F and ch.isalpha())


def script_counts(text: str) -> tuple[int, int, int, int]:
    """(Han, kana, Latin, other-script) letter counts of ``text``."""
    han = kana = latin = other = 0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
                latin += 1
            continue
        if _is_han(code):
            han += 1
        elif _is_kana(code):
            kana += 1
        elif _is_latin(ch, code) or (0xFF21 <= code <= 0xFF5A and ch.isalpha()):  # or full-width
            latin += 1
        elif ch.isalpha():
            other += 1
    return han, kana, latin, other


def detect_language(text: str) -> Language:
    han, kana, latin, other = script_counts(text)
    if kana > han and kana + han >= 2:
        return "other"
    if han >= 2 or (han == 1 and latin == 0 and other == 0):
        return "zh"
    if other + kana > latin:
        return "other"
    return "en"
