"""The pure diagnosis: matching, one finding per status and reason, wording in both languages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kefu.exchange import diagnosis_text
from kefu.exchange.connector import (
    AccountProfile,
    AccountStatus,
    Direction,
    FailureReason,
    FundRecord,
    FundStatus,
)
from kefu.exchange.diagnosis import (
    MAX_CANDIDATES,
    DiagnosisQuery,
    IncidentInfo,
    Outcome,
    Severity,
    diagnose,
    match_records,
    normalise_txid,
)

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
W, D = Direction.WITHDRAWAL, Direction.DEPOSIT
BY_TXID = DiagnosisQuery(txid="AB12CD")
S, R = FundStatus, FailureReason


@dataclass(frozen=True)
class FakeChain:
    """Stands in for kefu.chain.lookup.ChainStatus."""

    state: str
    confirmations: int = 0
    block_number: int | None = None
    checked_at: datetime = NOW
    source: str = "evm:ETH@http://127.0.0.1:8545"
    network: str = "ERC20"
    txid: str = ""


def account(status: AccountStatus = AccountStatus.ACTIVE, reason: str = "") -> AccountProfile:
    return AccountProfile(
        uid="U1001",
        email="alice@example.com",
        phone="",
        name="Alice",
        kyc_level=1,
        country="SG",
        status=status,
        status_reason=reason,
        status_since=NOW - timedelta(days=1) if status != AccountStatus.ACTIVE else None,
        created_at=NOW - timedelta(days=400),
        two_factor_enabled=True,
    )


def record(
    direction: Direction = W,
    status: FundStatus = S.PENDING_REVIEW,
    reason: FailureReason | None = None,
    **kw: object,
) -> FundRecord:
    values: dict[str, object] = {
        "id": "R1",
        "uid": "U1001",
        "direction": direction,
        "asset": "USDT",
        "network": "TRC20",
        "amount": Decimal("100"),
        "fee": Decimal("1"),
        "address": "TXYZabc",
        "memo": "",
        "txid": "ab12cd",
        "status": status,
        "failure_reason": reason,
        "confirmations": 0,
        "required_confirmations": 12,
        "created_at": NOW - timedelta(hours=2),
        "updated_at": NOW - timedelta(hours=1),
    }
    values.update(kw)
    return FundRecord(**values)  # type: ignore[arg-type]


def run(
    records: list[FundRecord],
    *,
    acc: AccountProfile | None = None,
    chain: dict[str, FakeChain | None] | None = None,
    incidents: list[IncidentInfo] | None = None,
    query: DiagnosisQuery | None = None,
):
    return diagnose(
        records=records,
        account=acc if acc is not None else account(),
        chain=chain or {},
        incidents=incidents or [],
        query=query or DiagnosisQuery(),
        now=NOW,
    )


# (id, record, account status, chain state/confirmations, code, severity, en phrase, zh phrase)
CASES = [
    ("w-review", record(W, S.PENDING_REVIEW), None, None,
     "withdrawal.pending_review", Severity.WAIT, "within 24 hours", "24 小时内"),
    ("w-review-overdue", record(W, S.PENDING_REVIEW, created_at=NOW - timedelta(hours=30)),
     None, None, "withdrawal.pending_review_overdue", Severity.ALERT, "longer than usual",
     "比平时长"),
    ("w-processing", record(W, S.PROCESSING), None, None,
     "withdrawal.processing", Severity.WAIT, "within 30 minutes", "30 分钟内"),
    ("w-broadcast", record(W, S.BROADCAST, network="ERC20", confirmations=3), None,
     FakeChain("pending", 5), "withdrawal.broadcast", Severity.WAIT, "5 of 12", "5/12"),
    ("w-arriving", record(W, S.BROADCAST), None, FakeChain("confirmed", 20),
     "withdrawal.arriving", Severity.WAIT, "receiving wallet shortly", "即将到账"),
    ("w-chain-failed", record(W, S.BROADCAST), None, FakeChain("failed"),
     "withdrawal.chain_problem", Severity.ALERT, "did not complete", "未能完成"),
    ("w-confirmed", record(W, S.CONFIRMED), None, FakeChain("confirmed", 40),
     "withdrawal.confirmed", Severity.OK, "was completed", "网络上完成"),
    ("w-confirmed-not-on-chain", record(W, S.CONFIRMED), None, FakeChain("not_found"),
     "withdrawal.confirmed", Severity.ALERT, "was completed", "网络上完成"),
    ("w-cancelled", record(W, S.CANCELLED), None, None,
     "withdrawal.cancelled", Severity.OK, "was cancelled", "已取消"),
    ("w-failed", record(W, S.FAILED), None, None,
     "withdrawal.failed", Severity.ACTION, "failed and was not sent", "提现失败"),
    ("w-invalid-address", record(W, S.FAILED, R.INVALID_ADDRESS), None, None,
     "withdrawal.invalid_address", Severity.ACTION, "not a valid TRC20 address",
     "不是有效的 TRC20 地址"),
    ("w-missing-memo", record(W, S.FAILED, R.MISSING_MEMO, asset="XRP", network="XRP"), None,
     None, "withdrawal.missing_memo", Severity.ACTION, "needs a memo (tag)", "备注（Memo/Tag）"),
    ("w-insufficient", record(W, S.FAILED, R.INSUFFICIENT_BALANCE), None, None,
     "withdrawal.insufficient_balance", Severity.ACTION, "comes to 101 USDT", "共 101 USDT"),
    ("w-risk-hold", record(W, S.PENDING_REVIEW, R.RISK_CONTROL_HOLD), None, None,
     "withdrawal.risk_control_hold", Severity.WAIT, "do not submit it again", "请不要重复提交"),
    ("w-suspended", record(W, S.PROCESSING, R.NETWORK_SUSPENDED), None, None,
     "withdrawal.network_suspended", Severity.WAIT, "are suspended", "暂停"),
    ("w-congested", record(W, S.PROCESSING, R.NETWORK_CONGESTED), None, None,
     "withdrawal.network_congested", Severity.WAIT, "when the network clears", "网络恢复畅通"),
    ("w-whitelist", record(W, S.FAILED, R.ADDRESS_NOT_WHITELISTED), None, None,
     "withdrawal.address_not_whitelisted", Severity.ACTION, "after 24 hours", "白名单"),
    ("w-daily-limit", record(W, S.FAILED, R.DAILY_LIMIT), None, None,
     "withdrawal.daily_limit", Severity.ACTION, "00:00 UTC (in about 4 hours)", "约 4 小时后"),
    ("w-wrong-network-reason", record(W, S.FAILED, R.WRONG_NETWORK), None, None,
     "withdrawal.failed", Severity.ACTION, "failed and was not sent", "提现失败"),
    ("w-deposit-memo-reason", record(W, S.FAILED, R.DEPOSIT_MISSING_MEMO), None, None,
     "withdrawal.failed", Severity.ACTION, "failed and was not sent", "提现失败"),
    ("w-locked", record(W, S.PENDING_REVIEW), AccountStatus.LOCKED, None,
     "withdrawal.account_locked", Severity.ACTION, "your account is locked", "账户已被锁定"),
    ("w-frozen", record(W, S.FAILED), AccountStatus.FROZEN, None,
     "withdrawal.account_frozen", Severity.ACTION, "your account is frozen", "账户已被冻结"),
    ("w-disabled", record(W, S.PROCESSING), AccountStatus.DISABLED, None,
     "withdrawal.account_disabled", Severity.ACTION, "your account is closed", "账户已关闭"),
    ("d-confirmations", record(D, S.PENDING_CONFIRMATIONS, asset="BTC", network="BTC",
     confirmations=1, required_confirmations=2), None, None,
     "deposit.pending_confirmations", Severity.WAIT, "1 of 2", "约 10 分钟"),
    ("d-crediting", record(D, S.PENDING_CONFIRMATIONS, confirmations=3), None,
     FakeChain("confirmed", 19), "deposit.crediting", Severity.WAIT,
     "enough network confirmations", "已获得足够的网络确认"),
    ("d-credited", record(D, S.CREDITED), None, None,
     "deposit.credited", Severity.OK, "was credited", "19:00 UTC 到账"),
    ("d-wrong-network-evm", record(D, S.NOT_CREDITED, R.WRONG_NETWORK, network="BEP20"), None,
     None, "deposit.wrong_network_recoverable", Severity.ACTION, "can usually be recovered",
     "通常可以找回"),
    ("d-wrong-network-other", record(D, S.NOT_CREDITED, R.WRONG_NETWORK, network="SOL"), None,
     None, "deposit.wrong_network_unrecoverable", Severity.ALERT, "usually cannot be recovered",
     "通常无法找回"),
    ("d-missing-memo", record(D, S.NOT_CREDITED, R.DEPOSIT_MISSING_MEMO), None, None,
     "deposit.missing_memo", Severity.ACTION, "deposit recovery request", "找回申请"),
    ("d-missing-memo-2", record(D, S.NOT_CREDITED, R.MISSING_MEMO), None, None,
     "deposit.missing_memo", Severity.ACTION, "transaction ID (ab12cd)", "ab12cd"),
    ("d-risk-hold", record(D, S.NOT_CREDITED, R.RISK_CONTROL_HOLD), None, None,
     "deposit.risk_control_hold", Severity.WAIT, "security review", "安全审核"),
    ("d-suspended", record(D, S.NOT_CREDITED, R.NETWORK_SUSPENDED), None, None,
     "deposit.network_suspended", Severity.WAIT, "are suspended", "暂停"),
    ("d-congested", record(D, S.PENDING_CONFIRMATIONS, R.NETWORK_CONGESTED), None, None,
     "deposit.network_congested", Severity.WAIT, "when the network clears", "网络恢复畅通"),
    ("d-not-credited", record(D, S.NOT_CREDITED), None, None,
     "deposit.not_credited", Severity.ALERT, "could not be credited automatically", "无法自动入账"),
    ("d-other-reason", record(D, S.NOT_CREDITED, R.INVALID_ADDRESS), None, None,
     "deposit.not_credited", Severity.ALERT, "could not be credited automatically", "无法自动入账"),
    ("d-review", record(D, S.PENDING_REVIEW), None, None,
     "deposit.pending_review", Severity.WAIT, "within 24 hours", "24 小时内"),
    ("d-failed", record(D, S.FAILED), None, None,
     "deposit.failed", Severity.ALERT, "could not be credited", "无法入账"),
    ("d-chain-failed", record(D, S.PENDING_CONFIRMATIONS), None, FakeChain("failed"),
     "deposit.chain_problem", Severity.ACTION, "did not complete", "未能完成"),
    ("d-credited-chain-failed", record(D, S.CREDITED), None, FakeChain("failed"),
     "deposit.chain_problem", Severity.ALERT, "did not complete", "未能完成"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rec", "acc_status", "chain", "code", "severity", "en", "zh"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_case_is_explained_in_english_and_chinese(
    rec, acc_status, chain, code, severity, en, zh
):
    result = run(
        [rec],
        acc=account(acc_status) if acc_status else None,
        chain={rec.id: chain} if chain else None,
        query=BY_TXID,
    )
    assert result.outcome == Outcome.MATCHED
    (finding,) = result.findings
    assert (finding.code, finding.severity) == (code, severity)
    assert en in result.customer_message("en")
    assert zh in result.customer_message("zh-hans")
    # Each language is in its own words (nothing left untranslated).
    for part in finding.text("zh-hans").paragraphs():
        assert part not in finding.text("en").paragraphs()
    if severity == Severity.ALERT:
        assert finding.agent_alert


def test_the_table_covers_every_status_reason_and_code():
    records = [c[1] for c in CASES]
    assert {r.status for r in records} == set(FundStatus)
    assert {r.failure_reason for r in records} - {None} == set(FailureReason)
    assert {c[4] for c in CASES} == diagnosis_text.known_codes()
    assert set(AccountStatus) - {AccountStatus.ACTIVE} <= {c[2] for c in CASES}


def test_alerts_go_to_the_agent_not_the_customer():
    rec = record(W, S.BROADCAST)
    result = run([rec], chain={rec.id: FakeChain("failed")})
    assert result.alerts
    assert "chain reports the transaction failed" in result.alerts[0]
    assert "chain" not in result.customer_message("en")
    assert "do not submit it again" in result.customer_message("en")


def test_agent_facts_show_codes_confirmations_and_chain():
    rec = record(W, S.BROADCAST, R.NETWORK_CONGESTED, confirmations=2)
    chain = FakeChain("pending", 4, block_number=123, source="evm:ETH@http://127.0.0.1:1")
    facts = dict(run([rec], chain={rec.id: chain}).findings[0].agent_facts)
    assert facts["Txid"] == "ab12cd"
    assert facts["Reason code"] == "network_congested"
    assert facts["Confirmations (record)"] == "2 / 12"
    assert "pending" in facts["On chain"]
    assert "4 of 12" in facts["On chain"]
    assert "block 123" in facts["On chain"]
    assert "127.0.0.1:1" in facts["On chain"]


def test_chain_not_checked_is_said_plainly():
    rec = record(W, S.BROADCAST, confirmations=3)
    result = run([rec], chain={rec.id: None})
    assert result.findings[0].code == "withdrawal.broadcast"
    assert dict(result.findings[0].agent_facts)["On chain"] == "not checked"
    assert "3 of 12" in result.customer_message("en")
    no_txid = record(W, S.PROCESSING, txid="")
    assert dict(run([no_txid]).findings[0].agent_facts)["On chain"] == "no txid yet"


def test_chain_confirmations_below_required_do_not_say_arriving():
    rec = record(W, S.BROADCAST, required_confirmations=30)
    result = run([rec], chain={rec.id: FakeChain("confirmed", 12)})
    assert result.findings[0].code == "withdrawal.broadcast"


def test_withdrawal_reason_beats_a_locked_account_but_the_account_is_still_mentioned():
    rec = record(W, S.FAILED, R.DAILY_LIMIT)
    result = run([rec], acc=account(AccountStatus.FROZEN, "user_freeze"))
    assert result.findings[0].code == "withdrawal.daily_limit"
    assert "Your account is frozen" in result.customer_message("en")
    assert "账户已被冻结" in result.customer_message("zh-hans")
    assert any("frozen" in n and "user_freeze" in n for n in result.agent_notes)


def test_a_blocked_account_is_not_explained_twice():
    result = run([record(W, S.PENDING_REVIEW)], acc=account(AccountStatus.LOCKED))
    message = result.customer_message("en")
    assert message.count("because your account is locked") == 1
    assert "Your account is locked, so" not in message


def test_deposits_on_a_locked_account_are_not_blamed_on_it():
    result = run([record(D, S.CREDITED)], acc=account(AccountStatus.LOCKED), query=BY_TXID)
    assert result.findings[0].code == "deposit.credited"
    assert "Your account is locked" in result.customer_message("en")


# --- incidents --------------------------------------------------------------------------------

TRC20_INCIDENT = IncidentInfo(
    title_en="TRC20 withdrawals delayed",
    title_zh="TRC20 提现延迟",
    affected=(("USDT", "TRC20"),),
    url_en="/help/en/status/7/",
    url_zh="/help/zh-hans/status/7/",
)


def test_an_open_incident_on_the_network_is_linked():
    rec = record(W, S.PROCESSING, R.NETWORK_SUSPENDED)
    result = run([rec], incidents=[TRC20_INCIDENT])
    assert result.findings[0].incident == TRC20_INCIDENT
    assert "TRC20 withdrawals delayed /help/en/status/7/" in result.customer_message("en")
    assert "TRC20 提现延迟 /help/zh-hans/status/7/" in result.customer_message("zh-hans")
    assert "Open incident" in dict(result.findings[0].agent_facts)


def test_incidents_on_other_networks_or_settled_records_are_not_linked():
    other = replace(TRC20_INCIDENT, affected=(("USDT", "ERC20"),))
    assert (
        run([record(W, S.PROCESSING, R.NETWORK_SUSPENDED)], incidents=[other]).findings[0].incident
        is None
    )
    done = run([record(W, S.CONFIRMED)], incidents=[TRC20_INCIDENT], query=BY_TXID)
    assert done.findings[0].incident is None
    assert "status page" not in done.customer_message("en")


def test_an_incident_naming_only_a_network_matches_every_asset_on_it():
    network_only = replace(TRC20_INCIDENT, affected=(("", "trc20"),))
    rec = record(D, S.PENDING_CONFIRMATIONS, asset="TRX")
    assert run([rec], incidents=[network_only]).findings[0].incident == network_only
    assert not replace(TRC20_INCIDENT, affected=(("", ""),)).affects("USDT", "TRC20")


# --- matching ---------------------------------------------------------------------------------


def test_txid_matches_with_or_without_0x_and_in_any_case():
    evm = record(W, S.CONFIRMED, id="E1", network="ERC20", txid="0xABCDEF01")
    other = record(W, S.CONFIRMED, id="E2", network="ERC20", txid="0x1234")
    for asked in ("abcdef01", "0xabcdef01", " 0XABCDEF01 ", "ABCDEF01"):
        assert match_records([other, evm], DiagnosisQuery(txid=asked), NOW) == [evm]
    assert normalise_txid("0xAB") == "ab"


def test_an_unknown_txid_matches_nothing_and_asks_for_details():
    result = run([record(W, S.FAILED)], query=DiagnosisQuery(txid="ffff"))
    assert result.outcome == Outcome.NONE
    assert result.findings == ()
    en = result.customer_message("en")
    for phrase in ("transaction ID", "network", "roughly when", "amount"):
        assert phrase in en
    zh = result.customer_message("zh-hans")
    for phrase in ("交易哈希", "网络", "时间", "金额"):
        assert phrase in zh
    assert "txid" in result.agent_notes[0]


def test_asset_network_and_amount_within_the_fee_match():
    a = record(W, S.FAILED, id="A", amount=Decimal("100"), fee=Decimal("1"))
    b = record(W, S.FAILED, id="B", amount=Decimal("250"), fee=Decimal("1"))
    c = record(W, S.FAILED, id="C", network="ERC20")
    q = DiagnosisQuery(asset="usdt", network="trc20", amount=Decimal("99.5"))
    assert match_records([a, b, c], q, NOW) == [a]
    assert match_records([a, b, c], replace(q, amount=Decimal("98.9")), NOW) == []
    assert match_records([a, b, c], DiagnosisQuery(direction=D), NOW) == []


def test_time_matches_within_a_day_of_what_the_customer_says():
    old = record(W, S.FAILED, id="old", created_at=NOW - timedelta(days=3))
    new = record(W, S.FAILED, id="new", created_at=NOW - timedelta(hours=1))
    assert match_records([new, old], DiagnosisQuery(at=NOW - timedelta(days=3, hours=5)), NOW) == [
        old
    ]
    # Without a time, only recent records.
    ancient = record(W, S.FAILED, id="ancient", created_at=NOW - timedelta(days=90))
    assert match_records([ancient, new], DiagnosisQuery(asset="USDT"), NOW) == [new]


def test_an_empty_question_looks_at_unsettled_records_only():
    done = record(W, S.CONFIRMED, id="done")
    stuck = record(W, S.PENDING_REVIEW, id="stuck")
    result = run([done, stuck])
    assert result.outcome == Outcome.MATCHED
    assert result.findings[0].record.id == "stuck"
    assert run([done]).outcome == Outcome.NONE


def test_several_candidates_are_listed_newest_first_and_the_customer_is_asked_which():
    older = record(W, S.FAILED, R.DAILY_LIMIT, id="older", created_at=NOW - timedelta(hours=5))
    newer = record(D, S.NOT_CREDITED, R.WRONG_NETWORK, id="newer", network="BEP20")
    result = run([older, newer], query=DiagnosisQuery(asset="USDT"))
    assert result.outcome == Outcome.SEVERAL
    assert [f.record.id for f in result.findings] == ["newer", "older"]
    en = result.customer_message("en")
    assert "We found 2 transactions" in en
    assert "Which one do you mean?" in en
    assert "deposit of 100 USDT on BEP20" in en
    assert "withdrawal of 100 USDT on TRC20" in en
    zh = result.customer_message("zh-hans")
    assert "2 笔" in zh
    assert "哪一笔" in zh
    assert "提现" in zh
    assert "充值" in zh


def test_many_candidates_are_capped():
    many = [
        record(W, S.PENDING_REVIEW, id=f"R{i}", created_at=NOW - timedelta(minutes=i))
        for i in range(MAX_CANDIDATES + 3)
    ]
    result = run(many)
    assert len(result.findings) == MAX_CANDIDATES
    assert result.findings[0].record.id == "R0"
    assert any("showing the newest" in n for n in result.agent_notes)


def test_no_account_says_so():
    result = diagnose(
        records=[], account=None, chain={}, incidents=[], query=DiagnosisQuery(), now=NOW
    )
    assert result.outcome == Outcome.NO_ACCOUNT
    assert "email address or phone number" in result.customer_message("en")
    assert "邮箱" in result.customer_message("zh")


def test_amounts_are_written_without_trailing_zeros():
    rec = record(
        W, S.FAILED, R.INSUFFICIENT_BALANCE, amount=Decimal("0.50000000"), fee=Decimal("0.0005")
    )
    assert "comes to 0.5005 USDT" in run([rec]).customer_message("en")
