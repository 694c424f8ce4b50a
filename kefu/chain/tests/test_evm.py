"""EVM lookups against a real in-process Ethereum chain (eth-tester on py-evm) served over HTTP."""

from __future__ import annotations

import json
import types

import pytest
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem

from kefu.chain.lookup import lookup

pytest.importorskip(
    "eth_tester", reason="eth-tester[py-evm] (a dev extra) is needed for the in-process EVM node"
)

from kefu.chain.tests.nodes import EvmNode

RECEIPT, BY_HASH, BLOCK_NUMBER = (
    "eth_getTransactionReceipt",
    "eth_getTransactionByHash",
    "eth_blockNumber",
)


@pytest.fixture
def evm(settings):
    node = EvmNode().start()
    settings.KEFU_CHAIN_RPC = {"ETH": {"kind": "evm", "url": node.url}, "ERC20": "ETH"}
    settings.KEFU_CHAIN_CONFIRMATIONS = ""
    settings.KEFU_CHAIN_CACHE_SECONDS = 0
    settings.KEFU_CHAIN_TIMEOUT_SECONDS = 5
    yield node
    node.stop()


def test_transfer_is_pending_until_the_network_threshold_then_confirmed(evm):
    txid = evm.transfer()
    block = evm.tester.get_transaction_receipt(txid)["block_number"]

    first = lookup("ETH", txid)
    assert first is not None
    assert (first.state, first.confirmations, first.block_number) == ("pending", 1, block)
    assert first.network == "ETH"
    assert first.txid == txid
    assert first.confirmations_required == 12  # ETH's default
    assert first.source == f"evm:ETH@{evm.url}"
    assert first.checked_at.tzinfo is not None
    assert evm.methods() == [RECEIPT, BLOCK_NUMBER]

    evm.mine(10)
    eleven = lookup("ETH", txid)
    assert (eleven.state, eleven.confirmations) == ("pending", 11)

    evm.mine(1)
    twelve = lookup("ETH", txid)
    assert (twelve.state, twelve.confirmations, twelve.block_number) == ("confirmed", 12, block)


def test_reverted_contract_call_is_failed_with_its_block(evm):
    contract = evm.deploy_reverting_contract()
    txid = evm.call_contract(contract)
    receipt = evm.tester.get_transaction_receipt(txid)
    assert receipt["status"] == 0  # the EVM really reverted it

    status = lookup("ETH", txid)
    assert (status.state, status.confirmations, status.block_number) == (
        "failed",
        1,
        receipt["block_number"],
    )
    evm.mine(20)
    assert lookup("ETH", txid).state == "failed"  # failure is final, however deep


def test_successful_contract_deployment_is_not_failed(evm):
    deployment = evm.tester.send_transaction(
        {"from": evm.alice, "data": "0x6005600c60003960056000f360006000fd", "gas": 200_000}
    )
    status = lookup("ETH", deployment)
    assert (status.state, status.confirmations) == ("pending", 1)


def test_transaction_waiting_in_the_pool_is_pending_without_a_block(evm):
    evm.hold_transactions()
    txid = evm.transfer()

    waiting = lookup("ETH", txid)
    assert (waiting.state, waiting.confirmations, waiting.block_number) == ("pending", 0, None)
    assert evm.methods() == [RECEIPT, BY_HASH]

    evm.mine(1)
    mined = lookup("ETH", txid)
    assert (mined.state, mined.confirmations) == ("pending", 1)
    assert mined.block_number == evm.tester.get_block_by_number("latest")["number"]


def test_unknown_hash_is_not_found(evm):
    evm.transfer()
    status = lookup("ETH", "0x" + "ab" * 32)
    assert (status.state, status.confirmations, status.block_number) == ("not_found", 0, None)
    assert evm.methods() == [RECEIPT, BY_HASH]


def test_hash_without_0x_in_upper_case_is_normalised(evm):
    txid = evm.transfer()
    status = lookup("eth", txid[2:].upper())
    assert status.txid == txid
    assert status.state == "pending"
    sent = json.loads(evm.requests[0]["body"])
    assert sent["params"] == [txid]
    assert sent["jsonrpc"] == "2.0"


@pytest.mark.parametrize(
    "bad",
    ["", "0x", "0x" + "ab" * 31, "0x" + "ab" * 33, "0x" + "zz" * 32, "0x0x" + "ab" * 31, "hello"],
)
def test_malformed_hash_is_refused_without_asking_the_node(evm, bad):
    with pytest.raises(ValueError, match="64 hexadecimal"):
        lookup("ETH", bad)
    assert evm.requests == []


def test_alias_network_shares_the_node_and_keeps_its_name(evm):
    txid = evm.transfer()
    status = lookup("ERC20", txid)
    assert status.network == "ERC20"
    assert status.source == f"evm:ETH@{evm.url}"
    assert status.confirmations_required == 12


def test_threshold_comes_from_the_setting(evm, settings):
    settings.KEFU_CHAIN_CONFIRMATIONS = json.dumps({"ETH": 3})
    txid = evm.transfer()
    evm.mine(1)
    assert lookup("ETH", txid).state == "pending"
    evm.mine(1)
    status = lookup("ETH", txid)
    assert (status.state, status.confirmations, status.confirmations_required) == (
        "confirmed",
        3,
        3,
    )


def test_answer_is_cached_for_the_cache_seconds_then_asked_again(evm, settings, monkeypatch):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ttl"}
    }
    settings.KEFU_CHAIN_CACHE_SECONDS = 15
    clock = types.SimpleNamespace(time=lambda: now)  # the cache's own clock, moved by hand
    monkeypatch.setattr(cache_base, "time", clock)
    monkeypatch.setattr(locmem, "time", clock)
    now = 1_000_000.0
    evm.hold_transactions()
    txid = evm.transfer()

    first = lookup("ETH", txid)
    asked = len(evm.requests)
    evm.mine(1)
    now += 14
    again = lookup("ERC20", txid)  # the alias shares the cache entry of its node
    assert len(evm.requests) == asked  # served from the cache
    assert (again.state, again.confirmations, again.checked_at) == (
        "pending",
        0,
        first.checked_at,
    )
    assert again.network == "ERC20"

    now += 2  # past 15 s: the entry has expired
    fresh = lookup("ETH", txid)
    assert len(evm.requests) > asked
    assert (fresh.state, fresh.confirmations) == ("pending", 1)
    assert fresh.checked_at > first.checked_at


def test_zero_cache_seconds_asks_the_node_every_time(evm):
    txid = evm.transfer()
    lookup("ETH", txid)
    lookup("ETH", txid)
    assert evm.methods() == [RECEIPT, BLOCK_NUMBER, RECEIPT, BLOCK_NUMBER]
