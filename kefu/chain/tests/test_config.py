"""KEFU_CHAIN_RPC parsing, the start-up check, txid normalisation, unconfigured networks."""

from __future__ import annotations

import json

import pytest
from django.core import checks

from kefu.chain import config
from kefu.chain.lookup import ChainError, lookup, normalise_txid
from kefu.chain.tests.nodes import BitcoinCoreNode


def test_network_without_a_node_gives_none(settings):
    settings.KEFU_CHAIN_RPC = {"BTC": {"kind": "bitcoin", "url": "http://127.0.0.1:1"}}
    assert lookup("TRC20", "ab" * 32) is None
    settings.KEFU_CHAIN_RPC = ""
    assert lookup("BTC", "ab" * 32) is None


def test_json_text_from_the_environment_is_read(settings):
    node = BitcoinCoreNode().start()
    try:
        settings.KEFU_CHAIN_RPC = json.dumps({"btc": {"kind": "bitcoin", "url": node.url}})
        settings.KEFU_CHAIN_CONFIRMATIONS = json.dumps({"BTC": 1})
        settings.KEFU_CHAIN_CACHE_SECONDS = 0
        txid = node.broadcast()
        node.mine(1)
        status = lookup("Btc", txid)
        assert (status.network, status.state, status.confirmations) == ("BTC", "confirmed", 1)
    finally:
        node.stop()


def test_defaults_by_network_then_by_kind(settings):
    settings.KEFU_CHAIN_RPC = {
        "BTC": {"kind": "bitcoin", "url": "http://127.0.0.1:1"},
        "ETH": {"kind": "evm", "url": "https://eth.example/v3/key"},
        "BEP20": {"kind": "evm", "url": "https://bsc.example"},
        "POLYGON": {"kind": "evm", "url": "https://polygon.example"},
        "ERC20": "eth",
    }
    settings.KEFU_CHAIN_CONFIRMATIONS = ""
    nodes = config.load_nodes()
    assert {name: node.confirmations_required for name, node in nodes.items()} == {
        "BTC": 2,
        "ETH": 12,
        "BEP20": 15,
        "POLYGON": 12,
        "ERC20": 12,
    }
    assert nodes["ERC20"] is nodes["ETH"]
    assert nodes["ETH"].endpoint == "https://eth.example"
    assert "key" not in repr(nodes["ETH"])


@pytest.mark.parametrize(
    ("rpc", "confirmations", "problem"),
    [
        ("{not json", "", "not valid JSON"),
        ("[1, 2]", "", "must be a JSON object"),
        ({"BTC": {"kind": "litecoin", "url": "http://x"}}, "", "kind"),
        ({"BTC": {"kind": "bitcoin"}}, "", 'needs a "url"'),
        ({"BTC": {"kind": "bitcoin", "url": "ftp://u:hunter2@x"}}, "", "http:// or https://"),
        ({"BTC": {"kind": "bitcoin", "url": "http://x", "tls": 1}}, "", "unknown keys: tls"),
        ({"BTC": {"kind": "bitcoin", "url": "http://x"}, "btc": "ETH"}, "", "twice"),
        ({"ERC20": "ETH"}, "", "alias of 'ETH'"),
        ({"ETH": 5}, "", "must be an object"),
        ({}, '{"BTC": 0}', "at least 1"),
        ({}, '{"BTC": "2"}', "at least 1"),
    ],
)
def test_malformed_configuration_is_reported_at_start_up_and_at_lookup(
    settings, rpc, confirmations, problem
):
    settings.KEFU_CHAIN_RPC = rpc
    settings.KEFU_CHAIN_CONFIRMATIONS = confirmations
    errors = [m for m in checks.run_checks() if m.id == "chain.E001"]
    assert len(errors) == 1
    assert problem in errors[0].msg
    assert "hunter2" not in errors[0].msg
    with pytest.raises(ChainError) as caught:
        lookup("BTC", "ab" * 32)
    assert caught.value.retryable is False
    assert problem in caught.value.message


def test_valid_configuration_passes_the_check(settings):
    settings.KEFU_CHAIN_RPC = {"ETH": {"kind": "evm", "url": "https://u:p@[::1]:8545/x"}}
    assert [m for m in checks.run_checks() if m.id == "chain.E001"] == []
    assert config.node_for("eth").endpoint == "https://[::1]:8545"


def test_normalise_txid():
    upper = "AB" * 32
    assert normalise_txid("evm", upper) == "0x" + "ab" * 32
    assert normalise_txid("evm", " 0X" + upper + " ") == "0x" + "ab" * 32
    assert normalise_txid("bitcoin", upper) == "ab" * 32
    with pytest.raises(ValueError, match="Bitcoin transaction id"):
        normalise_txid("bitcoin", "0x" + "ab" * 32)
    with pytest.raises(ValueError, match="EVM transaction hash"):
        normalise_txid("evm", "ab" * 30)
