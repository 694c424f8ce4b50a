"""Why did a withdrawal fail, where is a deposit: the diagnosis service.

``diagnose`` is pure (no database, no network, the clock passed in): it matches the customer's
question to their fund records, then explains each matching record from its status and failure
reason, the on-chain status, the account's status and any open status-page incident, as a
``Diagnosis`` with customer-facing wording in every language of ``LANGUAGES`` and agent-facing
facts. ``diagnosis_for`` is the service the workspace and the assistant call: it gathers those
inputs through the audited lookups (kefu.exchange.services), the chain lookup (kefu.chain) and
the status page, then calls ``diagnose`` with the service levels of the diagnosis policy
(``selectors.diagnosis_policy_get``; ``service_levels.DEFAULT`` when ``diagnose`` is called
without them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu.chain import lookup as chain_lookup
from kefu.contacts.models import Contact
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.exchange import diagnosis_text as text
from kefu.exchange import selectors, services
from kefu.exchange.connector import (
    AccountNotFound,
    AccountProfile,
    AccountStatus,
    Direction,
    FailureReason,
    FundRecord,
    FundStatus,
)
from kefu.exchange.service_levels import DEFAULT as DEFAULT_LEVELS
from kefu.exchange.service_levels import ServiceLevels
from kefu.status.models import Incident, IncidentKind, IncidentState

logger = logging.getLogger(__name__)

# The languages the customer-facing wording is produced in (settings.LANGUAGES codes).
LANGUAGES = ("en", "zh-hans")

# The service levels quoted to customers (review hours, ...) are the diagnosis policy's:
# kefu.exchange.service_levels, edited by admins (DiagnosisPolicy).
# Without a time in the question, only records this recent are candidates.
DEFAULT_WINDOW = timedelta(days=30)
# With a time in the question: how far from it a record may be.
TIME_TOLERANCE = timedelta(hours=24)
MAX_CANDIDATES = 5

# Roughly how long one block takes, for "about N minutes" estimates.
BLOCK_SECONDS: dict[str, float] = {
    "BTC": 600,
    "ETH": 12,
    "ERC20": 12,
    "BEP20": 3,
    "BSC": 3,
    "TRC20": 3,
    "TRX": 3,
    "SOL": 0.4,
    "XRP": 4,
}
# Networks sharing the EVM address format: a deposit sent on the "wrong" one of these can
# usually be recovered (the same key controls the address on every one).
EVM_NETWORKS = frozenset({"ETH", "ERC20", "BEP20", "BSC", "ARBITRUM", "OPTIMISM", "POLYGON"})

_SETTLED = frozenset({FundStatus.CONFIRMED, FundStatus.CREDITED, FundStatus.CANCELLED})


class ChainStatusLike(Protocol):
    """What the diagnosis reads of ``kefu.chain.lookup.ChainStatus``."""

    @property
    def state(self) -> str: ...  # "not_found" | "pending" | "confirmed" | "failed"
    @property
    def confirmations(self) -> int: ...
    @property
    def block_number(self) -> int | None: ...
    @property
    def checked_at(self) -> datetime: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True, slots=True)
class IncidentInfo:
    """An open status-page incident, as far as a diagnosis needs it."""

    title_en: str
    title_zh: str
    affected: tuple[tuple[str, str], ...]  # (asset, network); either may be "" (= any)
    url_en: str
    url_zh: str

    def affects(self, asset: str, network: str) -> bool:
        for a_asset, a_network in self.affected:
            asset_ok = not a_asset or a_asset.upper() == asset.upper()
            network_ok = not a_network or a_network.upper() == network.upper()
            if asset_ok and network_ok and (a_asset or a_network):
                return True
        return False

    def title(self, language: str) -> str:
        return (self.title_zh or self.title_en) if language.startswith("zh") else self.title_en

    def url(self, language: str) -> str:
        return self.url_zh if language.startswith("zh") else self.url_en


@dataclass(frozen=True, slots=True)
class DiagnosisQuery:
    """What the customer told us; every part optional."""

    txid: str = ""
    asset: str = ""
    network: str = ""
    amount: Decimal | None = None
    at: datetime | None = None  # roughly when
    direction: Direction | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.txid or self.asset or self.network or self.amount is not None or self.at
        ) and (self.direction is None)


class Outcome(StrEnum):
    MATCHED = "matched"  # one record
    SEVERAL = "several"  # more than one candidate: ask the customer which
    NONE = "none"  # nothing matches: ask for txid, network, time, amount
    NO_ACCOUNT = "no_account"  # no exchange account for this customer


class Severity(StrEnum):
    OK = "ok"  # completed, nothing to do
    WAIT = "wait"  # in progress, it will resolve by itself
    ACTION = "action"  # the customer has to do something
    ALERT = "alert"  # an agent has to look (records and chain disagree, recovery...)


@dataclass(frozen=True, slots=True)
class Finding:
    """The explanation of one fund record."""

    record: FundRecord
    code: str  # e.g. "withdrawal.daily_limit"; a key of diagnosis_text
    severity: Severity
    texts: Mapping[str, text.CustomerText]  # language -> wording
    agent_facts: tuple[tuple[str, str], ...]  # (label, value), in the agent's language
    agent_alert: str = ""  # something an agent must act on
    chain: ChainStatusLike | None = None
    incident: IncidentInfo | None = None

    def text(self, language: str) -> text.CustomerText:
        return self.texts[_language(language)]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    outcome: Outcome
    query: DiagnosisQuery
    findings: tuple[Finding, ...]
    account: AccountProfile | None
    messages: Mapping[str, str]  # language -> the customer-facing explanation, ready to send
    agent_notes: tuple[str, ...] = field(default=())
    checked_at: datetime | None = None

    def customer_message(self, language: str) -> str:
        return self.messages[_language(language)]

    @property
    def alerts(self) -> list[str]:
        return [f.agent_alert for f in self.findings if f.agent_alert]


def _language(language: str) -> str:
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"


# --- matching ---------------------------------------------------------------------------------


def normalise_txid(txid: str) -> str:
    """Compare transaction ids without case, whitespace or an ``0x`` prefix."""
    value = (txid or "").strip().lower()
    return value[2:] if value.startswith("0x") else value


def match_records(
    records: Sequence[FundRecord], query: DiagnosisQuery, now: datetime
) -> list[FundRecord]:
    """The candidates for ``query``, newest first.

    A txid matches exactly (no fallback: a wrong txid must not explain another record). Else
    every given part must fit: asset and network (any case), direction, amount (within the
    record's fee either way, so "I sent 100" finds a 100 withdrawal and a 99.2 arrival) and
    time (within TIME_TOLERANCE). With nothing given, the unsettled records of the last
    DEFAULT_WINDOW are the candidates.
    """
    ordered = sorted(records, key=lambda r: r.created_at, reverse=True)
    if query.txid.strip():
        wanted = normalise_txid(query.txid)
        return [r for r in ordered if r.txid and normalise_txid(r.txid) == wanted]
    if query.is_empty:
        cutoff = now - DEFAULT_WINDOW
        return [r for r in ordered if r.status not in _SETTLED and r.created_at >= cutoff]
    found = []
    for r in ordered:
        if query.asset and r.asset.upper() != query.asset.strip().upper():
            continue
        if query.network and r.network.upper() != query.network.strip().upper():
            continue
        if query.direction is not None and r.direction != query.direction:
            continue
        if query.amount is not None and abs(r.amount - query.amount) > r.fee + Decimal("1e-8"):
            continue
        if query.at is not None and abs(r.created_at - query.at) > TIME_TOLERANCE:
            continue
        if query.at is None and r.created_at < now - DEFAULT_WINDOW:
            continue
        found.append(r)
    return found


# --- explaining one record --------------------------------------------------------------------


def format_amount(value: Decimal) -> str:
    """``100``, ``0.5005``: plain notation, no trailing zeros."""
    text_value = format(value, "f")
    if "." in text_value:
        text_value = text_value.rstrip("0").rstrip(".")
    return text_value or "0"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _remaining_minutes(record: FundRecord, confirmations: int) -> int:
    left = max(record.required_confirmations - confirmations, 0)
    seconds = BLOCK_SECONDS.get(record.network.upper(), 60) * left
    return max(1, round(seconds / 60))


def _hours_to_utc_midnight(now: datetime) -> int:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, round((midnight - now).total_seconds() / 3600))


_WITHDRAWAL_REASON_CODES = {
    FailureReason.INVALID_ADDRESS: ("withdrawal.invalid_address", Severity.ACTION),
    FailureReason.MISSING_MEMO: ("withdrawal.missing_memo", Severity.ACTION),
    FailureReason.INSUFFICIENT_BALANCE: ("withdrawal.insufficient_balance", Severity.ACTION),
    FailureReason.RISK_CONTROL_HOLD: ("withdrawal.risk_control_hold", Severity.WAIT),
    FailureReason.NETWORK_SUSPENDED: ("withdrawal.network_suspended", Severity.WAIT),
    FailureReason.NETWORK_CONGESTED: ("withdrawal.network_congested", Severity.WAIT),
    FailureReason.ADDRESS_NOT_WHITELISTED: ("withdrawal.address_not_whitelisted", Severity.ACTION),
    FailureReason.DAILY_LIMIT: ("withdrawal.daily_limit", Severity.ACTION),
}
_DEPOSIT_REASON_CODES = {
    FailureReason.DEPOSIT_MISSING_MEMO: ("deposit.missing_memo", Severity.ACTION),
    FailureReason.MISSING_MEMO: ("deposit.missing_memo", Severity.ACTION),
    FailureReason.RISK_CONTROL_HOLD: ("deposit.risk_control_hold", Severity.WAIT),
    FailureReason.NETWORK_SUSPENDED: ("deposit.network_suspended", Severity.WAIT),
    FailureReason.NETWORK_CONGESTED: ("deposit.network_congested", Severity.WAIT),
}
_BLOCKING_ACCOUNT = {
    AccountStatus.LOCKED: "withdrawal.account_locked",
    AccountStatus.FROZEN: "withdrawal.account_frozen",
    AccountStatus.DISABLED: "withdrawal.account_disabled",
}


def _review_overdue_hours(record: FundRecord, levels: ServiceLevels, now: datetime) -> int:
    """How many whole hours a record has waited for review, when that is longer than the
    review time customers are told (``levels.review_hours``); else 0."""
    waited = now - record.created_at
    if waited <= timedelta(hours=levels.review_hours):
        return 0
    return int(waited.total_seconds() // 3600)


def _classify(
    record: FundRecord,
    account: AccountProfile | None,
    chain: ChainStatusLike | None,
    *,
    levels: ServiceLevels = DEFAULT_LEVELS,
    now: datetime | None = None,
) -> tuple[str, Severity, str]:
    """(code, severity, agent alert) for one record."""
    status, reason = record.status, record.failure_reason
    chain_state = chain.state if chain is not None else ""
    if record.direction == Direction.WITHDRAWAL:
        in_flight = status in {FundStatus.PENDING_REVIEW, FundStatus.PROCESSING}
        if chain_state == "failed" and status in {FundStatus.BROADCAST, FundStatus.CONFIRMED}:
            return (
                "withdrawal.chain_problem",
                Severity.ALERT,
                _(
                    "The record says %(status)s but the chain reports the transaction failed: "
                    "check the hot wallet and do not let the customer resubmit."
                )
                % {"status": status.value},
            )
        if status == FundStatus.BROADCAST:
            if chain_state == "confirmed" and (
                chain is None or chain.confirmations >= record.required_confirmations
            ):
                return "withdrawal.arriving", Severity.WAIT, ""
            return "withdrawal.broadcast", Severity.WAIT, ""
        if status == FundStatus.CONFIRMED:
            alert = ""
            if chain_state == "not_found":
                alert = _("The record says confirmed but the chain does not know this txid.")
            return "withdrawal.confirmed", Severity.ALERT if alert else Severity.OK, alert
        if status == FundStatus.CANCELLED:
            return "withdrawal.cancelled", Severity.OK, ""
        if reason in _WITHDRAWAL_REASON_CODES and (in_flight or status == FundStatus.FAILED):
            code, severity = _WITHDRAWAL_REASON_CODES[reason]
            return code, severity, ""
        if account is not None and account.status in _BLOCKING_ACCOUNT:
            return _BLOCKING_ACCOUNT[account.status], Severity.ACTION, ""
        if status == FundStatus.PENDING_REVIEW:
            waited = _review_overdue_hours(record, levels, now) if now is not None else 0
            if waited:
                return (
                    "withdrawal.pending_review_overdue",
                    Severity.ALERT,
                    _(
                        "Pending review too long: waiting %(hours)s hours, longer than the "
                        "%(limit)s hours customers are told. Ask the review team to look at it."
                    )
                    % {"hours": waited, "limit": levels.review_hours},
                )
            return "withdrawal.pending_review", Severity.WAIT, ""
        if status == FundStatus.PROCESSING:
            return "withdrawal.processing", Severity.WAIT, ""
        return "withdrawal.failed", Severity.ACTION, ""
    # deposits
    if chain_state == "failed":
        alert = ""
        if status == FundStatus.CREDITED:
            alert = _("The deposit was credited but the chain reports the transaction failed.")
        return "deposit.chain_problem", Severity.ALERT if alert else Severity.ACTION, alert
    if reason == FailureReason.WRONG_NETWORK:
        if record.network.upper() in EVM_NETWORKS:
            return (
                "deposit.wrong_network_recoverable",
                Severity.ACTION,
                _(
                    "Wrong-network deposit on an EVM network: recoverable through a recovery "
                    "request."
                ),
            )
        return (
            "deposit.wrong_network_unrecoverable",
            Severity.ALERT,
            _("Wrong-network deposit on a non-EVM network: escalate to the wallet team."),
        )
    if status == FundStatus.CREDITED:
        return "deposit.credited", Severity.OK, ""
    if reason in _DEPOSIT_REASON_CODES:
        code, severity = _DEPOSIT_REASON_CODES[reason]
        return code, severity, ""
    if status == FundStatus.PENDING_CONFIRMATIONS:
        if chain_state == "confirmed" and (
            chain is not None and chain.confirmations >= record.required_confirmations
        ):
            return "deposit.crediting", Severity.WAIT, ""
        return "deposit.pending_confirmations", Severity.WAIT, ""
    if status == FundStatus.PENDING_REVIEW:
        return "deposit.pending_review", Severity.WAIT, ""
    if status == FundStatus.NOT_CREDITED:
        return (
            "deposit.not_credited",
            Severity.ALERT,
            _("Deposit not credited: pass it to the deposit team."),
        )
    return (
        "deposit.failed",
        Severity.ALERT,
        _("Deposit failed without a reason: pass it to the deposit team."),
    )


def _facts(
    record: FundRecord,
    chain: ChainStatusLike | None,
    incident: IncidentInfo | None,
    now: datetime,
    language: str,
    levels: ServiceLevels = DEFAULT_LEVELS,
) -> dict[str, object]:
    confirmations = max(record.confirmations, chain.confirmations if chain else 0)
    return {
        "direction": text.direction_label(record.direction),
        "status": text.status_label(record.status),
        "asset": record.asset,
        "network": record.network,
        "amount": format_amount(record.amount),
        "fee": format_amount(record.fee),
        "total": format_amount(record.amount + record.fee),
        "address": record.address,
        "memo": record.memo,
        "txid": record.txid or "—",
        "confirmations": confirmations,
        "required": record.required_confirmations,
        "remaining_minutes": _remaining_minutes(record, confirmations),
        "created": _when(record.created_at),
        "updated": _when(record.updated_at),
        "review_hours": levels.review_hours,
        "processing_minutes": levels.processing_minutes,
        "lock_hours": levels.whitelist_lock_hours,
        "recovery_days": levels.recovery_days,
        "reset_hours": _hours_to_utc_midnight(now),
        "incident_title": incident.title(language) if incident else "",
        "incident_url": incident.url(language) if incident else "",
    }


def _chain_fact(chain: ChainStatusLike | None, record: FundRecord) -> str:
    if not record.txid:
        return _("no txid yet")
    if chain is None:
        return _("not checked")
    parts = [chain.state]
    if chain.state in {"pending", "confirmed"}:
        parts.append(
            _("%(n)s of %(required)s confirmations")
            % {"n": chain.confirmations, "required": record.required_confirmations}
        )
    if chain.block_number is not None:
        parts.append(_("block %(number)s") % {"number": chain.block_number})
    parts.append(
        _("%(source)s at %(time)s") % {"source": chain.source, "time": _when(chain.checked_at)}
    )
    return ", ".join(str(p) for p in parts)


def _agent_facts(
    record: FundRecord, chain: ChainStatusLike | None, incident: IncidentInfo | None
) -> tuple[tuple[str, str], ...]:
    facts = [
        (_("Record"), f"{record.id} · {record.direction.value} · {record.status.value}"),
        (_("Reason code"), record.failure_reason.value if record.failure_reason else "—"),
        (_("Amount"), f"{format_amount(record.amount)} {record.asset} ({record.network})"),
        (_("Fee"), f"{format_amount(record.fee)} {record.asset}"),
        (_("Address"), record.address + (f" · memo {record.memo}" if record.memo else "")),
        (_("Txid"), record.txid or "—"),
        (
            _("Confirmations (record)"),
            f"{record.confirmations} / {record.required_confirmations}",
        ),
        (_("On chain"), _chain_fact(chain, record)),
        (pgettext("fund record", "Created"), _when(record.created_at)),
        (pgettext("fund record", "Updated"), _when(record.updated_at)),
    ]
    if incident is not None:
        facts.append((_("Open incident"), f"{incident.title_en} {incident.url_en}"))
    return tuple((str(k), str(v)) for k, v in facts)


def explain(
    record: FundRecord,
    *,
    account: AccountProfile | None,
    chain: ChainStatusLike | None,
    incidents: Sequence[IncidentInfo],
    now: datetime,
    levels: ServiceLevels = DEFAULT_LEVELS,
) -> Finding:
    """The finding for one record."""
    code, severity, alert = _classify(record, account, chain, levels=levels, now=now)
    incident = None
    if record.status not in _SETTLED or record.failure_reason in {
        FailureReason.NETWORK_SUSPENDED,
        FailureReason.NETWORK_CONGESTED,
    }:
        incident = next((i for i in incidents if i.affects(record.asset, record.network)), None)
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = text.customer_text(
                code, _facts(record, chain, incident, now, language, levels)
            )
    return Finding(
        record=record,
        code=code,
        severity=severity,
        texts=texts,
        agent_facts=_agent_facts(record, chain, incident),
        agent_alert=str(alert),
        chain=chain,
        incident=incident,
    )


# --- the whole diagnosis ----------------------------------------------------------------------


def _message(
    outcome: Outcome,
    findings: Sequence[Finding],
    account: AccountProfile | None,
    now: datetime,
    language: str,
    levels: ServiceLevels = DEFAULT_LEVELS,
) -> str:
    with translation.override(language):
        paragraphs: list[str] = []
        if outcome == Outcome.NO_ACCOUNT:
            return text.no_account()
        if outcome == Outcome.MATCHED:
            finding = findings[0]
            facts = _facts(finding.record, finding.chain, finding.incident, now, language, levels)
            paragraphs.append(text.intro(facts))
            paragraphs.extend(finding.texts[language].message(language))
            if finding.incident is not None:
                paragraphs.append(text.incident_line(facts))
        elif outcome == Outcome.SEVERAL:
            lines = [text.several_intro(len(findings))]
            for f in findings:
                facts = _facts(f.record, f.chain, f.incident, now, language, levels)
                lines.append("- " + text.several_line(facts))
            paragraphs.append("\n".join(lines))
            paragraphs.append(text.several_question())
        else:
            paragraphs.append(text.nothing_matches())
        account_code = findings[0].code if len(findings) == 1 else ""
        if (
            account is not None
            and account.status != AccountStatus.ACTIVE
            and account_code not in _BLOCKING_ACCOUNT.values()
        ):
            paragraphs.append(text.account_notice(account.status.value))
        return "\n\n".join(p for p in paragraphs if p)


def diagnose(
    *,
    records: Sequence[FundRecord],
    account: AccountProfile | None,
    chain: Mapping[str, ChainStatusLike | None],
    incidents: Sequence[IncidentInfo],
    query: DiagnosisQuery,
    now: datetime,
    levels: ServiceLevels = DEFAULT_LEVELS,
) -> Diagnosis:
    """Explain the customer's question from their records (pure).

    ``chain`` maps a record id to its on-chain status; a missing key or ``None`` means the
    chain was not checked (no node configured, or the lookup failed). ``levels`` are the
    service levels quoted to the customer and checked against (a withdrawal under review for
    longer than ``levels.review_hours`` is flagged to the agent).
    """
    notes: list[str] = []
    if account is None:
        return Diagnosis(
            outcome=Outcome.NO_ACCOUNT,
            query=query,
            findings=(),
            account=None,
            messages={
                lang: _message(Outcome.NO_ACCOUNT, (), None, now, lang) for lang in LANGUAGES
            },
            agent_notes=(_("No exchange account is linked to this customer."),),
            checked_at=now,
        )
    if account.status != AccountStatus.ACTIVE:
        notes.append(
            _("Account %(status)s since %(since)s: %(reason)s")
            % {
                "status": account.status.value,
                "since": _when(account.status_since) if account.status_since else "—",
                "reason": account.status_reason or "—",
            }
        )
    candidates = match_records(records, query, now)
    if not candidates:
        outcome = Outcome.NONE
        notes.append(
            _(
                "No record matches (%(count)s records looked at). Ask for the txid, network, "
                "time and amount."
            )
            % {"count": len(records)}
        )
    elif len(candidates) == 1:
        outcome = Outcome.MATCHED
    else:
        outcome = Outcome.SEVERAL
        if len(candidates) > MAX_CANDIDATES:
            notes.append(
                _("%(count)s records match; showing the newest %(shown)s.")
                % {"count": len(candidates), "shown": MAX_CANDIDATES}
            )
        candidates = candidates[:MAX_CANDIDATES]
    findings = tuple(
        explain(
            r, account=account, chain=chain.get(r.id), incidents=incidents, now=now, levels=levels
        )
        for r in candidates
    )
    return Diagnosis(
        outcome=outcome,
        query=query,
        findings=findings,
        account=account,
        messages={
            lang: _message(outcome, findings, account, now, lang, levels) for lang in LANGUAGES
        },
        agent_notes=tuple(notes),
        checked_at=now,
    )


# --- gathering the inputs (database and network) ----------------------------------------------


def open_incidents_for_diagnosis() -> list[IncidentInfo]:
    """The open public incidents and running maintenance that name an asset or network."""
    rows = (
        Incident.objects.filter(is_public=True, resolved_at__isnull=True)
        .filter(kind__in=[IncidentKind.INCIDENT, IncidentKind.MAINTENANCE])
        .exclude(
            state__in=[IncidentState.RESOLVED, IncidentState.COMPLETED, IncidentState.SCHEDULED]
        )
        .order_by("-created_at", "-id")
    )
    found = []
    for row in rows:
        affected = tuple(
            (str(e.get("asset", "") or ""), str(e.get("network", "") or ""))
            for e in (row.affected or [])
            if isinstance(e, dict)
        )
        if not affected:
            continue
        found.append(
            IncidentInfo(
                title_en=row.title_en,
                title_zh=row.title_zh,
                affected=affected,
                url_en=reverse("status:incident", args=["en", row.pk]),
                url_zh=reverse("status:incident", args=["zh-hans", row.pk]),
            )
        )
    return found


def _chain_statuses(records: Sequence[FundRecord]) -> dict[str, ChainStatusLike | None]:
    """On-chain status of each record with a txid; None when the lookup fails or no node is
    configured for the network (the diagnosis then says "not checked")."""
    statuses: dict[str, ChainStatusLike | None] = {}
    for record in records:
        if not record.txid:
            continue
        try:
            statuses[record.id] = chain_lookup.lookup(record.network, record.txid)
        except (chain_lookup.ChainError, ValueError) as error:
            # ValueError: a txid the node's format rejects (nothing was sent).
            logger.info("chain lookup failed for %s: %s", record.id, error)
            statuses[record.id] = None
    return statuses


def diagnosis_for(
    *, contact: Contact, actor: Actor, query: DiagnosisQuery, reason: str
) -> Diagnosis:
    """Diagnose ``contact``'s question: audited account and fund-record lookups (``reason``
    is recorded with them, e.g. "conversation KF-000123"), on-chain checks of the candidate
    records, open incidents. Raises ConnectorError when the exchange cannot answer."""
    now = clock.now()
    try:
        account = services.account_lookup(contact=contact, actor=actor, reason=reason)
    except AccountNotFound:
        account = None
    records: list[FundRecord] = []
    if account is not None:
        records = services.fund_records_lookup(
            contact=contact,
            actor=actor,
            reason=reason,
            txid=query.txid.strip() or None,
            limit=100,
        )
        if query.txid.strip() and not records:
            # The exchange may store the txid with or without 0x; look through the rest.
            records = services.fund_records_lookup(
                contact=contact, actor=actor, reason=reason, limit=100
            )
    candidates = match_records(records, query, now)[:MAX_CANDIDATES] if account else []
    return diagnose(
        records=records,
        account=account,
        chain=_chain_statuses(candidates),
        incidents=open_incidents_for_diagnosis(),
        query=query,
        now=now,
        levels=selectors.diagnosis_policy_get(),
    )
