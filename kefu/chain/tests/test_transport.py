"""Node failures: what is retried, how often, how errors are classified, and that credentials in
node URLs never reach logs or error messages. Real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from kefu.chain.lookup import ChainError, lookup
from kefu.chain.tests.nodes import BitcoinCoreNode, Fault


@pytest.fixture
def btc(settings):
    node = BitcoinCoreNode().start()
    settings.KEFU_CHAIN_RPC = {"BTC": {"kind": "bitcoin", "url": node.url + "/v3/APIKEY123"}}
    settings.KEFU_CHAIN_CONFIRMATIONS = ""
    settings.KEFU_CHAIN_CACHE_SECONDS = 15
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 5
    yield node
    node.stop()


def _json_error(code: int, message: str) -> bytes:
    return json.dumps(
        {"result": None, "error": {"code": code, "message": message}, "id": 1}
    ).encode()


def test_server_errors_are_retried_and_the_answer_still_arrives(btc):
    txid = btc.broadcast()
    btc.faults = [Fault("status", 503), Fault("status", 502)]
    status = lookup("BTC", txid)
    assert status.state == "pending"
    assert len(btc.requests) == 3


def test_server_errors_give_up_after_two_retries_as_retryable(btc):
    btc.faults = [Fault("status", 503)] * 5
    with pytest.raises(ChainError) as caught:
        lookup("BTC", btc.broadcast())
    assert caught.value.retryable is True
    assert "HTTP 503" in caught.value.message
    assert len(btc.requests) == 3
    assert btc.faults == [Fault("status", 503)] * 2  # nothing more was asked


def test_failures_are_not_cached(btc):
    txid = btc.broadcast()
    btc.faults = [Fault("status", 500)] * 3
    with pytest.raises(ChainError):
        lookup("BTC", txid)
    assert lookup("BTC", txid).state == "pending"
    assert len(btc.requests) == 4


def test_timeouts_are_retried_then_reported_as_retryable(btc, settings):
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 0.2
    txid = btc.broadcast()
    btc.faults = [Fault("sleep", seconds=1.0)] * 3
    with pytest.raises(ChainError) as caught:
        lookup("BTC", txid)
    assert caught.value.retryable is True
    assert "timed out" in caught.value.message
    assert len(btc.requests) == 3


def test_one_timeout_then_an_answer(btc, settings):
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 0.2
    txid = btc.broadcast()
    btc.faults = [Fault("sleep", seconds=1.0)]
    assert lookup("BTC", txid).state == "pending"


def test_dropped_connection_is_retried(btc):
    txid = btc.broadcast()
    btc.faults = [Fault("drop")]
    assert lookup("BTC", txid).state == "pending"
    assert len(btc.requests) == 2


def test_refused_connection_is_retryable(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the lookup: nothing listens there
    settings.KEFU_CHAIN_RPC = {"BTC": {"kind": "bitcoin", "url": f"http://127.0.0.1:{port}"}}
    with pytest.raises(ChainError) as caught:
        lookup("BTC", "ab" * 32)
    assert caught.value.retryable is True
    assert "ConnectError" in caught.value.message


def test_rate_limit_is_retryable_but_not_hammered(btc):
    btc.faults = [Fault("status", 429)]
    with pytest.raises(ChainError) as caught:
        lookup("BTC", btc.broadcast())
    assert caught.value.retryable is True
    assert len(btc.requests) == 1


def test_non_json_answer_is_a_permanent_error(btc):
    btc.faults = [Fault("status", 200, body=b"<html>captive portal</html>")]
    with pytest.raises(ChainError) as caught:
        lookup("BTC", btc.broadcast())
    assert caught.value.retryable is False
    assert "malformed" in caught.value.message
    assert len(btc.requests) == 1


def test_node_warming_up_is_retryable_and_other_rpc_errors_are_not(btc):
    btc.faults = [Fault("status", 500, body=_json_error(-28, "Loading block index…"))]
    with pytest.raises(ChainError) as warming:
        lookup("BTC", btc.broadcast())
    assert warming.value.retryable is True
    assert "-28" in warming.value.message

    btc.faults = [Fault("status", 500, body=_json_error(-1, "something broke"))]
    with pytest.raises(ChainError) as other:
        lookup("BTC", btc.broadcast())
    assert other.value.retryable is False
    assert len(btc.requests) == 2  # neither was retried


def test_credentials_and_url_path_never_reach_logs_or_errors(btc, caplog):
    caplog.set_level(logging.DEBUG)
    txid = btc.broadcast()
    btc.faults = [Fault("status", 503), Fault("drop")]
    assert lookup("BTC", txid).state == "pending"
    btc.faults = [Fault("status", 503)] * 3
    with pytest.raises(ChainError) as caught:
        lookup("BTC", btc.broadcast())
    text = caplog.text + str(caught.value) + repr(caught.value)
    assert "retrying" in caplog.text  # the retries were logged...
    assert f"127.0.0.1:{btc.port}" in caplog.text
    for secret in ("kefu:", "s3cret", "APIKEY123"):  # ...without credentials or the path
        assert secret not in text
