"""The narrow interface to the exchange's back office, and what it returns.

Everything here is plain, frozen data: adapters (``kefu/exchange/adapters/``: ``demo``, ``http``)
turn their source into these types, and nothing outside an adapter knows where the data came
from. Amounts are ``Decimal`` (never float); times are aware UTC datetimes.

Reads never change anything. The three actions (freeze, unlock, reset 2FA) each take the
``CaseAuthorisation`` of the verified case that allows them; adapters pass its reference on to
the exchange so both sides can trace an action to the case and the two people who approved it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable


class AccountStatus(StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"  # too many failed logins or a security lock: the user cannot sign in
    FROZEN = "frozen"  # no withdrawals or trading (by the user's emergency freeze or by risk)
    DISABLED = "disabled"  # closed or banned


class Direction(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class FundStatus(StrEnum):
    # withdrawals
    PENDING_REVIEW = "pending_review"  # waiting for risk control or manual review
    PROCESSING = "processing"  # approved, being signed / queued for the network
    BROADCAST = "broadcast"  # sent to the network, waiting for confirmations
    CONFIRMED = "confirmed"  # final on chain (withdrawal complete)
    CANCELLED = "cancelled"  # cancelled by the user before processing
    # deposits
    PENDING_CONFIRMATIONS = "pending_confirmations"  # seen on chain, not enough confirmations
    CREDITED = "credited"  # added to the balance
    NOT_CREDITED = "not_credited"  # arrived but cannot be credited automatically (see reason)
    # both
    FAILED = "failed"  # see ``failure_reason``


class FailureReason(StrEnum):
    """Why a fund record failed, is held, or was not credited. Codes are an interface."""

    INVALID_ADDRESS = "invalid_address"
    MISSING_MEMO = "missing_memo"  # withdrawal to an exchange address without the memo/tag
    INSUFFICIENT_BALANCE = "insufficient_balance"  # amount plus fee above the available balance
    RISK_CONTROL_HOLD = "risk_control_hold"
    NETWORK_SUSPENDED = "network_suspended"
    NETWORK_CONGESTED = "network_congested"
    ADDRESS_NOT_WHITELISTED = "address_not_whitelisted"
    DAILY_LIMIT = "daily_limit"
    WRONG_NETWORK = "wrong_network"  # deposit sent on a network the exchange does not credit
    DEPOSIT_MISSING_MEMO = "deposit_missing_memo"  # deposit arrived without the required memo


@dataclass(frozen=True, slots=True)
class AccountProfile:
    uid: str
    email: str
    phone: str
    name: str  # the verified (KYC) name, or "" before verification
    kyc_level: int  # 0 = not verified
    country: str  # ISO 3166-1 alpha-2, "" if unknown
    status: AccountStatus
    status_reason: str  # a short code or sentence from the exchange, "" when active
    status_since: datetime | None
    created_at: datetime
    two_factor_enabled: bool


@dataclass(frozen=True, slots=True)
class FundRecord:
    id: str  # the exchange's record id
    uid: str
    direction: Direction
    asset: str  # "USDT"
    network: str  # "TRC20", "ERC20", "BEP20", "BTC", "ETH", "SOL", "XRP"
    amount: Decimal
    fee: Decimal
    address: str  # destination (withdrawal) or the user's deposit address
    memo: str  # memo / tag, "" if none
    txid: str  # "" before broadcast
    status: FundStatus
    failure_reason: FailureReason | None
    confirmations: int
    required_confirmations: int
    created_at: datetime
    updated_at: datetime


class SecurityEventKind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
    TWO_FACTOR_CHANGED = "two_factor_changed"
    EMAIL_CHANGED = "email_changed"
    PHONE_CHANGED = "phone_changed"
    API_KEY_CREATED = "api_key_created"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_UNLOCKED = "account_unlocked"


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    id: str
    uid: str
    kind: SecurityEventKind
    at: datetime
    ip: str
    device: str
    country: str
    detail: str


class CaseKind(StrEnum):
    UNLOCK = "unlock"
    RESET_2FA = "reset_2fa"
    FREEZE = "freeze"


@dataclass(frozen=True, slots=True)
class CaseAuthorisation:
    """The verified case that authorises an action, and who prepared and approved it (two
    different people, except for a customer's own emergency freeze)."""

    case_ref: str  # e.g. "VC-000042"
    kind: CaseKind
    uid: str
    prepared_by: str  # staff reference, or "customer" for a self-service freeze
    approved_by: str  # staff reference (a senior agent or supervisor)
    approved_at: datetime


@dataclass(frozen=True, slots=True)
class ActionResult:
    uid: str
    action: CaseKind
    status: AccountStatus  # the account's status after the action
    exchange_ref: str  # the exchange's own reference for the action


class ConnectorError(Exception):
    """The back office could not answer. ``retryable``: a timeout, a 5xx, a refused connection
    (try again later); otherwise permanent (bad request, refused action)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class AccountNotFound(ConnectorError):
    def __init__(self, message: str = "No such account at the exchange.") -> None:
        super().__init__(message, retryable=False)


@runtime_checkable
class ExchangeConnector(Protocol):
    """What Kefu needs from the exchange's back office. Implementations must be thread-safe."""

    name: str

    def account(
        self, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountProfile:
        """The account with this uid (or, failing that, email or phone); AccountNotFound."""
        ...

    def fund_records(
        self,
        *,
        uid: str,
        direction: Direction | None = None,
        asset: str | None = None,
        network: str | None = None,
        txid: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[FundRecord]:
        """The account's deposits and withdrawals matching every filter given, newest first."""
        ...

    def security_events(
        self, *, uid: str, since: datetime | None = None, limit: int = 50
    ) -> list[SecurityEvent]:
        """The account's recent security events, newest first."""
        ...

    def freeze_account(self, *, authorisation: CaseAuthorisation) -> ActionResult: ...

    def unlock_account(self, *, authorisation: CaseAuthorisation) -> ActionResult: ...

    def reset_two_factor(self, *, authorisation: CaseAuthorisation) -> ActionResult: ...
