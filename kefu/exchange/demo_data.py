"""The demo ledger: a realistic, deterministic back office for the demo customers.

``customer@kefu.demo`` (the main demo customer) gets one example of every case the connector
can describe: withdrawals pending review, processing, broadcast, confirmed and cancelled, one
failed withdrawal for every withdrawal failure reason (plus a held and a delayed one), deposits
credited, waiting for confirmations, sent on the wrong network and without the XRP destination
tag, and a full set of security events. Other demo customers get a few ordinary records, drawn
from a random generator seeded by their uid; one is locked and one is frozen (see
``LOCKED_POSITION``). Everything is relative to the moment of seeding.

``ledger_for`` builds plain connector dataclasses (used by tests and the reference server);
``seed_demo_ledger`` writes them to the demo tables, once per uid.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from kefu.core import clock
from kefu.exchange.connector import (
    AccountProfile,
    AccountStatus,
    Direction,
    FailureReason,
    FundRecord,
    FundStatus,
    SecurityEvent,
    SecurityEventKind,
)
from kefu.exchange.models import DemoAccount, DemoFundRecord, DemoSecurityEvent

MAIN_EMAIL = "customer@kefu.demo"
# Among the other demo customers sorted by uid: the first four are portal users (kept active so
# they can sign in), the next two are the locked and the frozen account.
LOCKED_POSITION = 3
FROZEN_POSITION = 4

REQUIRED_CONFIRMATIONS = {
    "BTC": 2, "ETH": 12, "ERC20": 12, "TRC20": 19, "BEP20": 15, "SOL": 1, "XRP": 1,
}  # fmt: skip
FEES = {
    ("BTC", "BTC"): Decimal("0.0002"),
    ("ETH", "ETH"): Decimal("0.0015"),
    ("USDT", "ERC20"): Decimal("4.5"),
    ("USDT", "TRC20"): Decimal("1"),
    ("USDT", "BEP20"): Decimal("0.29"),
    ("SOL", "SOL"): Decimal("0.008"),
    ("XRP", "XRP"): Decimal("0.2"),
}
# The exchange's shared XRP deposit address: deposits are told apart by destination tag.
EXCHANGE_XRP_ADDRESS = "rLHzPsX6oXkzU2qL12kHCH8G8cnZv1rBJh"

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_XRP58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    uid: str
    email: str
    phone: str
    name: str
    language: str = "en"


class _Gen:
    """Deterministic, format-valid addresses and transaction ids."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(hashlib.sha256(seed.encode()).digest())  # noqa: S311 - demo data

    def _pick(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def hex(self, n: int) -> str:
        return self._pick("0123456789abcdef", n)

    def address(self, network: str) -> str:
        if network == "BTC":
            return "bc1q" + self._pick(_BECH32, 38)
        if network in {"ETH", "ERC20", "BEP20"}:
            return "0x" + self.hex(40)
        if network == "TRC20":
            return "T" + self._pick(_BASE58, 33)
        if network == "SOL":
            return self._pick(_BASE58[1:], 1) + self._pick(_BASE58, 43)
        if network == "XRP":
            return "r" + self._pick(_XRP58[1:], 33)
        raise ValueError(network)

    def txid(self, network: str) -> str:
        if network in {"ETH", "ERC20", "BEP20"}:
            return "0x" + self.hex(64)
        if network == "SOL":
            return self._pick(_BASE58, 88)
        if network == "XRP":
            return self.hex(64).upper()
        return self.hex(64)  # BTC, TRC20

    def tag(self) -> str:
        return str(self.rng.randint(100_000, 999_999_999))


@dataclass(frozen=True, slots=True)
class _Spec:
    direction: Direction
    asset: str
    network: str
    amount: str
    status: FundStatus
    reason: FailureReason | None = None
    minutes_ago: int = 60
    confirmations: int | None = None  # None: the network's requirement when final, else 0
    to_exchange: bool = False  # a withdrawal to another exchange's shared (memo) address
    memo: bool | None = None  # None: a memo when the network needs one
    address_network: str | None = None  # the address format, if not the record's network
    has_txid: bool | None = None  # None: from the status


W, D = Direction.WITHDRAWAL, Direction.DEPOSIT
S, R = FundStatus, FailureReason
DAY = 24 * 60

# One example of every case, for customer@kefu.demo. Order is the record number.
MAIN_RECORDS: tuple[_Spec, ...] = (
    _Spec(W, "BTC", "BTC", "0.0215", S.CONFIRMED, minutes_ago=40 * DAY),
    _Spec(W, "XRP", "XRP", "850", S.CONFIRMED, minutes_ago=21 * DAY, to_exchange=True),
    _Spec(W, "USDT", "TRC20", "1500", S.BROADCAST, minutes_ago=9, confirmations=7),
    _Spec(W, "USDT", "ERC20", "2400", S.PROCESSING, minutes_ago=25),
    _Spec(W, "ETH", "ETH", "1.25", S.PROCESSING, R.NETWORK_CONGESTED, minutes_ago=95),
    _Spec(W, "USDT", "BEP20", "18000", S.PENDING_REVIEW, minutes_ago=50),
    _Spec(W, "SOL", "SOL", "140", S.PENDING_REVIEW, R.RISK_CONTROL_HOLD, minutes_ago=6 * 60),
    _Spec(W, "XRP", "XRP", "120", S.CANCELLED, minutes_ago=12 * DAY),
    _Spec(W, "USDT", "TRC20", "500", S.FAILED, R.INVALID_ADDRESS, minutes_ago=3 * DAY,
          address_network="ERC20"),
    _Spec(W, "XRP", "XRP", "2000", S.FAILED, R.MISSING_MEMO, minutes_ago=4 * DAY,
          to_exchange=True, memo=False),
    _Spec(W, "BTC", "BTC", "0.5", S.FAILED, R.INSUFFICIENT_BALANCE, minutes_ago=5 * DAY),
    _Spec(W, "USDT", "ERC20", "25000", S.FAILED, R.RISK_CONTROL_HOLD, minutes_ago=8 * DAY),
    _Spec(W, "SOL", "SOL", "60", S.FAILED, R.NETWORK_SUSPENDED, minutes_ago=10 * DAY),
    _Spec(W, "ETH", "ETH", "0.8", S.FAILED, R.NETWORK_CONGESTED, minutes_ago=15 * DAY),
    _Spec(W, "USDT", "TRC20", "3200", S.FAILED, R.ADDRESS_NOT_WHITELISTED, minutes_ago=2 * DAY),
    _Spec(W, "BTC", "BTC", "3.2", S.FAILED, R.DAILY_LIMIT, minutes_ago=26 * 60),
    _Spec(D, "USDT", "TRC20", "5000", S.CREDITED, minutes_ago=30 * DAY),
    _Spec(D, "ETH", "ETH", "2.5", S.CREDITED, minutes_ago=45 * DAY),
    _Spec(D, "USDT", "BEP20", "750", S.CREDITED, minutes_ago=18 * DAY),
    _Spec(D, "SOL", "SOL", "200", S.CREDITED, minutes_ago=20 * DAY),
    _Spec(D, "XRP", "XRP", "1000", S.CREDITED, minutes_ago=25 * DAY),
    _Spec(D, "BTC", "BTC", "0.12", S.PENDING_CONFIRMATIONS, minutes_ago=14, confirmations=1),
    _Spec(D, "USDT", "ERC20", "1200", S.PENDING_CONFIRMATIONS, minutes_ago=3, confirmations=5),
    _Spec(D, "ETH", "BEP20", "0.6", S.NOT_CREDITED, R.WRONG_NETWORK, minutes_ago=6 * DAY,
          confirmations=15),
    _Spec(D, "XRP", "XRP", "300", S.NOT_CREDITED, R.DEPOSIT_MISSING_MEMO, minutes_ago=7 * DAY,
          memo=False),
)  # fmt: skip

_ORDINARY: tuple[tuple[Direction, str, str, tuple[str, str]], ...] = (
    (D, "USDT", "TRC20", ("100", "20000")),
    (D, "USDT", "ERC20", ("200", "15000")),
    (D, "BTC", "BTC", ("0.005", "0.8")),
    (D, "ETH", "ETH", ("0.05", "6")),
    (W, "USDT", "TRC20", ("50", "8000")),
    (W, "USDT", "BEP20", ("20", "3000")),
    (W, "BTC", "BTC", ("0.002", "0.4")),
    (W, "SOL", "SOL", ("2", "300")),
    (W, "XRP", "XRP", ("25", "5000")),
)
_DEVICES = (
    "Chrome 131 on macOS", "Safari on iPhone 15", "Kefu Exchange app 4.12 (Android 14)",
    "Firefox 133 on Windows 11", "Kefu Exchange app 4.12 (iOS 18)", "Edge 131 on Windows 10",
)  # fmt: skip
_COUNTRIES = {"en": ("GB", "US", "DE", "AU", "CA"), "zh-hans": ("SG", "HK", "TW", "MY")}


def deposit_tag(uid: str) -> str:
    """The customer's own XRP destination tag on the exchange's shared deposit address."""
    return str(100_000 + int(hashlib.sha256(uid.encode()).hexdigest(), 16) % 899_900_000)


def _record(customer: DemoCustomer, gen: _Gen, n: int, spec: _Spec, now: datetime) -> FundRecord:
    created = now - timedelta(minutes=spec.minutes_ago)
    required = REQUIRED_CONFIRMATIONS[spec.network]
    final = spec.status in {S.CONFIRMED, S.CREDITED}
    on_chain = spec.status in {S.BROADCAST, S.CONFIRMED, S.CREDITED, S.PENDING_CONFIRMATIONS}
    if spec.direction == D:
        on_chain = on_chain or spec.status == S.NOT_CREDITED
    confirmations = spec.confirmations
    if confirmations is None:
        confirmations = required if final else 0
    needs_memo = spec.network == "XRP"
    if spec.direction == D and needs_memo:
        address = EXCHANGE_XRP_ADDRESS  # shared; the user's tag tells deposits apart
    elif spec.to_exchange or (spec.direction == W and needs_memo):
        address = gen.address("XRP")
    else:
        address = gen.address(spec.address_network or spec.network)
    memo = ""
    if needs_memo and spec.memo is not False:
        memo = deposit_tag(customer.uid) if spec.direction == D else gen.tag()
    fee = FEES.get((spec.asset, spec.network), Decimal(0)) if spec.direction == W else Decimal(0)
    duration = {S.CONFIRMED: 35, S.CREDITED: 20, S.FAILED: 2, S.CANCELLED: 4}.get(spec.status, 0)
    prefix = "WD" if spec.direction == W else "DP"
    return FundRecord(
        id=f"{prefix}{customer.uid}{n:03d}",
        uid=customer.uid,
        direction=spec.direction,
        asset=spec.asset,
        network=spec.network,
        amount=Decimal(spec.amount),
        fee=fee,
        address=address,
        memo=memo,
        txid=gen.txid(spec.network) if (spec.has_txid or on_chain) else "",
        status=spec.status,
        failure_reason=spec.reason,
        confirmations=confirmations,
        required_confirmations=required,
        created_at=created,
        updated_at=min(now, created + timedelta(minutes=duration)),
    )


def _ordinary_specs(rng: random.Random) -> list[_Spec]:
    specs = []
    for _ in range(rng.randint(3, 7)):
        direction, asset, network, (low, high) = rng.choice(_ORDINARY)
        places = 4 if asset in {"BTC", "ETH"} else 0
        amount = round(rng.uniform(float(low), float(high)), places)
        status = S.CREDITED if direction == D else S.CONFIRMED
        reason = None
        if direction == W and rng.random() < 0.2:
            status, reason = S.FAILED, rng.choice([R.ADDRESS_NOT_WHITELISTED, R.DAILY_LIMIT])
        specs.append(
            _Spec(direction, asset, network, f"{amount:.{places}f}", status, reason,
                  minutes_ago=rng.randint(2 * DAY, 120 * DAY))
        )  # fmt: skip
    return specs


def _event(
    customer: DemoCustomer,
    n: int,
    kind: SecurityEventKind,
    at: datetime,
    *,
    ip: str = "",
    device: str = "",
    country: str = "",
    detail: str = "",
) -> SecurityEvent:
    return SecurityEvent(
        id=f"SE{customer.uid}{n:03d}", uid=customer.uid, kind=kind, at=at, ip=ip,
        device=device, country=country, detail=detail,
    )  # fmt: skip


def _main_events(c: DemoCustomer, now: datetime) -> list[SecurityEvent]:
    k = SecurityEventKind

    def ago(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes)

    home = {"ip": "81.2.69.160", "country": "GB"}
    return [
        _event(c, 1, k.LOGIN, ago(90 * DAY), device=_DEVICES[0], **home),
        _event(c, 2, k.API_KEY_CREATED, ago(60 * DAY), device=_DEVICES[0], **home,
               detail="API key 'tax-report' (read only)"),
        _event(c, 3, k.PHONE_CHANGED, ago(33 * DAY), device=_DEVICES[1], **home,
               detail="+44 7700 900 *** -> +44 7700 900 ***"),
        _event(c, 4, k.EMAIL_CHANGED, ago(32 * DAY), device=_DEVICES[1], **home,
               detail="al***@example.com -> cu***@kefu.demo"),
        _event(c, 5, k.LOGIN_FAILED, ago(9 * DAY), ip="185.220.101.34", country="NL",
               device="Chrome 124 on Linux", detail="wrong password"),
        _event(c, 6, k.LOGIN_FAILED, ago(9 * DAY - 3), ip="185.220.101.34", country="NL",
               device="Chrome 124 on Linux", detail="wrong password"),
        _event(c, 7, k.PASSWORD_CHANGED, ago(9 * DAY - 40), device=_DEVICES[0], **home),
        _event(c, 8, k.TWO_FACTOR_CHANGED, ago(9 * DAY - 45), device=_DEVICES[0], **home,
               detail="authenticator app replaced"),
        _event(c, 9, k.LOGIN, ago(2 * DAY), ip="86.24.119.7", country="GB", device=_DEVICES[4]),
        _event(c, 10, k.LOGIN, ago(35), device=_DEVICES[0], **home),
    ]  # fmt: skip


def _ip(rng: random.Random) -> str:
    return f"{rng.choice([31, 46, 81, 92, 103, 178, 203])}.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"  # noqa: E501


def ledger_for(
    customer: DemoCustomer,
    *,
    now: datetime,
    main: bool = False,
    status: AccountStatus | None = None,
) -> tuple[AccountProfile, list[FundRecord], list[SecurityEvent]]:
    """The account, fund records and security events of one demo customer."""
    gen = _Gen(customer.uid)
    rng = gen.rng
    countries = _COUNTRIES.get(customer.language, _COUNTRIES["en"])
    country = "GB" if main else rng.choice(countries)
    specs = list(MAIN_RECORDS) if main else _ordinary_specs(rng)
    records = [_record(customer, gen, n, spec, now) for n, spec in enumerate(specs, start=1)]
    if main:
        events = _main_events(customer, now)
    else:
        device = rng.choice(_DEVICES)
        events = [
            _event(customer, n, SecurityEventKind.LOGIN, now - timedelta(minutes=m),
                   ip=_ip(rng), device=device, country=country)
            for n, m in enumerate(sorted(rng.sample(range(60, 60 * DAY), 3)), start=1)
        ]  # fmt: skip
    status = status or AccountStatus.ACTIVE
    reason, since = "", None
    if status == AccountStatus.LOCKED:
        reason, since = "too_many_failed_logins", now - timedelta(hours=5)
        bad_ip = _ip(rng)
        events += [
            _event(customer, 10 + i, SecurityEventKind.LOGIN_FAILED,
                   since - timedelta(minutes=5 - i), ip=bad_ip, country="RU",
                   device="Chrome 120 on Windows 10", detail="wrong password")
            for i in range(5)
        ]  # fmt: skip
    elif status == AccountStatus.FROZEN:
        reason, since = "user_emergency_freeze", now - timedelta(days=1, hours=3)
        events.append(
            _event(customer, 20, SecurityEventKind.ACCOUNT_FROZEN, since, ip=_ip(rng),
                   device=rng.choice(_DEVICES), country=country,
                   detail="frozen by the customer: 'I think my account was hacked'")
        )  # fmt: skip
    account = AccountProfile(
        uid=customer.uid,
        email=customer.email,
        phone=customer.phone,
        name=customer.name,
        kyc_level=2 if main else rng.choice([0, 1, 1, 2, 2, 2]),
        country=country,
        status=status,
        status_reason=reason,
        status_since=since,
        created_at=now - timedelta(days=400 if main else rng.randint(120, 900)),
        two_factor_enabled=True if main else rng.random() < 0.8,
    )
    return account, records, events


def demo_ledger(
    customers: Iterable[DemoCustomer], *, now: datetime
) -> list[tuple[AccountProfile, list[FundRecord], list[SecurityEvent]]]:
    """The ledger for these customers (the main one by email; status by position in uid order)."""
    people = sorted((c for c in customers if c.uid), key=lambda c: (len(c.uid), c.uid))
    others = [c for c in people if c.email.lower() != MAIN_EMAIL]
    statuses = {}
    if len(others) > FROZEN_POSITION:
        statuses[others[LOCKED_POSITION].uid] = AccountStatus.LOCKED
        statuses[others[FROZEN_POSITION].uid] = AccountStatus.FROZEN
    return [
        ledger_for(c, now=now, main=c.email.lower() == MAIN_EMAIL, status=statuses.get(c.uid))
        for c in people
    ]


@transaction.atomic
def seed_demo_ledger(contacts: Iterable[object]) -> int:
    """Write the demo ledger for these contacts (``kefu.contacts.models.Contact``, matched on
    ``uid``); contacts without a uid, and uids already seeded, are skipped. Returns how many
    accounts were created. Idempotent."""
    customers = [
        DemoCustomer(
            uid=str(getattr(c, "uid", "") or ""),
            email=str(getattr(c, "email", "") or ""),
            phone=str(getattr(c, "phone", "") or ""),
            name=str(getattr(c, "name", "") or ""),
            language=str(getattr(c, "language", "") or "en"),
        )
        for c in contacts
    ]
    existing = set(
        DemoAccount.objects.filter(uid__in=[c.uid for c in customers]).values_list("uid", flat=True)
    )
    created = 0
    for account, records, events in demo_ledger(customers, now=clock.now()):
        if account.uid in existing:
            continue
        row = DemoAccount.objects.create(
            uid=account.uid,
            email=account.email,
            phone=account.phone,
            name=account.name,
            kyc_level=account.kyc_level,
            country=account.country,
            status=account.status,
            status_reason=account.status_reason,
            status_since=account.status_since,
            created_at=account.created_at,
            two_factor_enabled=account.two_factor_enabled,
        )
        DemoFundRecord.objects.bulk_create(
            DemoFundRecord(
                ref=r.id,
                account=row,
                direction=r.direction,
                asset=r.asset,
                network=r.network,
                amount=r.amount,
                fee=r.fee,
                address=r.address,
                memo=r.memo,
                txid=r.txid,
                status=r.status,
                failure_reason=r.failure_reason or "",
                confirmations=r.confirmations,
                required_confirmations=r.required_confirmations,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in records
        )
        DemoSecurityEvent.objects.bulk_create(
            DemoSecurityEvent(
                ref=e.id,
                account=row,
                kind=e.kind,
                at=e.at,
                ip=e.ip,
                device=e.device,
                country=e.country,
                detail=e.detail,
            )
            for e in events
        )
        created += 1
    return created
