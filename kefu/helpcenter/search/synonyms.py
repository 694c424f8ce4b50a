"""Bilingual equivalences of exchange vocabulary, applied to queries (never to the index).

Customers say "cash out" or "提币" where the article says "withdraw"; a Chinese speaker types
"2FA"; an English article should still be found (after the Chinese ones) for "提现". Each group
below lists interchangeable phrases in English and Chinese.

How a group is used:

- A group *matches* a query when all the terms of one of its phrases are among the query's terms
  (order ignored: "cash out" and "out ... cash" both match; stop words are not part of a
  phrase's terms).
- It then *adds* the group's one-term phrases the query does not already contain. Multi-term
  phrases only match, they are not added: adding "cash" and "out" as separate terms would match
  every article that says "find out". Chinese phrases are cut in precise mode (whole words), and
  the index holds whole words too, so ``谷歌验证器`` is one term.

The engine scores each group as one clause at a reduced weight (``SYNONYM_WEIGHT``), taking the
best of its terms per document, so a document that uses all the synonyms is not rewarded more
than one that uses one. Keep groups tight: a word that belongs to two meanings belongs in
neither.

Editing this table changes ranking only: nothing is re-indexed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from kefu.helpcenter.search.analysis import STOPWORDS, analyze

SYNONYM_WEIGHT = 0.5

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("withdraw", "withdrawal", "cash out", "payout", "提现", "提币", "提款", "出金"),
    ("deposit", "top up", "topup", "充值", "充币", "入金"),
    (
        "2fa", "two-factor", "two factor authentication", "authenticator",
        "google authenticator", "totp", "谷歌验证", "谷歌验证器", "身份验证器", "双重验证",
        "二次验证",
    ),
    (
        "kyc", "identity verification", "verify identity", "verify my identity", "实名认证",
        "身份认证", "实名",
    ),
    ("fee", "fees", "charge", "commission", "手续费", "费用", "费率"),
    ("memo", "tag", "destination tag", "备注", "标签"),
    ("locked", "lock", "frozen", "freeze", "suspended", "锁定", "冻结", "封禁"),
    ("password", "passcode", "密码"),
    (
        "not received", "not arrived", "not credited", "never arrived", "missing", "未到账",
        "没到账", "没收到", "未收到",
    ),
    ("rejected", "declined", "denied", "被拒", "拒绝", "驳回", "未通过"),
    ("hacked", "stolen", "compromised", "unauthorized", "被盗", "盗号", "被黑"),
    ("pending", "processing", "stuck", "delayed", "处理中", "审核中", "卡住", "延迟"),
    ("card", "credit card", "debit card", "visa", "mastercard", "银行卡", "信用卡", "借记卡"),
    ("lost", "lose", "丢失", "遗失", "丢了"),
    ("phone", "mobile", "smartphone", "手机"),
    ("reset", "recover", "重置", "找回"),
    ("login", "log in", "signin", "logon", "登录", "登陆"),  # "log in" matches on "log" alone
    ("account", "账户", "账号"),
    ("address", "地址"),
    ("network", "chain", "网络", "主网"),
    ("buy", "purchase", "购买", "买币"),
    ("usdt", "tether", "泰达币"),
    ("limit", "limits", "限额", "额度"),
    ("verification code", "otp", "验证码", "短信验证码"),
    ("cancel", "取消"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Group:
    matchers: tuple[frozenset[str], ...]  # the analysed terms of each phrase
    singles: frozenset[str]  # terms of the one-term phrases: what the group adds


@lru_cache(maxsize=1)
def _groups() -> tuple[_Group, ...]:
    """The table analysed once (lazily: analysis loads rjieba's dictionary)."""
    groups = []
    for phrases in SYNONYM_GROUPS:
        matchers = []
        singles: set[str] = set()
        for phrase in phrases:
            terms = frozenset(t for t in analyze(phrase, precise=True) if t not in STOPWORDS)
            if not terms:
                continue
            matchers.append(terms)
            if len(terms) == 1:
                singles |= terms
        groups.append(_Group(tuple(matchers), frozenset(singles)))
    return tuple(groups)


def expand(terms: Collection[str]) -> list[tuple[str, ...]]:
    """For each group a query's ``terms`` (index forms) match, the terms it adds, sorted.
    Groups that would add nothing new are left out."""
    present = set(terms)
    expansions = []
    for group in _groups():
        if any(matcher <= present for matcher in group.matchers):
            added = tuple(sorted(group.singles - present))
            if added:
                expansions.append(added)
    return expansions
