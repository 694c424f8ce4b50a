"""Guided flows: what the assistant does for each intent, and the facts it reads in a message.

Each flow returns a ``Reply`` (plain data, in the active language: the caller wraps it in
``translation.override``); ``kefu.assistant.dialogue`` turns it into a ``Turn``, adds the
"did this answer your question?" buttons, the hand-off summary and the outbound guard.

Reads only: the diagnosis service (audited lookups, as the assistant), the help-center search,
the official-channel registry. Nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.urls import reverse

from kefu.assistant import llm
from kefu.assistant import replies_text as t
from kefu.assistant.answers import Passage, retrieve
from kefu.contacts.models import Contact
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.exchange import diagnosis as diag
from kefu.exchange import diagnosis_text
from kefu.exchange import selectors as exchange_selectors
from kefu.exchange.connector import ConnectorError, Direction
from kefu.helpcenter.languages import best_language
from kefu.helpcenter.searching import kb_search
from kefu.trust import reasons as trust_reasons
from kefu.trust import selectors as trust_selectors
from kefu.trust.check import OFFICIAL, check
from kefu.trust.normalise import InvalidValue

FUND_INTENTS = frozenset({"withdrawal_status", "withdrawal_failed", "deposit_missing"})
HANDOFF = "handoff"


@dataclass
class Reply:
    """What a flow wants to say and do; ``dialogue`` makes the ``Turn``."""

    text: str = ""
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, payload)
    citations: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    link: str = ""
    handoff: str = ""  # the hand-off reason; "" = no hand-off
    urgent: bool = False
    ask_resolved: bool = False  # add "did this answer your question?"
    pending: str = ""  # what the next customer message is expected to answer
    state: dict[str, Any] = field(default_factory=dict)  # extra state to keep
    facts: dict[str, str] = field(default_factory=dict)  # for the hand-off summary
    tried: list[str] = field(default_factory=list)  # for the hand-off summary


# --- facts in a message ---------------------------------------------------------------------

_NOT_WORD = r"(?<![A-Za-z0-9])"
_END = r"(?![A-Za-z0-9])"
_TXID = re.compile(
    _NOT_WORD + r"(0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64}|[1-9A-HJ-NP-Za-km-z]{80,90})" + _END
)
ASSETS = ("USDT", "USDC", "BTC", "ETH", "SOL", "XRP", "TRX", "BNB")
_ASSET_NAMES = {"泰达币": "USDT", "比特币": "BTC", "以太坊": "ETH", "瑞波币": "XRP"}
_ASSET = re.compile(_NOT_WORD + r"(" + "|".join(ASSETS) + r")" + _END, re.IGNORECASE)
_NETWORK = re.compile(
    _NOT_WORD + r"(TRC-?20|ERC-?20|BEP-?20|BSC|ARBITRUM|OPTIMISM|POLYGON)" + _END, re.IGNORECASE
)
_NUMBER = r"(\d{1,12}(?:[.,]\d{1,18})?)"
_AMOUNT_BEFORE = re.compile(
    _NOT_WORD + _NUMBER + r"\s*(?:个\s*)?(" + "|".join(ASSETS) + r")" + _END, re.IGNORECASE
)
_AMOUNT_AFTER = re.compile(
    _NOT_WORD + r"(" + "|".join(ASSETS) + r")\s*" + _NUMBER + r"(?![\d.])", re.IGNORECASE
)


def _amount(raw: str) -> str:
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return ""
    return diag.format_amount(value) if value > 0 else ""


def extract_facts(text: str) -> dict[str, str]:
    """txid, asset, network and amount found in a message (each only when present)."""
    facts: dict[str, str] = {}
    if match := _TXID.search(text):
        facts["txid"] = match.group(1)
    if match := _ASSET.search(text):
        facts["asset"] = match.group(1).upper()
    else:
        for name, asset in _ASSET_NAMES.items():
            if name in text:
                facts["asset"] = asset
                break
    if match := _NETWORK.search(text):
        facts["network"] = match.group(1).upper().replace("-", "")
    if match := _AMOUNT_BEFORE.search(text):
        amount, asset = match.group(1), match.group(2)
    elif match := _AMOUNT_AFTER.search(text):
        asset, amount = match.group(1), match.group(2)
    else:
        amount = asset = ""
    if amount and (value := _amount(amount)):
        facts["amount"] = value
        facts.setdefault("asset", asset.upper())
    return facts


_EMAIL = re.compile(r"[^\s@<>()\[\]\"'，。：:；;]+@[^\s@<>()\[\]\"'，。；;]+\.[^\W\d_]{2,}")
_URL = re.compile(r"(?:https?://)?(?:[\w-]+[.。])+[^\W\d_]{2,}(?:[/:?#][^\s，。<>\"']*)?")
_PHONE = re.compile(r"\+?\d[\d \-().]{6,}\d")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{3,32}")
_STAFF = re.compile(_NOT_WORD + r"[A-Za-z]{1,8}-\d{2,10}" + _END)


def extract_channel_values(text: str) -> list[str]:
    """Websites, email addresses, phone numbers, @accounts and staff ids in a message."""
    found: list[str] = []
    rest = text
    for pattern in (_EMAIL, _URL, _PHONE, _HANDLE, _STAFF):
        for match in pattern.finditer(rest):
            value = match.group().rstrip(".,;:!?)'\"")
            if value and value not in found:
                found.append(value)
        rest = pattern.sub(" ", rest)
    return found


# --- help-center answers --------------------------------------------------------------------


def _citations(passages: list[Passage]) -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for p in passages:
        seen.setdefault(p.url, (p.title, p.url))
    return list(seen.values())


def kb_reply(*, question: str, language: str) -> Reply:
    """Answer from the help center: grounded by the LLM when one is configured, else the best
    passage of the best article; a hand-off when nothing is found or the LLM refuses."""
    config = llm.configured()
    passages = retrieve(question, language=language, limit=3 if config else 1)
    if not passages:
        return Reply(text=t.no_answer(), handoff="no_answer", tried=["help-center search"])
    tried = [f"article {p.slug}" for p in passages]
    if config is not None:
        result = llm.grounded_answer(
            question=question, passages=passages, language=language, config=config
        )
        if result.kind == "answer":
            return Reply(
                text=result.text,
                citations=_citations(passages),
                ask_resolved=True,
                tried=[*tried, "LLM answer"],
            )
        if result.kind == "refused":
            return Reply(text=t.no_answer(), handoff="llm_refused", tried=[*tried, "LLM refused"])
        tried.append(f"LLM failed ({result.error})")
    best = passages[0]
    return Reply(
        text=f"{t.kb_intro(best.title)}\n\n{best.text}\n\n{t.kb_more()}",
        citations=[(best.title, best.url)],
        ask_resolved=True,
        tried=tried,
    )


def _related_citation(question: str, language: str) -> list[tuple[str, str]]:
    """The best article for the question, cited beside a flow's own answer (no passage)."""
    language = best_language(language)
    for result in kb_search(question, language=language, limit=3):
        if result.language == language:
            return [(result.title, reverse("helpcenter:article", args=[language, result.slug]))]
    return []


# --- deposits and withdrawals ---------------------------------------------------------------


def _direction(intent: str) -> Direction:
    return Direction.DEPOSIT if intent == "deposit_missing" else Direction.WITHDRAWAL


def _query(facts: dict[str, str], intent: str) -> diag.DiagnosisQuery:
    return diag.DiagnosisQuery(
        txid=facts.get("txid", ""),
        asset=facts.get("asset", ""),
        network=facts.get("network", ""),
        amount=Decimal(facts["amount"]) if facts.get("amount") else None,
        direction=None if facts.get("txid") else _direction(intent),
    )


def _record_query(record: Any) -> dict[str, str]:
    """JSON-safe query that finds exactly ``record`` again (kept in the dialogue state)."""
    return {
        "txid": record.txid,
        "asset": record.asset,
        "network": record.network,
        "amount": diag.format_amount(record.amount),
        "at": record.created_at.isoformat(),
        "direction": str(record.direction),
    }


def _lookup_reason(conversation_id: int | None) -> str:
    if conversation_id:
        return f"assistant: customer question in conversation {conversation_id}"
    return "assistant: customer question in chat"


def _explained(diagnosis: diag.Diagnosis, language: str, question: str) -> Reply:
    finding = diagnosis.findings[0]
    facts = {"diagnosis": finding.code, "record": finding.record.id}
    text = diagnosis.customer_message(language)
    citations = _related_citation(question, language)
    if finding.severity == diag.Severity.ALERT:
        return Reply(
            text=f"{text}\n\n{t.fund_needs_person()}",
            citations=citations,
            handoff="flow",
            facts=facts,
            tried=["diagnosis"],
        )
    return Reply(
        text=text, citations=citations, ask_resolved=True, facts=facts, tried=["diagnosis"]
    )


def fund_flow(
    *,
    intent: str,
    question: str,
    facts: dict[str, str],
    contact: Contact | None,
    conversation_id: int | None,
    actor: Actor,
    language: str,
    retry: bool,
) -> Reply:
    """Find the customer's deposit or withdrawal and explain it; ask which one when several
    match, ask for details when none does (once: then a person takes over)."""
    if contact is None:
        return Reply(
            text=t.fund_sign_in(),
            buttons=[(t.talk_to_person(), HANDOFF)],
            citations=_related_citation(question, language),
            link=reverse("portal:login"),
            tried=["asked the visitor to sign in"],
        )
    try:
        diagnosis = diag.diagnosis_for(
            contact=contact,
            actor=actor,
            query=_query(facts, intent),
            reason=_lookup_reason(conversation_id),
        )
    except ConnectorError:
        return Reply(text=t.lookup_failed(), handoff="lookup_failed", tried=["diagnosis"])
    text = diagnosis.customer_message(language)
    if diagnosis.outcome == diag.Outcome.MATCHED:
        return _explained(diagnosis, language, question)
    if diagnosis.outcome == diag.Outcome.SEVERAL:
        buttons = []
        offered: dict[str, dict[str, str]] = {}
        for finding in diagnosis.findings:
            record = finding.record
            offered[record.id] = _record_query(record)
            label = t.fund_pick_label(
                diagnosis_text.direction_label(record.direction),
                diag.format_amount(record.amount),
                record.asset,
                record.network,
                record.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
            buttons.append((label, f"tx:{record.id}"))
        buttons.append((t.talk_to_person(), HANDOFF))
        return Reply(
            text=text,
            buttons=buttons,
            pending="tx",
            state={"tx": offered},
            tried=["diagnosis (several records)"],
        )
    if diagnosis.outcome == diag.Outcome.NONE and not retry:
        return Reply(
            text=text,
            buttons=[(t.talk_to_person(), HANDOFF)],
            pending="fund_details",
            tried=["diagnosis (no match)"],
        )
    reason = "flow"
    tried = "diagnosis (no account)" if diagnosis.outcome == diag.Outcome.NO_ACCOUNT else ""
    return Reply(
        text=text,
        handoff=reason,
        facts={"diagnosis": str(diagnosis.outcome)},
        tried=[tried or "diagnosis (no match twice)"],
    )


def fund_pick(
    *,
    record_id: str,
    offered: dict[str, Any],
    question: str,
    contact: Contact | None,
    conversation_id: int | None,
    actor: Actor,
    language: str,
) -> Reply:
    """Explain the one record the customer picked among those offered."""
    wanted = offered.get(record_id)
    if contact is None or not isinstance(wanted, dict):
        return Reply(text=t.fund_record_gone(), handoff="flow", tried=["diagnosis"])
    try:
        query = diag.DiagnosisQuery(
            txid=str(wanted.get("txid") or ""),
            asset=str(wanted.get("asset") or ""),
            network=str(wanted.get("network") or ""),
            amount=Decimal(str(wanted["amount"])) if wanted.get("amount") else None,
            at=datetime.fromisoformat(str(wanted["at"])) if wanted.get("at") else None,
            direction=Direction(str(wanted["direction"])) if wanted.get("direction") else None,
        )
    except (ValueError, InvalidOperation, KeyError):
        return Reply(text=t.fund_record_gone(), handoff="flow", tried=["diagnosis"])
    try:
        diagnosis = diag.diagnosis_for(
            contact=contact, actor=actor, query=query, reason=_lookup_reason(conversation_id)
        )
    except ConnectorError:
        return Reply(text=t.lookup_failed(), handoff="lookup_failed", tried=["diagnosis"])
    finding = next((f for f in diagnosis.findings if f.record.id == record_id), None)
    if finding is None:
        return Reply(text=t.fund_record_gone(), handoff="flow", tried=["diagnosis"])
    if diagnosis.outcome != diag.Outcome.MATCHED:
        # Similar records matched too: explain the chosen one alone (pure, no new lookups).
        diagnosis = diag.diagnose(
            records=[finding.record],
            account=diagnosis.account,
            chain={record_id: finding.chain},
            incidents=[finding.incident] if finding.incident else [],
            query=query,
            now=clock.now(),
            levels=exchange_selectors.diagnosis_policy_get(),
        )
    return _explained(diagnosis, language, question)


# --- sign-in, 2FA, security -----------------------------------------------------------------


def verify_url(language: str) -> str:
    return f"{reverse('cases:submit')}?lang={language}"


def password_url() -> str:
    return f"{reverse('portal:account')}#password"


def freeze_url() -> str:
    return reverse("portal:account_emergency_freeze")


def account_access_flow(*, question: str, language: str) -> Reply:
    return Reply(
        text=t.account_access(),
        buttons=[
            (t.reset_password_label(), "reset_password"),
            (t.unlock_label(), "verify:unlock"),
            (t.talk_to_person(), HANDOFF),
        ],
        citations=_related_citation(question, language),
        tried=["offered password change and account unlock"],
    )


def two_factor_flow(*, question: str, language: str) -> Reply:
    return Reply(
        text=t.two_factor(),
        buttons=[(t.reset_2fa_label(), "verify:reset_2fa"), (t.talk_to_person(), HANDOFF)],
        citations=_related_citation(question, language),
        tried=["offered a 2FA reset by identity verification"],
    )


def security_flow() -> Reply:
    return Reply(
        text=t.security(),
        buttons=[(t.freeze_label(), "freeze")],
        link=freeze_url(),
        handoff="security",
        urgent=True,
        tried=["offered the emergency freeze"],
    )


# --- official channels ----------------------------------------------------------------------


def official_flow(*, text: str, language: str, asked_before: bool) -> Reply:
    """Check the first readable website / email / phone / account in ``text``; ask for one
    when there is none (once: then a person takes over)."""
    values = extract_channel_values(text)
    registry = trust_selectors.registry(language=language)
    for value in values:
        try:
            verdict = check(value, registry=registry)
        except InvalidValue:
            continue
        result = t.official_result(
            trust_reasons.kind_name(verdict.kind),
            value,
            trust_reasons.title(verdict),
            trust_reasons.explain(verdict),
        )
        if verdict.verdict != OFFICIAL:
            result = f"{result}\n\n{t.official_warning()}"
        return Reply(
            text=result,
            link=reverse("trust:check"),
            ask_resolved=True,
            facts={"checked": value, "verdict": verdict.verdict},
            tried=["official-channel check"],
        )
    if asked_before:
        return Reply(
            text=t.official_unreadable(),
            handoff="flow",
            tried=["asked for the value to check twice"],
        )
    return Reply(
        text=t.official_unreadable() if values else t.official_ask(),
        buttons=[(t.talk_to_person(), HANDOFF)],
        pending="official_value",
        tried=["asked for the value to check"],
    )
