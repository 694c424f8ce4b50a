"""What the trend worker counts: the keys of one new conversation, and their labels.

A conversation is counted under

- ``i:<intent>|l:<language>|c:<channel>``: the assistant's intent (the live-chat session's
  last intent when it has one, else the intent model run on the subject and first customer
  message), the conversation's language (``zh``/``en``/...) and its channel;
- ``t:<term>`` and ``t:<term>|i:<intent>|l:<language>`` for each salient term it mentions.

Terms come from a fixed vocabulary of assets and networks (the tickers the agent assistant
knows, plus their Chinese and English names), matched on letter/digit boundaries so they are
found inside Chinese text with no spaces ("USDT提现没到账", "trc-20"). A vocabulary, not free
words: free tokens (jieba words, English words) multiply the keys by thousands, most of them
noise that spikes by chance; the intent already says what the conversation is about, and the
terms say which asset or chain is involved — which is what an incident on the status page names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from django.utils.translation import pgettext

from kefu.assistant.intents import INTENTS, OTHER

MAX_TERMS: Final = 4  # per conversation: a message listing every coin counts once per coin
MIN_INTENT_CONFIDENCE: Final = 0.5

# Tickers from kefu.assistant.agent_assist.ASSETS, without those that are everyday English
# words or abbreviations ("OP", "DOT", "TON", "ARB", "POL", "ETC", "BASE").
ASSET_TERMS: Final = (
    "USDT", "USDC", "BTC", "ETH", "BNB", "TRX", "SOL", "XRP", "DOGE", "ADA", "MATIC", "LTC",
    "DAI", "AVAX", "SHIB", "BCH", "XLM", "FDUSD",
)  # fmt: skip
NETWORK_TERMS: Final = ("TRC20", "ERC20", "BEP20", "BEP2", "SPL", "TRON", "POLYGON", "ARBITRUM")
# Names people write instead of the ticker (lower case / Chinese) -> the term.
ALIASES: Final = {
    "tether": "USDT", "泰达币": "USDT", "bitcoin": "BTC", "比特币": "BTC", "ethereum": "ETH",
    "以太坊": "ETH", "以太币": "ETH", "solana": "SOL", "ripple": "XRP", "瑞波币": "XRP",
    "波场": "TRON", "dogecoin": "DOGE", "狗狗币": "DOGE", "莱特币": "LTC", "litecoin": "LTC",
}  # fmt: skip
TERMS: Final = frozenset(ASSET_TERMS) | frozenset(NETWORK_TERMS)

_LATIN = "|".join(
    sorted(
        [*(t for t in TERMS if not t[-1].isdigit()), *(a for a in ALIASES if a.isascii())],
        key=len,
        reverse=True,
    )
)
# Networks with a number may be written with a dash or space: "TRC-20", "erc 20".
_PATTERN = re.compile(
    rf"(?<![a-z0-9])(?:(trc|erc|bep)[-\s]?(20|2)|({_LATIN}))(?![a-z0-9])"
    rf"|({'|'.join(a for a in ALIASES if not a.isascii())})",
    re.IGNORECASE,
)


def extract_terms(*texts: str) -> list[str]:
    """The vocabulary terms ``texts`` mention, in order of first mention, at most MAX_TERMS."""
    found: list[str] = []
    for text in texts:
        folded = unicodedata.normalize("NFKC", text or "")[:2000].lower()
        for m in _PATTERN.finditer(folded):
            if m.group(1):
                term = f"{m.group(1)}{m.group(2)}".upper()
            else:
                word = m.group(3) or m.group(4)
                term = ALIASES.get(word, word.upper())
            if term in TERMS and term not in found:
                found.append(term)
            if len(found) >= MAX_TERMS:
                return found
    return found


def term_of(value: str) -> str | None:
    """A structured asset or network field (``"trc20"``, ``"USDT"``) as a term, else None."""
    terms = extract_terms(value)
    return terms[0] if terms else None


def language_code(language: str) -> str:
    """``zh-hans`` -> ``zh``; ``en-gb`` -> ``en``; empty -> ``en``."""
    code = (language or "en").lower()
    return "zh" if code.startswith("zh") else code.split("-")[0][:8] or "en"


def clean_intent(intent: str) -> str:
    return intent if intent in INTENTS else OTHER


def conversation_keys(*, intent: str, language: str, channel: str, terms: list[str]) -> list[str]:
    """Every key one conversation is counted under (see the module docstring)."""
    intent, lang = clean_intent(intent), language_code(language)
    keys = [f"i:{intent}|l:{lang}|c:{channel}"]
    for term in terms[:MAX_TERMS]:
        keys.append(f"t:{term}")
        keys.append(f"t:{term}|i:{intent}|l:{lang}")
    return keys


@dataclass(frozen=True, slots=True)
class KeyParts:
    term: str = ""
    intent: str = ""
    language: str = ""
    channel: str = ""


def parse_key(key: str) -> KeyParts:
    parts = dict(part.split(":", 1) for part in key.split("|") if ":" in part)
    return KeyParts(
        term=parts.get("t", ""),
        intent=parts.get("i", ""),
        language=parts.get("l", ""),
        channel=parts.get("c", ""),
    )


def describe_key(key: str) -> str:
    """A key in words for the alert pages: ``TRC20 · Withdrawal status · Chinese``."""
    from kefu.assistant.agent_assist import INTENT_LABELS
    from kefu.conversations.models import Channel

    parts = parse_key(key)
    words = []
    if parts.term:
        words.append(parts.term)
    if parts.intent:
        words.append(str(INTENT_LABELS.get(parts.intent, parts.intent)))
    if parts.language:
        languages = {
            "zh": pgettext("trend key language", "Chinese"),
            "en": pgettext("trend key language", "English"),
        }
        words.append(str(languages.get(parts.language, parts.language)))
    if parts.channel:
        channels = dict(Channel.choices)
        words.append(str(channels.get(parts.channel, parts.channel)))
    return " · ".join(words) or key
