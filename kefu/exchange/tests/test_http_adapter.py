"""The ``http`` adapter against the reference server on 127.0.0.1: every endpoint, signing,
retries, error classification and strict parsing."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kefu.exchange import wire
from kefu.exchange.adapters.http import HttpConnector
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
from kefu.exchange.reference_server import Fault
from kefu.exchange.tests.conftest import KEY_ID, MAIN_UID, NOW, SECRET


def _auth(kind: CaseKind, uid: str = MAIN_UID, ref: str = "VC-000042") -> CaseAuthorisation:
    return CaseAuthorisation(
        case_ref=ref,
        kind=kind,
        uid=uid,
        prepared_by="agent:7",
        approved_by="agent:3",
        approved_at=datetime(2026, 11, 20, 11, 0, tzinfo=UTC),
    )


def test_http_connector_satisfies_the_protocol(http_connector):
    assert isinstance(http_connector, ExchangeConnector)
    assert http_connector.name == "http"


def test_account_by_uid_email_and_phone(http_connector, memory_backend):
    expected = memory_backend.account(uid=MAIN_UID)
    assert http_connector.account(uid=MAIN_UID) == expected
    assert http_connector.account(email="CUSTOMER@kefu.demo") == expected
    assert http_connector.account(phone="+44 7700 900000") == expected
    assert expected.status == AccountStatus.ACTIVE
    assert expected.kyc_level == 2


def test_unknown_account_is_account_not_found(http_connector, reference_server):
    with pytest.raises(AccountNotFound):
        http_connector.account(uid="99999999")
    with pytest.raises(AccountNotFound):
        http_connector.account(email="nobody@example.com")
    with pytest.raises(AccountNotFound):
        http_connector.fund_records(uid="99999999")
    assert [s.status for s in reference_server.seen] == [404, 200, 404]


def test_fund_records_round_trip_exactly(http_connector, memory_backend):
    records = http_connector.fund_records(uid=MAIN_UID, limit=100)
    assert records == memory_backend.fund_records(uid=MAIN_UID, limit=100)
    assert len(records) == 25
    assert all(isinstance(r.amount, Decimal) for r in records)
    assert [r.created_at for r in records] == sorted((r.created_at for r in records), reverse=True)


def test_fund_record_filters_reach_the_server(http_connector, memory_backend, reference_server):
    xrp = http_connector.fund_records(uid=MAIN_UID, asset="xrp", direction=Direction.DEPOSIT)
    assert {(r.asset, r.direction) for r in xrp} == {("XRP", Direction.DEPOSIT)}
    assert {r.status for r in xrp} == {FundStatus.CREDITED, FundStatus.NOT_CREDITED}
    failed = [
        r for r in http_connector.fund_records(uid=MAIN_UID, network="TRC20", limit=10)
        if r.status == FundStatus.FAILED
    ]  # fmt: skip
    assert {r.failure_reason for r in failed} == {
        FailureReason.INVALID_ADDRESS,
        FailureReason.ADDRESS_NOT_WHITELISTED,
    }
    one = next(r for r in memory_backend.fund_records(uid=MAIN_UID) if r.txid)
    assert http_connector.fund_records(uid=MAIN_UID, txid=one.txid) == [one]
    window = http_connector.fund_records(
        uid=MAIN_UID,
        since=datetime(2026, 11, 19, tzinfo=UTC),
        until=NOW,
    )
    assert window
    assert all(r.created_at >= datetime(2026, 11, 19, tzinfo=UTC) for r in window)
    assert len(http_connector.fund_records(uid=MAIN_UID, limit=2)) == 2
    query = reference_server.seen[-1].query
    assert query == {"limit": ["2"]}


def test_security_events(http_connector, memory_backend):
    events = http_connector.security_events(uid=MAIN_UID, limit=50)
    assert events == memory_backend.security_events(uid=MAIN_UID, limit=50)
    assert {e.kind for e in events} >= {
        SecurityEventKind.LOGIN,
        SecurityEventKind.LOGIN_FAILED,
        SecurityEventKind.PASSWORD_CHANGED,
        SecurityEventKind.TWO_FACTOR_CHANGED,
        SecurityEventKind.EMAIL_CHANGED,
        SecurityEventKind.PHONE_CHANGED,
        SecurityEventKind.API_KEY_CREATED,
    }
    recent = http_connector.security_events(uid=MAIN_UID, since=datetime(2026, 11, 15, tzinfo=UTC))
    assert recent
    assert all(e.at >= datetime(2026, 11, 15, tzinfo=UTC) for e in recent)


def test_actions_change_the_account_and_are_idempotent(http_connector, reference_server):
    frozen = http_connector.freeze_account(authorisation=_auth(CaseKind.FREEZE, ref="VC-1"))
    assert frozen.status == AccountStatus.FROZEN
    assert frozen.action == CaseKind.FREEZE
    assert http_connector.account(uid=MAIN_UID).status == AccountStatus.FROZEN
    again = http_connector.freeze_account(authorisation=_auth(CaseKind.FREEZE, ref="VC-1"))
    assert again == frozen
    unlocked = http_connector.unlock_account(authorisation=_auth(CaseKind.UNLOCK, ref="VC-2"))
    assert unlocked.status == AccountStatus.ACTIVE
    reset = http_connector.reset_two_factor(authorisation=_auth(CaseKind.RESET_2FA, ref="VC-3"))
    assert reset.action == CaseKind.RESET_2FA
    assert http_connector.account(uid=MAIN_UID).two_factor_enabled is False
    kinds = [e.kind for e in http_connector.security_events(uid=MAIN_UID, limit=3)]
    assert SecurityEventKind.ACCOUNT_UNLOCKED in kinds
    body = json.loads(reference_server.seen[0].body)
    assert body == wire.authorisation_to_json(_auth(CaseKind.FREEZE, ref="VC-1"))


def test_action_with_a_mismatched_case_is_refused_without_a_request(
    http_connector, reference_server
):
    with pytest.raises(ConnectorError) as info:
        http_connector.unlock_account(authorisation=_auth(CaseKind.FREEZE))
    assert info.value.retryable is False
    assert reference_server.seen == []


def test_server_refusal_of_an_action_is_permanent(http_connector, reference_server):
    same_person = CaseAuthorisation(
        case_ref="VC-9", kind=CaseKind.UNLOCK, uid=MAIN_UID, prepared_by="agent:3",
        approved_by="agent:3", approved_at=NOW,
    )  # fmt: skip
    with pytest.raises(ConnectorError) as info:
        http_connector.unlock_account(authorisation=same_person)
    assert info.value.retryable is False
    assert not isinstance(info.value, AccountNotFound)
    assert len(reference_server.seen) == 1


def test_requests_are_signed_over_the_documented_string(http_connector, reference_server):
    http_connector.fund_records(uid=MAIN_UID, asset="USDT", limit=5)
    seen = reference_server.seen[0]
    target = seen.path + "?" + "&".join(f"{k}={v[0]}" for k, v in seen.query.items())
    expected = wire.sign(
        secret=SECRET, timestamp=seen.headers["x-kefu-timestamp"], method="GET",
        target=target, body=b"",
    )  # fmt: skip
    assert seen.headers["x-kefu-key-id"] == KEY_ID
    assert seen.headers["x-kefu-signature"] == expected
    assert abs(int(seen.headers["x-kefu-timestamp"]) - time.time()) < 3600


def test_wrong_secret_is_rejected_as_permanent(reference_server, sleeps):
    bad = HttpConnector(base_url=reference_server.url, key_id=KEY_ID, secret="wrong", sleep=sleeps)
    with pytest.raises(ConnectorError) as info:
        bad.account(uid=MAIN_UID)
    assert info.value.retryable is False
    assert "401" in str(info.value)
    assert "bad_signature" in str(info.value)
    assert [s.status for s in reference_server.seen] == [401]
    assert sleeps == []


def test_unknown_key_id_is_rejected(reference_server, sleeps):
    bad = HttpConnector(base_url=reference_server.url, key_id="other", secret=SECRET, sleep=sleeps)
    with pytest.raises(ConnectorError):
        bad.account(uid=MAIN_UID)
    assert [s.status for s in reference_server.seen] == [401]


def test_expired_timestamp_is_rejected(reference_server, sleeps):
    stale = HttpConnector(
        base_url=reference_server.url, key_id=KEY_ID, secret=SECRET, sleep=sleeps,
        now=lambda: time.time() - wire.SIGNATURE_WINDOW_SECONDS - 60,
    )  # fmt: skip
    with pytest.raises(ConnectorError) as info:
        stale.account(uid=MAIN_UID)
    assert info.value.retryable is False
    assert [s.status for s in reference_server.seen] == [401]


def test_retries_500_then_succeeds(http_connector, reference_server, sleeps):
    reference_server.faults.extend([Fault(status=500), Fault(status=502)])
    assert http_connector.account(uid=MAIN_UID).uid == MAIN_UID
    assert [s.status for s in reference_server.seen] == [500, 502, 200]
    assert sleeps == [0.25, 0.5]
    stamps = {s.headers["x-kefu-signature"] for s in reference_server.seen}
    assert len(stamps) >= 1  # each attempt is signed afresh (same second may give the same one)


def test_gives_up_after_bounded_attempts_with_a_retryable_error(
    http_connector, reference_server, sleeps
):
    reference_server.faults.extend([Fault(status=503)] * 5)
    with pytest.raises(ConnectorError) as info:
        http_connector.security_events(uid=MAIN_UID)
    assert info.value.retryable is True
    assert len(reference_server.seen) == 3
    assert len(reference_server.faults) == 2


def test_no_retry_on_400(http_connector, reference_server, sleeps):
    reference_server.faults.append(Fault(status=400))
    with pytest.raises(ConnectorError) as info:
        http_connector.fund_records(uid=MAIN_UID)
    assert info.value.retryable is False
    assert len(reference_server.seen) == 1
    assert sleeps == []


def test_429_honours_retry_after(http_connector, reference_server, sleeps):
    reference_server.faults.append(Fault(status=429, retry_after="2"))
    assert http_connector.account(uid=MAIN_UID).uid == MAIN_UID
    assert sleeps == [2.0]
    assert [s.status for s in reference_server.seen] == [429, 200]


def test_429_with_a_long_retry_after_is_not_waited_for(http_connector, reference_server, sleeps):
    reference_server.faults.append(Fault(status=429, retry_after="120"))
    with pytest.raises(ConnectorError) as info:
        http_connector.account(uid=MAIN_UID)
    assert info.value.retryable is True
    assert sleeps == []
    assert len(reference_server.seen) == 1


def test_timeout_is_retryable(reference_server, sleeps):
    slow = HttpConnector(
        base_url=reference_server.url, key_id=KEY_ID, secret=SECRET, timeout=0.2,
        max_attempts=1, sleep=sleeps,
    )  # fmt: skip
    reference_server.faults.append(Fault(delay=1.0))
    with pytest.raises(ConnectorError) as info:
        slow.account(uid=MAIN_UID)
    assert info.value.retryable is True
    assert "in time" in str(info.value)


def test_timeout_then_success_is_retried(http_connector, reference_server, sleeps):
    quick = HttpConnector(
        base_url=reference_server.url, key_id=KEY_ID, secret=SECRET, timeout=0.2, sleep=sleeps
    )
    reference_server.faults.append(Fault(delay=1.0))
    assert quick.account(uid=MAIN_UID).uid == MAIN_UID
    assert sleeps == [0.25]


def test_connection_refused_is_retryable(sleeps):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = HttpConnector(
        base_url=f"http://127.0.0.1:{port}", key_id=KEY_ID, secret=SECRET, sleep=sleeps
    )
    with pytest.raises(ConnectorError) as info:
        dead.account(uid=MAIN_UID)
    assert info.value.retryable is True
    assert len(sleeps) == 2


def test_malformed_json_is_a_permanent_error(http_connector, reference_server, sleeps):
    reference_server.faults.append(Fault(malformed=True))
    with pytest.raises(ConnectorError) as info:
        http_connector.account(uid=MAIN_UID)
    assert info.value.retryable is False
    assert len(reference_server.seen) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 12.5},  # a JSON number: floats lose digits
        {"amount": "12,5"},
        {"status": "teleported"},
        {"created_at": "2026-11-20T12:00:00"},  # no offset
        {"confirmations": -1},
        {"uid": "31007919"},  # another account's record
    ],
)
def test_payload_off_the_contract_is_a_permanent_error(
    http_connector, reference_server, memory_backend, change
):
    record = wire.fund_record_to_json(memory_backend.fund_records(uid=MAIN_UID)[0])
    record.update(change)
    reference_server.faults.append(Fault(body=json.dumps({"items": [record]}).encode()))
    with pytest.raises(ConnectorError) as info:
        http_connector.fund_records(uid=MAIN_UID)
    assert info.value.retryable is False


@pytest.mark.parametrize(
    "body", [b"[]", b'{"items": {}}', b'{"uid": 5}', b"null", b'{"items": [1]}']
)
def test_wrong_shapes_are_permanent_errors(http_connector, reference_server, body):
    reference_server.faults.extend([Fault(body=body), Fault(body=body)])
    with pytest.raises(ConnectorError):
        http_connector.account(uid=MAIN_UID)
    with pytest.raises(ConnectorError):
        http_connector.security_events(uid=MAIN_UID)


def test_missing_field_is_a_permanent_error(http_connector, reference_server, memory_backend):
    account = wire.account_to_json(memory_backend.account(uid=MAIN_UID))
    del account["status"]
    reference_server.faults.append(Fault(body=json.dumps(account).encode()))
    with pytest.raises(ConnectorError, match="status is missing"):
        http_connector.account(uid=MAIN_UID)


def test_unknown_extra_fields_are_ignored(http_connector, reference_server, memory_backend):
    account = wire.account_to_json(memory_backend.account(uid=MAIN_UID))
    account["vip_level"] = 3
    reference_server.faults.append(Fault(body=json.dumps(account).encode()))
    assert http_connector.account(uid=MAIN_UID) == memory_backend.account(uid=MAIN_UID)


def test_uid_is_percent_encoded_in_the_path(http_connector, reference_server):
    with pytest.raises(AccountNotFound):
        http_connector.account(uid="a/b?c")
    assert reference_server.seen[0].path == "/accounts/a%2Fb%3Fc"


def test_secret_never_logged_or_shown(reference_server, caplog):
    caplog.set_level(logging.DEBUG)
    connector = HttpConnector(
        base_url=reference_server.url, key_id=KEY_ID, secret=SECRET, sleep=lambda _s: None
    )
    reference_server.faults.extend([Fault(status=500), Fault(status=400)])
    with pytest.raises(ConnectorError) as info:
        connector.account(uid=MAIN_UID)
    assert "retry 1" in caplog.text  # the retry was logged ...
    assert SECRET not in caplog.text  # ... without the secret
    assert SECRET not in repr(connector)
    assert SECRET not in str(info.value)


def test_base_path_is_kept_and_signed(memory_backend, sleeps):
    """An exchange may serve the API under a base path; the signature covers the full path."""
    from kefu.exchange.reference_server import ReferenceServer

    server = ReferenceServer(memory_backend, key_id=KEY_ID, secret=SECRET).start()
    try:
        connector = HttpConnector(
            base_url=server.url + "/kefu/v1/", key_id=KEY_ID, secret=SECRET, sleep=sleeps
        )
        with pytest.raises(ConnectorError) as info:  # the reference server has no base path ...
            connector.account(uid=MAIN_UID)
        assert not isinstance(info.value, AccountNotFound)  # a wrong URL is not "no account"
        assert server.seen[0].path == "/kefu/v1/accounts/31000000"
        assert server.seen[0].status == 404  # ... but the signature was accepted first
    finally:
        server.stop()
