"""Bitcoin lookups against a double of Bitcoin Core's JSON-RPC server on 127.0.0.1 (Debian has no
bitcoind here; nodes.BitcoinCoreNode reproduces Core's wire format and error texts)."""

from __future__ import annotations

import base64
import json

import pytest

from kefu.chain.lookup import ChainError, lookup
from kefu.chain.tests.nodes import BitcoinCoreNode


@pytest.fixture
def btc(settings):
    node = BitcoinCoreNode().start()
    settings.KEFU_CHAIN_RPC = {"BTC": {"kind": "bitcoin", "url": node.url}}
    settings.KEFU_CHAIN_CONFIRMATIONS = ""
    settings.KEFU_CHAIN_CACHE_SECONDS = 0
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 5
    yield node
    node.stop()


def test_mempool_then_blocks_until_two_confirmations(btc):
    txid = btc.broadcast()
    waiting = lookup("BTC", txid)
    assert (waiting.state, waiting.confirmations, waiting.block_number) == ("pending", 0, None)
    assert waiting.confirmations_required == 2
    assert btc.methods() == ["getrawtransaction"]

    btc.mine(1)
    one = lookup("BTC", txid)
    assert (one.state, one.confirmations, one.block_number) == ("pending", 1, 1)

    btc.mine(1)
    two = lookup("BTC", txid)
    assert (two.state, two.confirmations, two.block_number) == ("confirmed", 2, 1)
    assert two.source == f"bitcoin:BTC@{btc.url_without_credentials}"
    assert btc.methods()[-2:] == ["getrawtransaction", "getblockheader"]


def test_request_uses_core_wire_format_and_basic_auth(btc):
    txid = btc.broadcast()
    lookup("BTC", txid.upper())
    request = btc.requests[0]
    body = json.loads(request["body"])
    assert body["jsonrpc"] == "1.0"
    assert body["method"] == "getrawtransaction"
    assert body["params"] == [txid, True]
    assert isinstance(body["id"], int)
    user_pass = base64.b64decode(request["headers"]["Authorization"].removeprefix("Basic "))
    assert user_pass == b"kefu:s3cret/pass"  # the %2F in the URL is decoded


def test_unknown_txid_is_not_found_from_core_error_minus_5(btc):
    status = lookup("BTC", "cd" * 32)
    assert (status.state, status.confirmations, status.block_number) == ("not_found", 0, None)
    assert len(btc.requests) == 1  # HTTP 500 with error -5 is an answer, not an outage


def test_transaction_evicted_from_the_mempool_is_not_found(btc):
    txid = btc.broadcast()
    assert lookup("BTC", txid).state == "pending"
    btc.evict(txid)
    assert lookup("BTC", txid).state == "not_found"


def test_transaction_whose_block_was_reorganised_away_is_pending_again(btc):
    txid = btc.broadcast()
    btc.mine(1)
    assert lookup("BTC", txid).confirmations == 1
    btc.disconnect_tip()
    status = lookup("BTC", txid)
    assert (status.state, status.confirmations, status.block_number) == ("pending", 0, None)


def test_node_without_txindex_cannot_see_mined_transactions(settings):
    node = BitcoinCoreNode(txindex=False).start()
    try:
        settings.KEFU_CHAIN_RPC = {"BTC": {"kind": "bitcoin", "url": node.url}}
        settings.KEFU_CHAIN_CACHE_SECONDS = 0
        txid = node.broadcast()
        assert lookup("BTC", txid).state == "pending"
        node.mine(1)
        assert lookup("BTC", txid).state == "not_found"  # why docs ask for txindex=1
    finally:
        node.stop()


def test_wrong_credentials_fail_at_once_without_leaking_them(btc, settings):
    wrong = btc.url.replace("s3cret%2Fpass", "not-the-password")
    settings.KEFU_CHAIN_RPC = {"BTC": {"kind": "bitcoin", "url": wrong}}
    with pytest.raises(ChainError) as caught:
        lookup("BTC", btc.broadcast())
    assert caught.value.retryable is False
    assert "401" in caught.value.message
    assert "not-the-password" not in str(caught.value)
    assert len(btc.requests) == 1


@pytest.mark.parametrize(
    "bad", ["0x" + "ab" * 32, "ab" * 31, "ab" * 33, "gg" * 32, "", "  "], ids=repr
)
def test_malformed_txid_is_refused_without_asking_the_node(btc, bad):
    with pytest.raises(ValueError, match="64 hexadecimal"):
        lookup("BTC", bad)
    assert btc.requests == []
