"""The ``memory`` connector: a fixed in-memory data set (thread-safe), behind the reference
server when it runs without a database (tests, ``python -m kefu.exchange.reference_server``)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from kefu.exchange.adapters import action_outcome
from kefu.exchange.connector import (
    AccountNotFound,
    AccountProfile,
    ActionResult,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    Direction,
    FundRecord,
    SecurityEvent,
)

MAX_LIMIT = 500


class MemoryConnector:
    name = "memory"

    def __init__(
        self,
        accounts: Iterable[AccountProfile],
        fund_records: Iterable[FundRecord] = (),
        security_events: Iterable[SecurityEvent] = (),
    ) -> None:
        self._lock = threading.Lock()
        self._accounts = {a.uid: a for a in accounts}
        self._records = list(fund_records)
        self._events = list(security_events)
        self._actions: dict[str, tuple[CaseKind, ActionResult]] = {}

    def _get(self, uid: str) -> AccountProfile:
        try:
            return self._accounts[uid]
        except KeyError:
            raise AccountNotFound() from None

    def account(
        self, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountProfile:
        with self._lock:
            if uid:
                return self._get(uid)
            for a in self._accounts.values():
                if (email and a.email.lower() == email.strip().lower()) or (
                    phone and not email and a.phone == phone.strip()
                ):
                    return a
        raise AccountNotFound()

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
        if limit < 1:
            raise ConnectorError("limit must be at least 1.", retryable=False)
        with self._lock:
            self._get(uid)
            rows = [
                r
                for r in self._records
                if r.uid == uid
                and (direction is None or r.direction == direction)
                and (not asset or r.asset.lower() == asset.lower())
                and (not network or r.network.lower() == network.lower())
                and (not txid or r.txid.lower() == txid.strip().lower())
                and (since is None or r.created_at >= since)
                and (until is None or r.created_at < until)
            ]
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return rows[: min(limit, MAX_LIMIT)]

    def security_events(
        self, *, uid: str, since: datetime | None = None, limit: int = 50
    ) -> list[SecurityEvent]:
        if limit < 1:
            raise ConnectorError("limit must be at least 1.", retryable=False)
        with self._lock:
            self._get(uid)
            rows = [e for e in self._events if e.uid == uid and (since is None or e.at >= since)]
        rows.sort(key=lambda e: (e.at, e.id), reverse=True)
        return rows[: min(limit, MAX_LIMIT)]

    def _act(self, action: CaseKind, authorisation: CaseAuthorisation) -> ActionResult:
        if authorisation.kind != action:
            raise ConnectorError(
                f"Case {authorisation.case_ref} authorises {authorisation.kind}, not {action}.",
                retryable=False,
            )
        with self._lock:
            account = self._get(authorisation.uid)
            earlier = self._actions.get(authorisation.case_ref)
            if earlier is not None:
                kind, result = earlier
                if kind != action or result.uid != account.uid:
                    raise ConnectorError(
                        f"Case {authorisation.case_ref} was already used for another action.",
                        retryable=False,
                    )
                return result
            outcome = action_outcome(
                action=action,
                authorisation=authorisation,
                status=account.status,
                status_reason=account.status_reason,
                two_factor_enabled=account.two_factor_enabled,
            )
            now = datetime.now(UTC)
            self._accounts[account.uid] = dataclasses.replace(
                account,
                status=outcome.status,
                status_reason=outcome.status_reason,
                status_since=now if outcome.status != account.status else account.status_since,
                two_factor_enabled=outcome.two_factor_enabled,
            )
            ref = f"SE-{authorisation.case_ref}-{action}"
            self._events.append(
                SecurityEvent(
                    id=ref,
                    uid=account.uid,
                    kind=outcome.event,
                    at=now,
                    ip="",
                    device="",
                    country="",
                    detail=outcome.detail,
                )
            )
            result = ActionResult(
                uid=account.uid, action=action, status=outcome.status, exchange_ref=ref
            )
            self._actions[authorisation.case_ref] = (action, result)
            return result

    def freeze_account(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.FREEZE, authorisation)

    def unlock_account(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.UNLOCK, authorisation)

    def reset_two_factor(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.RESET_2FA, authorisation)
