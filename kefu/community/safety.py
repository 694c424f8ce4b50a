"""What a post or a display name may contain: pure checks, no database.

- Display names: a customer may not look like staff or like the exchange. Names are compared
  by their confusable skeleton (``kefu.trust.lookalike``), so "Supp0rt", "ｓｕｐｐｏｒｔ" and
  "Ѕupport" (Cyrillic S) are all "support".
- Links: every URL or bare domain in a post is checked against the official registry
  (``kefu.trust.check``): a look-alike of ours is refused, anything not ours is flagged.
- Secrets: the guard (``kefu.guard``) redacts secrets a poster pasted, and finds posts that ask
  readers for theirs (the classic "DM me your seed phrase, I'm support" scam).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kefu.guard.detect import scan
from kefu.guard.outbound import check_outbound
from kefu.trust import check as trust
from kefu.trust import lookalike as look
from kefu.trust import normalise as norm
from kefu.trust.normalise import InvalidValue

# Words a customer's display name may not contain (compared by skeleton, separators removed).
RESERVED_WORDS = (
    "support", "admin", "administrator", "moderator", "mod", "staff", "official", "helpdesk",
    "customerservice", "service", "team", "kefu", "客服", "官方", "管理员", "版主", "工作人员",
    "客户服务", "人工服务", "专员", "verified", "认证",
)  # fmt: skip
# "mod" and "team" are too short to look for inside other words; they must be whole names.
_WHOLE_ONLY = {"mod", "team", "kefu"}
NAME_MIN, NAME_MAX = 2, 40
# Letters (any script), combining marks, digits, spaces and this punctuation; no symbols, so a
# name cannot carry a tick or an emoji that imitates the staff badge ("✔ Verified", "Mike ✅").
_NAME_PUNCTUATION = frozenset("-_.'")

_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\"'`]+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    r"(?<![@\w.-])((?:[\w-]{1,63}\.)+[^\W\d_]{2,24})(?![\w-])(?:/[^\s<>()\[\]\"'`]*)?",
    re.UNICODE,
)
MAX_LINKS = 20
# File names look like domains ("photo.png"); these endings are not taken as top-level domains.
# (".zip" and ".mov" are real TLDs used in phishing, so they still count.)
_FILE_ENDINGS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "bmp",
        "svg",
        "pdf",
        "txt",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "csv",
        "json",
        "log",
        "html",
        "htm",
        "py",
        "js",
    ]
)


def name_key(name: str) -> str:
    """What a name looks like: its confusable skeleton without separators."""
    return look.compact(look.skeleton(name))


def _name_char(ch: str) -> bool:
    return ch == " " or ch in _NAME_PUNCTUATION or unicodedata.category(ch)[0] in "LMN"


@dataclass(frozen=True)
class NameProblem:
    code: str  # reserved | staff | exchange | mixed_script | length | characters
    resembles: str = ""


def display_name_problem(
    name: str, *, staff_names: list[str], registry: trust.Registry
) -> NameProblem | None:
    """Why a customer may not use ``name``, or None when they may."""
    if not NAME_MIN <= len(name) <= NAME_MAX:
        return NameProblem("length")
    if not all(_name_char(ch) for ch in name):
        return NameProblem("characters")
    scripts = look.scripts(name)
    if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"}:
        return NameProblem("mixed_script")
    key = name_key(name)
    for word in RESERVED_WORDS:
        reserved = name_key(word)
        if key == reserved or (word not in _WHOLE_ONLY and reserved in key):
            return NameProblem("reserved", word)
    for brand, entry in registry.brands.items():
        if brand in key or (len(key) >= 5 and look.distance(key, brand) <= 1):
            return NameProblem("exchange", entry.shown)
    for entry in registry.active(norm.STAFF, norm.TELEGRAM, norm.SOCIAL):
        if name_key(entry.value) == key or name_key(entry.shown) == key:
            return NameProblem("staff", entry.shown)
    for staff in staff_names:
        other = name_key(staff)
        if other and (other == key or (len(key) >= 5 and look.distance(key, other) <= 1)):
            return NameProblem("staff", staff)
    return None


@dataclass(frozen=True)
class LinkVerdict:
    value: str
    verdict: str  # trust.OFFICIAL / NOT_OFFICIAL / SUSPICIOUS
    resembles: str | None = None


def find_links(text: str) -> list[str]:
    """The URLs and bare domains in ``text`` (at most MAX_LINKS + 1, in order, deduplicated)."""
    found: dict[str, None] = {}
    for match in _URL.finditer(text):
        found.setdefault(match.group(0).rstrip(".,;:!?。，"), None)
        if len(found) > MAX_LINKS:
            return list(found)
    stripped = _URL.sub(" ", text)
    for match in _BARE_DOMAIN.finditer(stripped):
        host = match.group(1)
        _sub, label, suffix = look.split_domain(host.lower())
        if label and suffix and host.rsplit(".", 1)[-1].lower() not in _FILE_ENDINGS:
            found.setdefault(match.group(0).rstrip(".,;:!?。，"), None)
        if len(found) > MAX_LINKS:
            break
    return list(found)


def check_links(text: str, *, registry: trust.Registry) -> list[LinkVerdict]:
    verdicts = []
    for value in find_links(text):
        try:
            result = trust.check(value, registry=registry)
        except InvalidValue:
            verdicts.append(LinkVerdict(value, trust.NOT_OFFICIAL))
            continue
        verdicts.append(LinkVerdict(value, result.verdict, result.resembles))
    return verdicts


@dataclass(frozen=True)
class Screened:
    text: str  # with secrets redacted
    secret_kinds: tuple[str, ...]
    asks_for_secret: str | None  # the kind of secret the text asks readers for


def screen_text(text: str) -> Screened:
    result = scan(text)
    kinds = tuple(dict.fromkeys(f.kind for f in result.findings))
    asks = check_outbound(result.redacted)
    return Screened(result.redacted, kinds, asks.kind if asks else None)
