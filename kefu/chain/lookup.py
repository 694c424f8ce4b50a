"""Where a transaction stands on its chain: ``lookup(network, txid)``.

EVM networks are asked ``eth_getTransactionReceipt`` (``status`` 0x0 = failed), then
``eth_blockNumber`` for the confirmation count, or ``eth_getTransactionByHash`` when there is
no receipt yet (null = not found; no block = pending in the mempool). Bitcoin Core is asked
``getrawtransaction <txid> true`` (error -5 = not found; no ``confirmations`` = in the mempool),
then ``getblockheader`` for the block height. A transaction with fewer confirmations than its
network requires (``config.DEFAULT_CONFIRMATIONS``, KEFU_CHAIN_CONFIRMATIONS) is ``pending``.

Every answer, whatever its state, is cached for KEFU_CHAIN_CACHE_SECONDS (docs/subsystems/
chain.md says why final states are not kept longer). Chain data is public: auditing who asked
about which customer's transaction is the caller's job (the diagnosis service).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache

from kefu.chain.config import ConfigurationError, Node, node_for
from kefu.chain.rpc import ChainError, RpcError, RpcSession
from kefu.core import clock

__all__ = ["ChainError", "ChainStatus", "State", "lookup", "normalise_txid"]

logger = logging.getLogger(__name__)

State = Literal["not_found", "pending", "confirmed", "failed"]

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
# JSON-RPC error codes that mean "not now" rather than "never": Bitcoin Core warming up
# (RPC_IN_WARMUP), an EVM provider's request limit.
_RETRYABLE_RPC_CODES = frozenset({-28, -32005})
_BTC_NOT_FOUND = -5  # RPC_INVALID_ADDRESS_OR_KEY: "No such mempool or blockchain transaction"


@dataclass(frozen=True, slots=True)
class ChainStatus:
    network: str  # as asked, upper-cased (an alias such as ERC20 stays ERC20)
    txid: str  # normalised: EVM 0x + 64 lower-case hex, Bitcoin 64 lower-case hex
    state: State
    confirmations: int  # 0 unless the transaction is in a block
    block_number: int | None
    checked_at: datetime  # when the node answered (a cached answer keeps its time)
    source: str  # "kind:NETWORK@scheme://host:port", never credentials
    confirmations_required: int = 0  # the network's threshold for "confirmed"


def normalise_txid(kind: str, txid: str) -> str:
    """Return the canonical form of ``txid`` for a chain ``kind``; raise ValueError if malformed."""
    value = txid.strip() if isinstance(txid, str) else ""
    if kind == "evm":
        bare = value[2:] if value[:2].lower() == "0x" else value
        if not _HEX64.fullmatch(bare):
            raise ValueError(
                "An EVM transaction hash is 0x followed by 64 hexadecimal characters "
                f"(got {len(value)} characters)."
            )
        return "0x" + bare.lower()
    if not _HEX64.fullmatch(value):
        raise ValueError(
            f"A Bitcoin transaction id is 64 hexadecimal characters (got {len(value)} characters)."
        )
    return value.lower()


def lookup(network: str, txid: str) -> ChainStatus | None:
    """Report where ``txid`` stands on ``network``; None when no node is configured for it.

    Raises ValueError for a malformed txid (nothing is sent to the node) and ChainError when
    the node cannot answer (after bounded retries for timeouts, connection errors and 5xx) or
    KEFU_CHAIN_RPC is malformed.
    """
    asked = network.strip().upper()
    try:
        node = node_for(asked)
    except ConfigurationError as exc:
        raise ChainError(str(exc), retryable=False) from None
    if node is None:
        return None
    canonical = normalise_txid(node.kind, txid)

    key = _cache_key(node, canonical)
    cached = _cache_get(key)
    if cached is not None:
        try:
            return ChainStatus(**{**cached, "network": asked})
        except TypeError:  # written by a version with other fields: ask the node
            pass

    timeout = float(settings.KEFU_CHAIN_TIMEOUT_SECONDS)
    with RpcSession(node, timeout=timeout) as session:
        try:
            if node.kind == "evm":
                status = _lookup_evm(session, node, asked, canonical)
            else:
                status = _lookup_bitcoin(session, node, asked, canonical)
        except RpcError as exc:
            raise ChainError(
                f"{node.endpoint}: {exc}", retryable=exc.code in _RETRYABLE_RPC_CODES
            ) from None

    ttl = float(settings.KEFU_CHAIN_CACHE_SECONDS)
    if ttl > 0:
        _cache_set(key, asdict(status), ttl)
    return status


def _status(
    node: Node,
    asked: str,
    txid: str,
    state: State,
    confirmations: int = 0,
    block_number: int | None = None,
) -> ChainStatus:
    return ChainStatus(
        network=asked,
        txid=txid,
        state=state,
        confirmations=confirmations,
        block_number=block_number,
        checked_at=clock.now(),
        source=node.source,
        confirmations_required=node.confirmations_required,
    )


def _settled(node: Node, confirmations: int) -> State:
    return "confirmed" if confirmations >= node.confirmations_required else "pending"


# EVM


def _quantity(node: Node, value: object, what: str) -> int:
    if isinstance(value, str) and value[:2] in {"0x", "0X"}:
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise ChainError(f"{node.endpoint}: malformed {what} in the node's answer", retryable=False)


def _object(node: Node, value: object, method: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise ChainError(f"{node.endpoint}: malformed answer to {method}", retryable=False)


def _lookup_evm(session: RpcSession, node: Node, asked: str, txid: str) -> ChainStatus:
    receipt = _object(node, session.call("eth_getTransactionReceipt", [txid]), "receipt")
    if receipt is None or receipt.get("blockNumber") is None:
        tx = _object(node, session.call("eth_getTransactionByHash", [txid]), "transaction")
        if tx is None:
            return _status(node, asked, txid, "not_found")
        if tx.get("blockNumber") is None:
            return _status(node, asked, txid, "pending")
        # Mined, but the node has no receipt for it yet: its outcome is not known.
        block = _quantity(node, tx["blockNumber"], "blockNumber")
        latest = _quantity(node, session.call("eth_blockNumber", []), "block number")
        return _status(node, asked, txid, "pending", max(0, latest - block + 1), block)

    block = _quantity(node, receipt["blockNumber"], "blockNumber")
    latest = _quantity(node, session.call("eth_blockNumber", []), "block number")
    confirmations = max(0, latest - block + 1)  # the including block is the first confirmation
    # Receipts before Byzantium (2017) carry no status: those transactions cannot be told apart.
    status = receipt.get("status")
    if status is not None and _quantity(node, status, "status") == 0:
        return _status(node, asked, txid, "failed", confirmations, block)
    return _status(node, asked, txid, _settled(node, confirmations), confirmations, block)


# Bitcoin Core


def _lookup_bitcoin(session: RpcSession, node: Node, asked: str, txid: str) -> ChainStatus:
    try:
        tx = _object(node, session.call("getrawtransaction", [txid, True]), "getrawtransaction")
    except RpcError as exc:
        if exc.code == _BTC_NOT_FOUND:
            return _status(node, asked, txid, "not_found")
        raise
    if tx is None:
        raise ChainError(f"{node.endpoint}: empty answer to getrawtransaction", retryable=False)
    confirmations = tx.get("confirmations")
    blockhash = tx.get("blockhash")
    if confirmations is None or blockhash is None:
        return _status(node, asked, txid, "pending")  # in the mempool
    if isinstance(confirmations, bool) or not isinstance(confirmations, int):
        raise ChainError(f"{node.endpoint}: malformed confirmations", retryable=False)
    if confirmations <= 0:  # its block left the active chain (a reorganisation)
        return _status(node, asked, txid, "pending")
    height: int | None = None
    try:
        header = _object(node, session.call("getblockheader", [blockhash, True]), "header")
    except RpcError as exc:
        if exc.code != _BTC_NOT_FOUND:
            raise
        header = None  # the block was replaced between the two calls; the count still stands
    if header is not None and isinstance(header.get("height"), int):
        height = header["height"]
    return _status(node, asked, txid, _settled(node, confirmations), confirmations, height)


# Cache: a cache that is down must not stop lookups.


def _cache_key(node: Node, txid: str) -> str:
    fingerprint = hashlib.sha256(f"{node.kind}|{node.url}".encode()).hexdigest()[:16]
    return f"kefu:chain:v1:{node.network}:{fingerprint}:{txid}"


def _cache_get(key: str) -> dict[str, Any] | None:
    try:
        value = cache.get(key)
    except Exception:  # any cache backend failure
        logger.warning("chain lookup cache unavailable; asking the node", exc_info=True)
        return None
    return value if isinstance(value, dict) else None


def _cache_set(key: str, value: dict[str, Any], ttl: float) -> None:
    try:
        cache.set(key, value, timeout=ttl)
    except Exception:  # any cache backend failure
        logger.warning("chain lookup cache unavailable; answer not cached", exc_info=True)
