"""Help for agents: suggested replies and a summary of a long conversation.

``suggest_replies`` reads the latest customer message(s) of a conversation, classifies them
(``kefu.assistant.model.classify``) and ranks two kinds of drafts, in the customer's language:

- macros (``kefu.conversations.models.Macro``), by how much of the message's key words they
  cover (weighted so words every macro uses count little; the words of the macro's name count
  more) plus a bonus when the macro addresses the same intent as the message. Words are the
  help-center search's analysis (rjieba for Chinese, Snowball stems for English) folded through
  its bilingual synonym table, so "提现" in a message meets "withdrawal" in a macro;
- help-center articles found by ``kb_search`` in the conversation's language, turned into a short
  reply that cites the article's link, scored the same way on their title and summary.

``summarise`` is extractive and offline: the intent, the language, key facts found by regular
expressions (transaction ids, amounts with their asset, networks, references, masked emails),
the first customer message, the last reply by an agent or the assistant, the status and
assignee, and what the customer asked since the last reply. Internal notes are counted, never
quoted. Every quoted text passes through the secret guard's ``scan`` and has its findings
masked.

Both read only what the viewer may open (``conversation_get_for_agent``: ``NotFound``
otherwise), change nothing, and read no exchange data, so nothing is audited.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext, pgettext_lazy

from kefu.accounts.models import User
from kefu.assistant.intents import OTHER
from kefu.assistant.language import Language
from kefu.assistant.model import ModelMissing, Prediction, classify
from kefu.contacts.masking import mask_email
from kefu.conversations.macros import macro_render
from kefu.conversations.models import AuthorKind, Conversation, Macro, Message, MessageKind
from kefu.conversations.selectors import conversation_get_for_agent
from kefu.guard.detect import REDACTION, scan
from kefu.helpcenter.search.analysis import STOPWORDS, analyze
from kefu.helpcenter.search.synonyms import SYNONYM_GROUPS
from kefu.helpcenter.searching import SearchResult, kb_search

LONG_CONVERSATION: Final = 8  # public messages from which a summary is worth showing
MACRO: Final = "macro"
ARTICLE: Final = "article"

# Scoring: the share of the message's key words a suggestion covers, plus a bonus when it is
# about the same intent. A suggestion below MIN_SCORE is not shown.
COVERAGE_WEIGHT: Final = 0.7
INTENT_BONUS: Final = 0.3
NAME_BOOST: Final = 2.0
MIN_SCORE: Final = 0.15
MIN_INTENT_CONFIDENCE: Final = 0.5

LATEST_MESSAGES: Final = 3  # customer messages since the last reply that make the query
ARTICLE_CANDIDATES: Final = 5
PROBLEM_CHARS: Final = 300
REPLY_CHARS: Final = 300
QUESTION_CHARS: Final = 200
MAX_QUESTIONS: Final = 5
MAX_FACTS: Final = 12
PROBLEM_WEIGHT: Final = 2.0  # the first customer message says what the conversation is about
SCANNED_MESSAGES: Final = 200  # facts come from at most the last 200 public messages

_REPLIERS = (AuthorKind.AGENT, AuthorKind.ASSISTANT)
_PLACEHOLDER = re.compile(r"\{\{\s*\w+\s*\}\}")
_SPACE = re.compile(r"\s+")
_HAN_CHAR = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$")

INTENT_LABELS: Final = {
    "withdrawal_status": pgettext_lazy("agent assistant", "Withdrawal status"),
    "withdrawal_failed": pgettext_lazy("agent assistant", "Withdrawal failed"),
    "deposit_missing": pgettext_lazy("agent assistant", "Deposit not credited"),
    "deposit_howto": pgettext_lazy("agent assistant", "How to deposit"),
    "fees_limits": pgettext_lazy("agent assistant", "Fees and limits"),
    "trading": pgettext_lazy("agent assistant", "Trading"),
    "account_access": pgettext_lazy("agent assistant", "Account access"),
    "two_factor": pgettext_lazy("agent assistant", "Two-factor authentication"),
    "kyc": pgettext_lazy("agent assistant", "Identity verification (KYC)"),
    "security": pgettext_lazy("agent assistant", "Security"),
    "card": pgettext_lazy("agent assistant", "Card payments"),
    "refund_dispute": pgettext_lazy("agent assistant", "Refund or dispute"),
    "account_settings": pgettext_lazy("agent assistant", "Account settings"),
    "eligibility": pgettext_lazy("agent assistant", "Eligibility"),
    "human_agent": pgettext_lazy("agent assistant", "Asks for a person"),
    "official_check": pgettext_lazy("agent assistant", "Is this channel official?"),
    OTHER: pgettext_lazy("agent assistant", "Other"),
}

FACT_LABELS: Final = {
    "txid": pgettext_lazy("agent assistant", "Transaction ID"),
    "address": pgettext_lazy("agent assistant", "Wallet address"),
    "amount": pgettext_lazy("agent assistant", "Amount"),
    "network": pgettext_lazy("agent assistant", "Network"),
    "reference": pgettext_lazy("agent assistant", "Reference"),
    "email": pgettext_lazy("agent assistant", "Email"),
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str  # MACRO | ARTICLE
    title: str  # the macro's name or the article's title
    body: str  # the draft reply, in the customer's language, ready for the reply box
    source_id: int  # Macro.pk or Article.pk
    url: str  # the article's absolute link ("" for a macro)
    score: float  # 0..1, see the module docstring
    language: str  # "zh-hans" | "en": the language of ``body``


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str  # a key of FACT_LABELS
    value: str

    @property
    def label(self) -> str:
        return str(FACT_LABELS.get(self.kind, self.kind))


@dataclass(frozen=True, slots=True)
class Summary:
    long: bool  # enough public messages (LONG_CONVERSATION) for the summary to be worth showing
    message_count: int  # public messages
    note_count: int  # internal notes: counted, never quoted
    intent: str
    intent_confidence: float
    language: str  # "zh-hans" | "en"
    facts: tuple[Fact, ...]
    problem: str  # the first customer message, truncated
    last_reply: str  # the last public reply by an agent or the assistant, truncated
    last_reply_by: str  # AuthorKind value of that reply ("" when none)
    status: str
    status_label: str
    assignee: str  # display name ("" when unassigned)
    open_questions: tuple[str, ...]  # customer messages since the last reply, truncated
    masked_secrets: int  # secret-guard findings masked in the quoted texts

    @property
    def intent_label(self) -> str:
        return str(INTENT_LABELS.get(self.intent, self.intent))


# --- text helpers -------------------------------------------------------------------------------


def customer_language(conversation: Conversation) -> str:
    """The conversation's language as a help-center language code."""
    language = (conversation.language or conversation.contact.language or "en").lower()
    return "zh-hans" if language.startswith("zh") else "en"


def _predict(text: str) -> Prediction:
    """The classifier's verdict, or "other" when the model is missing (never breaks a page)."""
    try:
        return classify(text)
    except ModelMissing:
        return Prediction(OTHER, 0.0, "other")


# Equivalences that matter for choosing a reply, tried before the help-center's synonym table
# (so "recover" is not folded into "reset": a 2FA reset and a wrong-network recovery are
# different replies).
REPLY_SYNONYMS: Final[tuple[tuple[str, ...], ...]] = (
    ("recover", "recovery", "retrieve", "找回", "恢复", "追回"),
    (
        "wrong network", "wrong chain", "different network", "错链", "充错链", "选错链",
        "错网络", "充错网络", "选错网络", "错误网络", "选错了网络",
    ),
)  # fmt: skip


@lru_cache(maxsize=1)
def _synonym_table() -> tuple[dict[str, int], tuple[tuple[frozenset[str], int], ...]]:
    """The synonym groups (ours, then the help-center's) as term -> group (one-term phrases)
    and the multi-term phrases that also stand for their group."""
    singles: dict[str, int] = {}
    phrases: list[tuple[frozenset[str], int]] = []
    for index, group in enumerate(REPLY_SYNONYMS + SYNONYM_GROUPS):
        for phrase in group:
            terms = frozenset(t for t in analyze(phrase, precise=True) if t not in STOPWORDS)
            if len(terms) == 1:
                singles.setdefault(next(iter(terms)), index)
            elif terms:
                phrases.append((terms, index))
    return singles, tuple(phrases)


def concepts(text: str) -> frozenset[str]:
    """The key words of ``text``: analysed terms without stop words, numbers or single Chinese
    characters, each synonym folded into its group (``~<n>``)."""
    every = {t for t in analyze(_PLACEHOLDER.sub(" ", text)) if t not in STOPWORDS}
    terms = {t for t in every if not t.isdigit() and not _HAN_CHAR.match(t)}
    singles, phrases = _synonym_table()
    found = {f"~{singles[t]}" if t in singles else t for t in terms}
    found.update(f"~{group}" for matcher, group in phrases if matcher <= every)
    return frozenset(found)


def _clip(text: str, limit: int) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def _mask_emails(text: str) -> str:
    return _EMAIL.sub(lambda m: mask_email(m.group(0)), text)


def redact(text: str) -> tuple[str, int]:
    """``text`` with every secret-guard finding masked, and how many there were."""
    result = scan(text)
    return result.redacted, len(result.findings)


def safe_text(text: str) -> tuple[str, int]:
    """``text`` with every secret-guard finding masked and emails masked, and how many
    secrets were masked."""
    redacted, found = redact(text)
    return _mask_emails(redacted), found


# --- suggestions --------------------------------------------------------------------------------


def _public_messages(conversation: Conversation) -> list[Message]:
    return list(
        conversation.messages.filter(kind=MessageKind.REPLY).order_by("-created_at", "-id")[
            :SCANNED_MESSAGES
        ]
    )[::-1]


def _latest_customer_messages(messages: Sequence[Message]) -> list[Message]:
    """The customer's messages since the last reply by an agent or the assistant; when the
    last word was a reply, the customer's last message."""
    latest: list[Message] = []
    for message in reversed(messages):
        if message.author_kind in _REPLIERS:
            break
        if message.author_kind == AuthorKind.CUSTOMER:
            latest.append(message)
    if not latest:
        latest = [m for m in messages if m.author_kind == AuthorKind.CUSTOMER][-1:]
    return latest[:LATEST_MESSAGES][::-1]


def _weights(documents: Iterable[frozenset[str]]) -> tuple[dict[str, float], float]:
    """Inverse document frequency of each concept over the candidates, and the weight of a
    concept none of them has."""
    docs = list(documents)
    n = max(len(docs), 1)
    df: dict[str, int] = {}
    for doc in docs:
        for c in doc:
            df[c] = df.get(c, 0) + 1
    return {c: math.log(1 + n / k) for c, k in df.items()}, math.log(1 + n)


def _coverage(
    query: frozenset[str],
    doc: frozenset[str],
    *,
    boosted: frozenset[str] = frozenset(),
    weights: dict[str, float] | None = None,
    unseen: float = 1.0,
) -> float:
    """The weighted share of ``query`` found in ``doc`` (words in ``boosted`` count more)."""
    if not query:
        return 0.0
    weights = weights or {}
    total = sum(weights.get(c, unseen) for c in query)
    hit = sum(weights.get(c, unseen) * (NAME_BOOST if c in boosted else 1.0) for c in query & doc)
    return min(1.0, hit / total) if total else 0.0


@lru_cache(maxsize=2048)
def _text_intents(text: str) -> frozenset[str]:
    prediction = _predict(text)
    if prediction.intent == OTHER or prediction.confidence < MIN_INTENT_CONFIDENCE:
        return frozenset()
    return frozenset({prediction.intent})


def _macro_intents(macro: Macro) -> frozenset[str]:
    """What a macro is about, by the classifier on its name and each language's text."""
    plain_en = _PLACEHOLDER.sub(" ", macro.body_en)
    plain_zh = _PLACEHOLDER.sub(" ", macro.body_zh)
    return _text_intents(f"{macro.name}. {plain_en}") | _text_intents(f"{macro.name}。{plain_zh}")


def _score(coverage: float, same_intent: bool) -> float:
    return round(COVERAGE_WEIGHT * coverage + (INTENT_BONUS if same_intent else 0.0), 4)


def _macro_suggestions(
    *, conversation: Conversation, viewer: User, query: frozenset[str], intent: str
) -> list[Suggestion]:
    macros = list(Macro.objects.order_by("name"))
    if not macros:
        return []
    names = {m.pk: concepts(m.name) for m in macros}
    texts = {m.pk: names[m.pk] | concepts(f"{m.body_en}\n{m.body_zh}") for m in macros}
    weights, unseen = _weights(texts.values())
    language = customer_language(conversation)
    found = []
    for macro in macros:
        coverage = _coverage(
            query, texts[macro.pk], boosted=names[macro.pk], weights=weights, unseen=unseen
        )
        same_intent = bool(intent) and intent in _macro_intents(macro)
        score = _score(coverage, same_intent)
        if coverage <= 0 and not same_intent:
            continue
        if score < MIN_SCORE:
            continue
        found.append(
            Suggestion(
                kind=MACRO,
                title=macro.name,
                body=macro_render(macro=macro, conversation=conversation, agent=viewer),
                source_id=macro.pk,
                url="",
                score=score,
                language=language,
            )
        )
    return found


def absolute_url(path: str) -> str:
    """A site path as a link a customer can open from an email or a chat app."""
    return settings.KEFU_PUBLIC_URL.rstrip("/") + path


def article_draft(*, result: SearchResult, conversation: Conversation) -> str:
    """A short reply in the customer's language that points to a help-center article."""
    language = customer_language(conversation)
    name = conversation.contact.name.strip()
    with translation.override(language):
        greeting = (
            pgettext("reply draft", "Hello %(name)s,") % {"name": name}
            if name
            else pgettext("reply draft", "Hello,")
        )
        lines = [
            greeting,
            "",
            pgettext("reply draft", "This help-center article explains it step by step:"),
            f"{result.title}",
            absolute_url(result.url),
        ]
        if result.summary.strip():
            lines += ["", _clip(result.summary, 300)]
        lines += [
            "",
            pgettext(
                "reply draft",
                "If anything is still unclear, reply here and we will help you further.",
            ),
        ]
    return "\n".join(lines)


def _article_suggestions(
    *, conversation: Conversation, text: str, query: frozenset[str], intent: str
) -> list[Suggestion]:
    language = customer_language(conversation)
    results = [
        r
        for r in kb_search(text, language=language, limit=ARTICLE_CANDIDATES)
        if r.language == language
    ]
    found = []
    for result in results:
        about = f"{result.title}\n{result.summary}"
        coverage = _coverage(query, concepts(about) | concepts(result.title))
        same_intent = bool(intent) and intent in _text_intents(about)
        score = _score(coverage, same_intent)
        if score < MIN_SCORE:
            continue
        found.append(
            Suggestion(
                kind=ARTICLE,
                title=result.title,
                body=article_draft(result=result, conversation=conversation),
                source_id=result.article_id,
                url=absolute_url(result.url),
                score=score,
                language=language,
            )
        )
    return found


def _pick(candidates: list[Suggestion], limit: int) -> list[Suggestion]:
    """The best ``limit`` suggestions, keeping one of each kind when both kinds have one."""
    ranked = sorted(candidates, key=lambda s: (-s.score, s.kind != MACRO, s.title))
    chosen = ranked[:limit]
    if limit >= 2:
        for kind in (MACRO, ARTICLE):
            if not any(s.kind == kind for s in chosen):
                best = next((s for s in ranked if s.kind == kind), None)
                if best is not None:
                    chosen = [*chosen[: limit - 1], best]
    return sorted(chosen, key=lambda s: (-s.score, s.kind != MACRO, s.title))


def suggest_replies(
    *, conversation: Conversation, viewer: User, limit: int = 3
) -> list[Suggestion]:
    """Draft replies to the latest customer message(s), best first: macros and help-center
    articles in the customer's language. Raises NotFound when ``viewer`` may not open the
    conversation."""
    conversation = conversation_get_for_agent(user=viewer, pk=conversation.pk)
    limit = max(0, int(limit))
    if limit == 0:
        return []
    messages = _public_messages(conversation)
    latest = _latest_customer_messages(messages)
    if not latest:
        return []
    text = "\n".join(safe_text(m.body)[0] for m in latest)
    query = concepts(text)
    if len(query) < 2:  # "any news?": fall back on what the conversation is about
        first = next((m for m in messages if m.author_kind == AuthorKind.CUSTOMER), None)
        extra = f"{conversation.subject}\n{safe_text(first.body)[0] if first else ''}"
        text = f"{text}\n{extra}"
        query = concepts(text)
    prediction = _predict(text)
    intent = (
        prediction.intent
        if prediction.intent != OTHER and prediction.confidence >= MIN_INTENT_CONFIDENCE
        else ""
    )
    candidates = _macro_suggestions(
        conversation=conversation, viewer=viewer, query=query, intent=intent
    ) + _article_suggestions(conversation=conversation, text=text, query=query, intent=intent)
    return _pick(candidates, limit)


# --- facts --------------------------------------------------------------------------------------

ASSETS: Final = (
    "USDT", "USDC", "BTC", "ETH", "BNB", "TRX", "SOL", "XRP", "DOGE", "ADA", "MATIC", "POL",
    "LTC", "DAI", "TON", "ARB", "OP", "AVAX", "DOT", "SHIB", "BCH", "ETC", "XLM", "FDUSD",
)  # fmt: skip
# Written form (lower case, no spaces or dashes) -> how the summary names the network.
NETWORKS: Final = {
    "trc20": "TRC20", "erc20": "ERC20", "bep20": "BEP20", "bep2": "BEP2", "bsc": "BSC",
    "tron": "Tron", "波场": "Tron", "ethereum": "Ethereum", "以太坊": "Ethereum",
    "solana": "Solana", "polygon": "Polygon", "arbitrum": "Arbitrum", "optimism": "Optimism",
    "bitcoin": "Bitcoin", "lightning": "Lightning", "avalanche": "Avalanche", "spl": "SPL",
    "omni": "Omni", "base": "Base",
}  # fmt: skip

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_ASSET = "|".join(sorted(ASSETS, key=len, reverse=True))
_AMOUNT_AFTER = re.compile(rf"(?<![\w.])({_NUM})\s*(?:个|枚)?\s*({_ASSET})(?![A-Za-z])", re.I)
_AMOUNT_BEFORE = re.compile(rf"(?<![A-Za-z])({_ASSET})\s*[:：]?\s*({_NUM})(?![\w.])", re.I)
_TXID = re.compile(
    r"(?<![0-9A-Za-z])(?:0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64}|[1-9A-HJ-NP-Za-km-z]{80,90})"
    r"(?![0-9A-Za-z])"
)
_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z])(?:0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33}|bc1[0-9a-z]{25,59})"
    r"(?![0-9A-Za-z])"
)
_NETWORK = re.compile(
    r"(?<![A-Za-z0-9])(trc[-\s]?20|erc[-\s]?20|bep[-\s]?20|bep[-\s]?2|bsc|tron|ethereum|solana"
    r"|polygon|arbitrum|optimism|bitcoin|lightning|avalanche|spl|omni)(?![A-Za-z0-9])|(波场|以太坊)",
    re.I,
)
_REFERENCE = re.compile(
    r"\bKF-\d{6,}\b"
    r"|(?:order|ref(?:erence)?|ticket|case)\s*(?:no\.?|number|id)?\s*[:#：]?\s*"
    r"(?=[A-Za-z0-9-]*\d)([A-Za-z0-9][A-Za-z0-9-]{4,39})\b"
    r"|(?:订单号?|单号|工单号?|编号)\s*[:#：]?\s*([A-Za-z0-9][A-Za-z0-9-]{4,39})",
    re.I,
)


def _short_id(value: str) -> str:
    """Long ids shortened for reading (``0x5c50…2060``); the agent has the full one in the
    timeline."""
    return value if len(value) <= 20 else f"{value[:6]}…{value[-4:]}"


def _number(value: str) -> str:
    return value.replace(",", "")


def extract_facts(text: str) -> list[Fact]:
    """Transaction ids, wallet addresses, amounts with their asset, networks, references and
    (masked) emails in ``text``, in the order found, without repeats."""
    found: list[tuple[int, Fact]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, fact: Fact) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, fact))

    for m in _TXID.finditer(text):
        add(m.start(), m.end(), Fact("txid", _short_id(m.group(0))))
    for m in _ADDRESS.finditer(text):
        add(m.start(), m.end(), Fact("address", _short_id(m.group(0))))
    for m in _AMOUNT_AFTER.finditer(text):
        add(m.start(), m.end(), Fact("amount", f"{_number(m.group(1))} {m.group(2).upper()}"))
    for m in _AMOUNT_BEFORE.finditer(text):
        add(m.start(), m.end(), Fact("amount", f"{_number(m.group(2))} {m.group(1).upper()}"))
    for m in _NETWORK.finditer(text):
        key = re.sub(r"[-\s]", "", (m.group(1) or m.group(2)).lower())
        add(m.start(), m.end(), Fact("network", NETWORKS.get(key, key.upper())))
    for m in _REFERENCE.finditer(text):
        value = m.group(1) or m.group(2) or m.group(0)
        add(m.start(), m.end(), Fact("reference", value.upper()))
    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), Fact("email", mask_email(m.group(0))))
    seen: set[Fact] = set()
    facts = []
    for _start, fact in sorted(found, key=lambda item: item[0]):
        if fact not in seen:
            seen.add(fact)
            facts.append(fact)
    return facts


def _conversation_facts(conversation: Conversation) -> list[Fact]:
    """The structured fields the request form filled in."""
    facts = []
    if conversation.tx_id:
        facts.append(Fact("txid", _short_id(conversation.tx_id)))
    if conversation.network:
        key = re.sub(r"[-\s]", "", conversation.network.lower())
        facts.append(Fact("network", NETWORKS.get(key, conversation.network.upper())))
    return facts


# --- summary ------------------------------------------------------------------------------------


def _intent_of(problem: str, texts: Sequence[str]) -> Prediction:
    """The intent the customer's messages agree on most: confident predictions' confidence
    summed per intent, the problem statement (the first message) counting double."""
    totals: dict[str, float] = {}
    language_votes: dict[Language, int] = {}
    weighted = [(problem, PROBLEM_WEIGHT)] if problem else []
    weighted += [(text, 1.0) for text in texts]
    for text, weight in weighted:
        prediction = _predict(text)
        language_votes[prediction.language] = language_votes.get(prediction.language, 0) + 1
        if prediction.intent != OTHER and prediction.confidence >= MIN_INTENT_CONFIDENCE:
            totals[prediction.intent] = (
                totals.get(prediction.intent, 0.0) + prediction.confidence * weight
            )
    language: Language = (
        max(language_votes, key=lambda k: language_votes[k]) if language_votes else "other"
    )
    if not totals:
        return Prediction(OTHER, 0.0, language)
    intent = max(totals, key=lambda k: totals[k])
    share = totals[intent] / sum(w for _t, w in weighted)
    return Prediction(intent, round(share, 4), language)


def summarise(*, conversation: Conversation, viewer: User) -> Summary:
    """An extractive summary of the conversation for an agent. Raises NotFound when ``viewer``
    may not open it."""
    conversation = conversation_get_for_agent(user=viewer, pk=conversation.pk)
    messages = _public_messages(conversation)
    message_count = conversation.messages.filter(kind=MessageKind.REPLY).count()
    note_count = conversation.messages.filter(kind=MessageKind.NOTE).count()
    masked = 0
    cleaned: list[tuple[Message, str]] = []  # shown: secrets and emails masked
    facts: list[Fact] = _conversation_facts(conversation)
    for message in messages:
        text, found = redact(message.body)
        masked += found
        cleaned.append((message, _mask_emails(text)))
        facts.extend(f for f in extract_facts(text) if f not in facts)  # emails masked here
    facts = [f for f in facts if REDACTION not in f.value][:MAX_FACTS]
    first_customer = conversation.messages.filter(
        kind=MessageKind.REPLY, author_kind=AuthorKind.CUSTOMER
    ).first()
    problem = ""
    if first_customer is not None:
        text, found = safe_text(first_customer.body)
        if first_customer.pk not in {m.pk for m, _t in cleaned}:
            masked += found
        problem = _clip(text, PROBLEM_CHARS)
    customer_texts = [
        t for m, t in cleaned if m.author_kind == AuthorKind.CUSTOMER and m != first_customer
    ]
    prediction = _intent_of(problem or conversation.subject, customer_texts[-20:])
    detected = {"zh": "zh-hans", "en": "en"}.get(prediction.language)
    last_reply, last_reply_by = "", ""
    since: list[str] = []  # newest first
    for message, text in reversed(cleaned):
        if message.author_kind in _REPLIERS:
            last_reply, last_reply_by = _clip(text, REPLY_CHARS), message.author_kind
            break
        if message.author_kind == AuthorKind.CUSTOMER and message != first_customer:
            since.append(text)  # the first message is the problem statement, not a question
    questions = tuple(_clip(t, QUESTION_CHARS) for t in reversed(since[:MAX_QUESTIONS]))
    assignee = conversation.assignee
    return Summary(
        long=message_count >= LONG_CONVERSATION,
        message_count=message_count,
        note_count=note_count,
        intent=prediction.intent,
        intent_confidence=prediction.confidence,
        language=detected or customer_language(conversation),
        facts=tuple(facts),
        problem=problem,
        last_reply=last_reply,
        last_reply_by=str(last_reply_by),
        status=conversation.status,
        status_label=str(conversation.get_status_display()),
        assignee=str(assignee) if assignee is not None else "",
        open_questions=questions,
        masked_secrets=masked,
    )
