"""The JSON wire format of the HTTP contract (docs/exchange-api.yaml) and its request signing.

Shared by the ``http`` adapter (which parses strictly: anything unexpected is a permanent
``ConnectorError``, never a crash) and the reference server (which writes it). Amounts travel as
decimal strings, times as ISO 8601 with an offset; unknown extra fields are ignored so an
exchange can add fields without breaking Kefu.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from kefu.exchange.connector import (
    AccountProfile,
    AccountStatus,
    ActionResult,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    Direction,
    FailureReason,
    FundRecord,
    FundStatus,
    SecurityEvent,
    SecurityEventKind,
)

KEY_ID_HEADER = "X-Kefu-Key-Id"
TIMESTAMP_HEADER = "X-Kefu-Timestamp"
SIGNATURE_HEADER = "X-Kefu-Signature"
SIGNATURE_WINDOW_SECONDS = 300


# --- signing --------------------------------------------------------------------------------


def string_to_sign(*, timestamp: str, method: str, target: str, body: bytes) -> bytes:
    """``timestamp\\nMETHOD\\npath?query\\nsha256hex(body)``; ``target`` is the request target
    exactly as sent (path, including any base path, and the encoded query string)."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{timestamp}\n{method.upper()}\n{target}\n{digest}".encode()


def sign(*, secret: str, timestamp: str, method: str, target: str, body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of the string to sign."""
    message = string_to_sign(timestamp=timestamp, method=method, target=target, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(
    *,
    secret: str,
    timestamp: str,
    method: str,
    target: str,
    body: bytes,
    signature: str,
    now: float,
) -> bool:
    """True if ``signature`` matches and ``timestamp`` is within the window of ``now``."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > SIGNATURE_WINDOW_SECONDS:
        return False
    expected = sign(secret=secret, timestamp=timestamp, method=method, target=target, body=body)
    return hmac.compare_digest(expected, signature.strip().lower())


# --- writing ---------------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def account_to_json(a: AccountProfile) -> dict[str, Any]:
    return {
        "uid": a.uid,
        "email": a.email,
        "phone": a.phone,
        "name": a.name,
        "kyc_level": a.kyc_level,
        "country": a.country,
        "status": str(a.status),
        "status_reason": a.status_reason,
        "status_since": _time(a.status_since),
        "created_at": _time(a.created_at),
        "two_factor_enabled": a.two_factor_enabled,
    }


def fund_record_to_json(r: FundRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "uid": r.uid,
        "direction": str(r.direction),
        "asset": r.asset,
        "network": r.network,
        "amount": format(r.amount, "f"),
        "fee": format(r.fee, "f"),
        "address": r.address,
        "memo": r.memo,
        "txid": r.txid,
        "status": str(r.status),
        "failure_reason": str(r.failure_reason) if r.failure_reason else None,
        "confirmations": r.confirmations,
        "required_confirmations": r.required_confirmations,
        "created_at": _time(r.created_at),
        "updated_at": _time(r.updated_at),
    }


def security_event_to_json(e: SecurityEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "uid": e.uid,
        "kind": str(e.kind),
        "at": _time(e.at),
        "ip": e.ip,
        "device": e.device,
        "country": e.country,
        "detail": e.detail,
    }


def authorisation_to_json(a: CaseAuthorisation) -> dict[str, Any]:
    return {
        "case_ref": a.case_ref,
        "kind": str(a.kind),
        "uid": a.uid,
        "prepared_by": a.prepared_by,
        "approved_by": a.approved_by,
        "approved_at": _time(a.approved_at),
    }


def action_result_to_json(r: ActionResult) -> dict[str, Any]:
    return {
        "uid": r.uid,
        "action": str(r.action),
        "status": str(r.status),
        "exchange_ref": r.exchange_ref,
    }


def error_json(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


# --- strict parsing --------------------------------------------------------------------------

E = TypeVar("E", bound=StrEnum)


class _Reader:
    """Typed field access on one JSON object; every mistake is a permanent ConnectorError."""

    def __init__(self, data: object, what: str) -> None:
        if not isinstance(data, Mapping):
            raise _bad(f"{what} is not an object")
        self.data = data
        self.what = what

    def _get(self, key: str) -> object:
        if key not in self.data:
            raise _bad(f"{self.what}.{key} is missing")
        return self.data[key]

    def text(self, key: str, *, max_length: int = 500) -> str:
        value = self._get(key)
        if not isinstance(value, str) or len(value) > max_length:
            raise _bad(f"{self.what}.{key} is not a string")
        return value

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(f"{self.what}.{key} is not a non-negative integer")
        return value

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise _bad(f"{self.what}.{key} is not a boolean")
        return value

    def decimal(self, key: str) -> Decimal:
        value = self._get(key)
        if not isinstance(value, str):  # never a JSON number: floats lose digits
            raise _bad(f"{self.what}.{key} is not a decimal string")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise _bad(f"{self.what}.{key} is not a decimal string") from None
        if not amount.is_finite() or amount < 0:
            raise _bad(f"{self.what}.{key} is not a non-negative decimal")
        return amount

    def time(self, key: str) -> datetime:
        value = self._get(key)
        if not isinstance(value, str):
            raise _bad(f"{self.what}.{key} is not a date-time")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _bad(f"{self.what}.{key} is not a date-time") from None
        if moment.tzinfo is None:
            raise _bad(f"{self.what}.{key} has no UTC offset")
        return moment

    def optional_time(self, key: str) -> datetime | None:
        return None if self.data.get(key) is None else self.time(key)

    def enum(self, key: str, enum: type[E]) -> E:
        value = self._get(key)
        if not isinstance(value, str):
            raise _bad(f"{self.what}.{key} is not a string")
        try:
            return enum(value)
        except ValueError:
            raise _bad(f"{self.what}.{key} has an unknown value") from None

    def optional_enum(self, key: str, enum: type[E]) -> E | None:
        return None if self.data.get(key) in (None, "") else self.enum(key, enum)


def _bad(detail: str) -> ConnectorError:
    return ConnectorError(f"The exchange sent an unexpected response: {detail}.", retryable=False)


def parse_account(data: object) -> AccountProfile:
    r = _Reader(data, "account")
    return AccountProfile(
        uid=r.text("uid", max_length=64),
        email=r.text("email"),
        phone=r.text("phone"),
        name=r.text("name"),
        kyc_level=r.integer("kyc_level"),
        country=r.text("country", max_length=2),
        status=r.enum("status", AccountStatus),
        status_reason=r.text("status_reason"),
        status_since=r.optional_time("status_since"),
        created_at=r.time("created_at"),
        two_factor_enabled=r.boolean("two_factor_enabled"),
    )


def parse_fund_record(data: object) -> FundRecord:
    r = _Reader(data, "fund_record")
    return FundRecord(
        id=r.text("id", max_length=64),
        uid=r.text("uid", max_length=64),
        direction=r.enum("direction", Direction),
        asset=r.text("asset", max_length=16),
        network=r.text("network", max_length=16),
        amount=r.decimal("amount"),
        fee=r.decimal("fee"),
        address=r.text("address", max_length=128),
        memo=r.text("memo", max_length=64),
        txid=r.text("txid", max_length=128),
        status=r.enum("status", FundStatus),
        failure_reason=r.optional_enum("failure_reason", FailureReason),
        confirmations=r.integer("confirmations"),
        required_confirmations=r.integer("required_confirmations"),
        created_at=r.time("created_at"),
        updated_at=r.time("updated_at"),
    )


def parse_security_event(data: object) -> SecurityEvent:
    r = _Reader(data, "security_event")
    return SecurityEvent(
        id=r.text("id", max_length=64),
        uid=r.text("uid", max_length=64),
        kind=r.enum("kind", SecurityEventKind),
        at=r.time("at"),
        ip=r.text("ip", max_length=45),
        device=r.text("device"),
        country=r.text("country", max_length=2),
        detail=r.text("detail"),
    )


def parse_authorisation(data: object) -> CaseAuthorisation:
    r = _Reader(data, "authorisation")
    return CaseAuthorisation(
        case_ref=r.text("case_ref", max_length=40),
        kind=r.enum("kind", CaseKind),
        uid=r.text("uid", max_length=64),
        prepared_by=r.text("prepared_by", max_length=120),
        approved_by=r.text("approved_by", max_length=120),
        approved_at=r.time("approved_at"),
    )


def parse_action_result(data: object) -> ActionResult:
    r = _Reader(data, "action_result")
    return ActionResult(
        uid=r.text("uid", max_length=64),
        action=r.enum("action", CaseKind),
        status=r.enum("status", AccountStatus),
        exchange_ref=r.text("exchange_ref", max_length=120),
    )


def parse_items(data: object, what: str) -> list[object]:
    r = _Reader(data, what)
    items = r._get("items")
    if not isinstance(items, list):
        raise _bad(f"{what}.items is not a list")
    return items
