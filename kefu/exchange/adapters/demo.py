"""The ``demo`` connector: the embedded default, reading and writing the demo tables
(``kefu.exchange.models``) that ``kefu demo`` seeds (``kefu.exchange.demo_data``).

Actions change the demo account's status and record a security event; each is idempotent per
case reference (a repeat returns the first result and changes nothing).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from kefu.core import clock
from kefu.exchange.adapters import EVENT_FOR_ACTION, action_outcome
from kefu.exchange.connector import (
    AccountNotFound,
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
from kefu.exchange.models import DemoAccount, DemoFundRecord, DemoSecurityEvent

MAX_LIMIT = 500


def profile_of(a: DemoAccount) -> AccountProfile:
    return AccountProfile(
        uid=a.uid,
        email=a.email,
        phone=a.phone,
        name=a.name,
        kyc_level=a.kyc_level,
        country=a.country,
        status=AccountStatus(a.status),
        status_reason=a.status_reason,
        status_since=a.status_since,
        created_at=a.created_at,
        two_factor_enabled=a.two_factor_enabled,
    )


def plain(value: Decimal) -> Decimal:
    """Drop the column's trailing zeros (``12.500000000000000000`` -> ``12.5``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def record_of(r: DemoFundRecord, uid: str) -> FundRecord:
    return FundRecord(
        id=r.ref,
        uid=uid,
        direction=Direction(r.direction),
        asset=r.asset,
        network=r.network,
        amount=plain(r.amount),
        fee=plain(r.fee),
        address=r.address,
        memo=r.memo,
        txid=r.txid,
        status=FundStatus(r.status),
        failure_reason=FailureReason(r.failure_reason) if r.failure_reason else None,
        confirmations=r.confirmations,
        required_confirmations=r.required_confirmations,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def event_of(e: DemoSecurityEvent, uid: str) -> SecurityEvent:
    return SecurityEvent(
        id=e.ref,
        uid=uid,
        kind=SecurityEventKind(e.kind),
        at=e.at,
        ip=e.ip,
        device=e.device,
        country=e.country,
        detail=e.detail,
    )


def _limit(limit: int) -> int:
    if limit < 1:
        raise ConnectorError("limit must be at least 1.", retryable=False)
    return min(limit, MAX_LIMIT)


class DemoConnector:
    name = "demo"

    def _account(self, uid: str) -> DemoAccount:
        account = DemoAccount.objects.filter(uid=uid).first()
        if account is None:
            raise AccountNotFound()
        return account

    def account(
        self, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountProfile:
        found = None
        if uid:
            found = DemoAccount.objects.filter(uid=uid).first()
        elif email:
            found = DemoAccount.objects.filter(email__iexact=email.strip()).first()
        elif phone:
            found = DemoAccount.objects.filter(phone=phone.strip()).first()
        if found is None:
            raise AccountNotFound()
        return profile_of(found)

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
        account = self._account(uid)
        rows = DemoFundRecord.objects.filter(account=account)
        if direction:
            rows = rows.filter(direction=direction)
        if asset:
            rows = rows.filter(asset__iexact=asset)
        if network:
            rows = rows.filter(network__iexact=network)
        if txid:
            rows = rows.filter(txid__iexact=txid.strip())
        if since:
            rows = rows.filter(created_at__gte=since)
        if until:
            rows = rows.filter(created_at__lt=until)
        return [record_of(r, uid) for r in rows.order_by("-created_at", "-id")[: _limit(limit)]]

    def security_events(
        self, *, uid: str, since: datetime | None = None, limit: int = 50
    ) -> list[SecurityEvent]:
        account = self._account(uid)
        rows = DemoSecurityEvent.objects.filter(account=account)
        if since:
            rows = rows.filter(at__gte=since)
        return [event_of(e, uid) for e in rows.order_by("-at", "-id")[: _limit(limit)]]

    def _act(self, action: CaseKind, authorisation: CaseAuthorisation) -> ActionResult:
        if authorisation.kind != action:
            raise ConnectorError(
                f"Case {authorisation.case_ref} authorises {authorisation.kind}, not {action}.",
                retryable=False,
            )
        with transaction.atomic():
            account = DemoAccount.objects.select_for_update().filter(uid=authorisation.uid).first()
            if account is None:
                raise AccountNotFound()
            earlier = DemoSecurityEvent.objects.filter(case_ref=authorisation.case_ref).first()
            if earlier is not None:  # the same case again: answer as the first time
                if earlier.kind != EVENT_FOR_ACTION[action] or earlier.account_id != account.pk:
                    raise ConnectorError(
                        f"Case {authorisation.case_ref} was already used for another action.",
                        retryable=False,
                    )
                return ActionResult(
                    uid=account.uid,
                    action=action,
                    status=AccountStatus(account.status),
                    exchange_ref=earlier.ref,
                )
            outcome = action_outcome(
                action=action,
                authorisation=authorisation,
                status=AccountStatus(account.status),
                status_reason=account.status_reason,
                two_factor_enabled=account.two_factor_enabled,
            )
            now = clock.now()
            if outcome.status != account.status:
                account.status_since = now
            account.status = outcome.status
            account.status_reason = outcome.status_reason
            account.two_factor_enabled = outcome.two_factor_enabled
            account.save(
                update_fields=["status", "status_reason", "status_since", "two_factor_enabled"]
            )
            event = DemoSecurityEvent.objects.create(
                ref=f"SE-{authorisation.case_ref}-{action}"[:40],
                account=account,
                kind=outcome.event,
                at=now,
                detail=outcome.detail,
                case_ref=authorisation.case_ref,
            )
        return ActionResult(
            uid=account.uid, action=action, status=outcome.status, exchange_ref=event.ref
        )

    def freeze_account(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.FREEZE, authorisation)

    def unlock_account(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.UNLOCK, authorisation)

    def reset_two_factor(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.RESET_2FA, authorisation)
