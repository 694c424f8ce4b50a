"""The demo ledger (formats, coverage, determinism, seeding) and the ``demo`` adapter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.exchange.adapters.demo import DemoConnector
from kefu.exchange.connector import (
    AccountNotFound,
    AccountStatus,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    Direction,
    ExchangeConnector,
    FailureReason,
    FundStatus,
    SecurityEventKind,
)
from kefu.exchange.demo_data import (
    EXCHANGE_XRP_ADDRESS,
    demo_ledger,
    seed_demo_ledger,
)
from kefu.exchange.models import DemoAccount, DemoFundRecord, DemoSecurityEvent
from kefu.exchange.tests.conftest import CUSTOMERS, MAIN_UID, NOW
from kefu.testing import factories

ADDRESS = {
    "BTC": r"bc1q[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}",
    "ETH": r"0x[0-9a-f]{40}",
    "ERC20": r"0x[0-9a-f]{40}",
    "BEP20": r"0x[0-9a-f]{40}",
    "TRC20": r"T[1-9A-HJ-NP-Za-km-z]{33}",
    "SOL": r"[1-9A-HJ-NP-Za-km-z]{43,44}",
    "XRP": r"r[1-9A-HJ-NP-Za-km-z]{24,34}",
}
TXID = {
    "BTC": r"[0-9a-f]{64}",
    "TRC20": r"[0-9a-f]{64}",
    "ETH": r"0x[0-9a-f]{64}",
    "ERC20": r"0x[0-9a-f]{64}",
    "BEP20": r"0x[0-9a-f]{64}",
    "XRP": r"[0-9A-F]{64}",
    "SOL": r"[1-9A-HJ-NP-Za-km-z]{87,88}",
}
WITHDRAWAL_REASONS = {
    FailureReason.INVALID_ADDRESS, FailureReason.MISSING_MEMO, FailureReason.INSUFFICIENT_BALANCE,
    FailureReason.RISK_CONTROL_HOLD, FailureReason.NETWORK_SUSPENDED,
    FailureReason.NETWORK_CONGESTED, FailureReason.ADDRESS_NOT_WHITELISTED,
    FailureReason.DAILY_LIMIT,
}  # fmt: skip


def _main(ledger):
    return next(entry for entry in ledger if entry[0].uid == MAIN_UID)


def test_main_customer_has_every_case(ledger):
    _, records, events = _main(ledger)
    withdrawals = [r for r in records if r.direction == Direction.WITHDRAWAL]
    deposits = [r for r in records if r.direction == Direction.DEPOSIT]
    assert {r.status for r in withdrawals} == {
        FundStatus.PENDING_REVIEW, FundStatus.PROCESSING, FundStatus.BROADCAST,
        FundStatus.CONFIRMED, FundStatus.CANCELLED, FundStatus.FAILED,
    }  # fmt: skip
    failed = [r for r in withdrawals if r.status == FundStatus.FAILED]
    assert {r.failure_reason for r in failed} == WITHDRAWAL_REASONS
    assert len(failed) == len(WITHDRAWAL_REASONS)  # exactly one of each
    assert {r.status for r in deposits} == {
        FundStatus.CREDITED, FundStatus.PENDING_CONFIRMATIONS, FundStatus.NOT_CREDITED,
    }  # fmt: skip
    assert {r.failure_reason for r in deposits if r.status == FundStatus.NOT_CREDITED} == {
        FailureReason.WRONG_NETWORK,
        FailureReason.DEPOSIT_MISSING_MEMO,
    }
    assert {(r.asset, r.network) for r in records} >= {
        ("BTC", "BTC"), ("ETH", "ETH"), ("USDT", "ERC20"), ("USDT", "TRC20"), ("USDT", "BEP20"),
        ("SOL", "SOL"), ("XRP", "XRP"),
    }  # fmt: skip
    assert {e.kind for e in events} >= {
        SecurityEventKind.LOGIN, SecurityEventKind.PASSWORD_CHANGED,
        SecurityEventKind.TWO_FACTOR_CHANGED, SecurityEventKind.EMAIL_CHANGED,
        SecurityEventKind.PHONE_CHANGED, SecurityEventKind.API_KEY_CREATED,
    }  # fmt: skip
    assert all(e.ip and e.device and e.country for e in events)


def test_addresses_txids_and_memos_have_valid_formats(ledger):
    for _, records, _ in ledger:
        for r in records:
            assert re.fullmatch(ADDRESS[r.network], r.address) or (
                r.failure_reason == FailureReason.INVALID_ADDRESS
            ), r
            if r.txid:
                assert re.fullmatch(TXID[r.network], r.txid), r
            if r.network == "XRP" and r.failure_reason not in (
                FailureReason.MISSING_MEMO,
                FailureReason.DEPOSIT_MISSING_MEMO,
            ):
                assert r.memo.isdigit(), r
            elif r.network != "XRP":
                assert r.memo == ""
            assert r.amount > 0
            assert r.fee >= 0
            assert r.created_at <= r.updated_at <= NOW


def test_case_details_are_consistent(ledger):
    _, records, _ = _main(ledger)
    by_reason = {r.failure_reason: r for r in records if r.status == FundStatus.FAILED}
    assert by_reason[FailureReason.INVALID_ADDRESS].address.startswith("0x")  # ERC20 on TRC20
    assert by_reason[FailureReason.INVALID_ADDRESS].network == "TRC20"
    assert by_reason[FailureReason.MISSING_MEMO].memo == ""
    assert all(not r.txid for r in by_reason.values())  # none reached the chain
    memo_deposit = next(
        r for r in records if r.failure_reason == FailureReason.DEPOSIT_MISSING_MEMO
    )
    assert memo_deposit.address == EXCHANGE_XRP_ADDRESS
    assert memo_deposit.txid
    wrong = next(r for r in records if r.failure_reason == FailureReason.WRONG_NETWORK)
    assert (wrong.asset, wrong.network, wrong.status) == ("ETH", "BEP20", FundStatus.NOT_CREDITED)
    pending = [r for r in records if r.status == FundStatus.PENDING_CONFIRMATIONS]
    assert all(0 < r.confirmations < r.required_confirmations for r in pending)
    broadcast = next(r for r in records if r.status == FundStatus.BROADCAST)
    assert broadcast.txid
    assert broadcast.confirmations < broadcast.required_confirmations


def test_ledger_is_deterministic_and_has_one_locked_and_one_frozen(ledger):
    assert demo_ledger(CUSTOMERS, now=NOW) == ledger
    statuses = [a.status for a, _, _ in ledger]
    assert statuses.count(AccountStatus.LOCKED) == 1
    assert statuses.count(AccountStatus.FROZEN) == 1
    locked = next(entry for entry in ledger if entry[0].status == AccountStatus.LOCKED)
    assert locked[0].status_reason
    assert locked[0].status_since
    assert sum(e.kind == SecurityEventKind.LOGIN_FAILED for e in locked[2]) == 5
    assert _main(ledger)[0].status == AccountStatus.ACTIVE


def test_seed_is_idempotent_and_matches_on_uid(db):
    contacts = [
        factories.ContactFactory(email=c.email, uid=c.uid, name=c.name, phone=c.phone)
        for c in CUSTOMERS
    ]
    no_uid = factories.ContactFactory(uid=None)
    assert seed_demo_ledger([*contacts, no_uid]) == len(CUSTOMERS)
    counts = (
        DemoAccount.objects.count(),
        DemoFundRecord.objects.count(),
        DemoSecurityEvent.objects.count(),
    )
    assert counts[0] == len(CUSTOMERS)
    assert counts[1] > 25
    assert counts[2] > 10
    assert seed_demo_ledger(contacts) == 0
    assert (
        DemoAccount.objects.count(),
        DemoFundRecord.objects.count(),
        DemoSecurityEvent.objects.count(),
    ) == counts
    assert DemoFundRecord.objects.filter(account__uid=MAIN_UID).count() == 25


@pytest.fixture
def seeded(db):
    contacts = [
        factories.ContactFactory(email=c.email, uid=c.uid, name=c.name, phone=c.phone)
        for c in CUSTOMERS
    ]
    seed_demo_ledger(contacts)
    return contacts


def _auth(kind: CaseKind, ref: str, uid: str = MAIN_UID) -> CaseAuthorisation:
    return CaseAuthorisation(
        case_ref=ref, kind=kind, uid=uid, prepared_by="agent:7", approved_by="agent:3",
        approved_at=datetime(2026, 11, 20, tzinfo=UTC),
    )  # fmt: skip


def test_demo_connector_reads(seeded):
    connector = DemoConnector()
    assert isinstance(connector, ExchangeConnector)
    account = connector.account(uid=MAIN_UID)
    assert account.email == "customer@kefu.demo"
    assert account.name == "Alex Morgan"
    assert connector.account(email="Customer@Kefu.demo") == account
    assert connector.account(phone="+44 7700 900000") == account
    with pytest.raises(AccountNotFound):
        connector.account(uid="nope")
    with pytest.raises(AccountNotFound):
        connector.fund_records(uid="nope")
    records = connector.fund_records(uid=MAIN_UID, limit=100)
    assert len(records) == 25
    assert [r.created_at for r in records] == sorted((r.created_at for r in records), reverse=True)
    assert str(records[0].amount) in {"1200", "1500", "0.12"}  # trailing zeros dropped
    usdt_trc = connector.fund_records(uid=MAIN_UID, asset="usdt", network="trc20")
    assert usdt_trc
    assert {(r.asset, r.network) for r in usdt_trc} == {("USDT", "TRC20")}
    deposits = connector.fund_records(uid=MAIN_UID, direction=Direction.DEPOSIT)
    assert len(deposits) == 9
    one = next(r for r in records if r.txid)
    assert connector.fund_records(uid=MAIN_UID, txid=one.txid.upper()) == [one]
    cut = records[5].created_at
    assert all(r.created_at >= cut for r in connector.fund_records(uid=MAIN_UID, since=cut))
    assert all(r.created_at < cut for r in connector.fund_records(uid=MAIN_UID, until=cut))
    assert len(connector.fund_records(uid=MAIN_UID, limit=3)) == 3
    events = connector.security_events(uid=MAIN_UID, limit=4)
    assert len(events) == 4
    assert events[0].at >= events[-1].at


def test_demo_actions_change_status_record_an_event_and_are_idempotent(seeded):
    connector = DemoConnector()
    frozen = connector.freeze_account(authorisation=_auth(CaseKind.FREEZE, "VC-000001"))
    assert frozen.status == AccountStatus.FROZEN
    account = connector.account(uid=MAIN_UID)
    assert account.status == AccountStatus.FROZEN
    assert "VC-000001" in account.status_reason
    latest = connector.security_events(uid=MAIN_UID, limit=1)[0]
    assert latest.kind == SecurityEventKind.ACCOUNT_FROZEN
    assert latest.id == frozen.exchange_ref
    events_before = DemoSecurityEvent.objects.count()
    assert connector.freeze_account(authorisation=_auth(CaseKind.FREEZE, "VC-000001")) == frozen
    assert DemoSecurityEvent.objects.count() == events_before
    with pytest.raises(ConnectorError) as info:  # the same case for another action
        connector.unlock_account(authorisation=_auth(CaseKind.UNLOCK, "VC-000001"))
    assert info.value.retryable is False
    unlocked = connector.unlock_account(authorisation=_auth(CaseKind.UNLOCK, "VC-000002"))
    assert unlocked.status == AccountStatus.ACTIVE
    assert connector.account(uid=MAIN_UID).status_reason == ""
    reset = connector.reset_two_factor(authorisation=_auth(CaseKind.RESET_2FA, "VC-000003"))
    assert reset.status == AccountStatus.ACTIVE
    assert connector.account(uid=MAIN_UID).two_factor_enabled is False


def test_demo_unlock_of_the_locked_account(seeded):
    connector = DemoConnector()
    locked = DemoAccount.objects.get(status=AccountStatus.LOCKED)
    result = connector.unlock_account(authorisation=_auth(CaseKind.UNLOCK, "VC-7", locked.uid))
    assert result.status == AccountStatus.ACTIVE
    locked.refresh_from_db()
    assert locked.status == AccountStatus.ACTIVE
    assert locked.status_since is not None
    assert locked.status_since > datetime.now(UTC) - timedelta(minutes=5)


def test_demo_action_refusals_change_nothing(seeded):
    connector = DemoConnector()
    with pytest.raises(ConnectorError):  # kind does not match the action
        connector.freeze_account(authorisation=_auth(CaseKind.UNLOCK, "VC-8"))
    DemoAccount.objects.filter(uid=MAIN_UID).update(status=AccountStatus.DISABLED)
    with pytest.raises(ConnectorError):
        connector.unlock_account(authorisation=_auth(CaseKind.UNLOCK, "VC-9"))
    with pytest.raises(AccountNotFound):
        connector.unlock_account(authorisation=_auth(CaseKind.UNLOCK, "VC-10", "nope"))
    assert DemoAccount.objects.get(uid=MAIN_UID).status == AccountStatus.DISABLED
    assert not DemoSecurityEvent.objects.exclude(case_ref="").exists()
    assert not AuditEntry.objects.filter(action__startswith="exchange.").exists()


def test_kefu_demo_seeds_the_ledger(db, settings):
    """``kefu demo`` (load_demo) seeds the ledger for the demo customers."""
    from kefu.demo.seed import load_demo

    load_demo(conversations=0)
    main = DemoAccount.objects.get(email="customer@kefu.demo")
    assert main.fund_records.count() == 25
    assert DemoAccount.objects.filter(status=AccountStatus.LOCKED).count() == 1
    assert DemoAccount.objects.filter(status=AccountStatus.FROZEN).count() == 1
    count = DemoFundRecord.objects.count()
    DemoAccount.objects.all().delete()  # a demo loaded before the exchange app existed ...
    load_demo(conversations=0)  # ... gets its ledger on the next start
    assert DemoFundRecord.objects.count() == count
    load_demo(conversations=0)
    assert DemoFundRecord.objects.count() == count


def test_reference_server_serves_the_demo_tables(transactional_db):
    """The reference server on the demo tables, read through the http adapter: same answers."""
    from kefu.exchange.adapters.http import HttpConnector
    from kefu.exchange.reference_server import ReferenceServer

    contacts = [
        factories.ContactFactory(email=c.email, uid=c.uid, name=c.name, phone=c.phone)
        for c in CUSTOMERS
    ]
    seed_demo_ledger(contacts)
    demo = DemoConnector()
    server = ReferenceServer(demo, key_id="k", secret="s").start()
    try:
        http = HttpConnector(base_url=server.url, key_id="k", secret="s")
        assert http.fund_records(uid=MAIN_UID, limit=100) == demo.fund_records(
            uid=MAIN_UID, limit=100
        )
        assert http.account(email="customer@kefu.demo") == demo.account(uid=MAIN_UID)
        result = http.freeze_account(authorisation=_auth(CaseKind.FREEZE, "VC-77"))
        assert DemoAccount.objects.get(uid=MAIN_UID).status == AccountStatus.FROZEN
        assert result.exchange_ref == demo.security_events(uid=MAIN_UID, limit=1)[0].id
        http.close()
    finally:
        server.stop()
