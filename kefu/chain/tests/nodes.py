"""Chain nodes on 127.0.0.1 for the lookup tests, speaking the real JSON-RPC wire formats.

``EvmNode`` serves a real in-process Ethereum chain (eth-tester on py-evm: real transactions,
real EVM execution, real receipts) over HTTP, encoding answers the way geth does (hex
quantities, null for unknown hashes, JSON-RPC 2.0 errors with HTTP 200).

``BitcoinCoreNode`` is a test double: Debian's archive here has no ``bitcoind`` package, so it
imitates Bitcoin Core's RPC server (src/httprpc.cpp, src/rpc/rawtransaction.cpp) for the calls
Kefu makes: HTTP Basic auth (401 with an empty body otherwise), JSON-RPC 1.0 answers
``{"result", "error", "id"}`` with HTTP 500 for an error object (404 for an unknown method),
JSON-RPC 2.0 answers with HTTP 200, ``getrawtransaction`` with Core's verbose fields and exact
error texts, ``getblockheader`` and ``getblockcount``, over a small chain of blocks and a mempool.

Both can inject transport faults (``faults``) before answering, and record every request.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """What to do to the next request instead of (or before) answering it."""

    kind: str  # "status": answer HTTP `status` with `body`; "sleep": wait, then answer; "drop"
    status: int = 503
    body: bytes = b""
    seconds: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        node = self.server.node
        with node.lock:
            node.requests.append({"headers": dict(self.headers.items()), "body": raw})
            fault = node.faults.pop(0) if node.faults else None
        if fault is not None:
            if fault.kind == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if fault.kind == "status":
                self._send(fault.status, fault.body, "text/html")
                return
            if fault.kind == "sleep":
                time.sleep(fault.seconds)
        status, payload, extra = node.answer(raw, self.headers)
        body = b"" if payload is None else json.dumps(payload).encode() + b"\n"
        with contextlib.suppress(OSError):  # the client gave up (a timeout test)
            self._send(status, body, "application/json", extra)

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    node: JsonRpcNode


class JsonRpcNode:
    """An HTTP server on 127.0.0.1 whose ``answer`` subclasses implement."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.node = self
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> JsonRpcNode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def methods(self) -> list[str]:
        """The JSON-RPC methods asked so far, in order (unparseable bodies as "?")."""
        names = []
        for request in self.requests:
            try:
                names.append(json.loads(request["body"])["method"])
            except (ValueError, KeyError, TypeError):
                names.append("?")
        return names

    def answer(self, raw: bytes, headers: Any) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


# EVM: eth-tester behind geth's encoding


def _hex(value: int | None) -> str | None:
    return None if value is None else hex(value)


class EvmNode(JsonRpcNode):
    def __init__(self) -> None:
        from eth_tester import EthereumTester, PyEVMBackend

        super().__init__()
        self.tester = EthereumTester(PyEVMBackend())
        accounts = self.tester.get_accounts()
        self.alice, self.bob = accounts[0], accounts[1]
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "eth_blockNumber": lambda _p: hex(self.tester.get_block_by_number("latest")["number"]),
            "eth_chainId": lambda _p: hex(131277322940537),
            "eth_getTransactionByHash": self._transaction,
            "eth_getTransactionReceipt": self._receipt,
        }

    # Driving the chain from a test

    def transfer(self, value: int = 10**18) -> str:
        with self.lock:
            return str(
                self.tester.send_transaction(
                    {"from": self.alice, "to": self.bob, "value": value, "gas": 21000}
                )
            )

    def deploy_reverting_contract(self) -> str:
        """A contract whose code is PUSH1 0 PUSH1 0 REVERT: every call to it fails."""
        runtime = "60006000fd"
        init = "0x6005600c60003960056000f3" + runtime  # CODECOPY the runtime, RETURN it
        with self.lock:
            tx = self.tester.send_transaction({"from": self.alice, "data": init, "gas": 200_000})
            address = self.tester.get_transaction_receipt(tx)["contract_address"]
            assert self.tester.get_code(address) == "0x" + runtime
            return str(address)

    def call_contract(self, address: str) -> str:
        with self.lock:
            return str(
                self.tester.send_transaction(
                    {"from": self.alice, "to": address, "gas": 50_000, "data": "0x"}
                )
            )

    def mine(self, blocks: int) -> None:
        with self.lock:
            self.tester.mine_blocks(blocks)

    def hold_transactions(self) -> None:
        """Leave sent transactions in the pool until ``mine`` (as a busy network does)."""
        with self.lock:
            self.tester.disable_auto_mine_transactions()

    # JSON-RPC

    def answer(self, raw: bytes, headers: Any) -> tuple[int, Any, dict[str, str]]:
        try:
            request = json.loads(raw)
        except ValueError:
            return 200, _rpc2(None, error=(-32700, "parse error")), {}
        method, params, rid = request.get("method"), request.get("params") or [], request.get("id")
        handler = self._methods.get(method)
        if handler is None:
            message = f"the method {method} does not exist/is not available"
            return 200, _rpc2(rid, error=(-32601, message)), {}
        try:
            with self.lock:
                result = handler(params)
        except _InvalidParams as exc:
            return 200, _rpc2(rid, error=(-32602, str(exc))), {}
        return 200, _rpc2(rid, result=result), {}

    def _hash_param(self, params: list[Any]) -> str:
        value = params[0] if params else None
        if not isinstance(value, str) or not value.startswith("0x"):
            raise _InvalidParams("invalid argument 0: json: cannot unmarshal hex string")
        if len(value) != 66:
            raise _InvalidParams(
                f"invalid argument 0: hex string has length {len(value) - 2}, want 64 for "
                "common.Hash"
            )
        return value

    def _transaction(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            tx = self.tester.get_transaction_by_hash(self._hash_param(params))
        except TransactionNotFound:
            return None
        return {
            "blockHash": tx["block_hash"],
            "blockNumber": _hex(tx["block_number"]),
            "from": tx["from"].lower(),
            "gas": _hex(tx["gas"]),
            "gasPrice": _hex(tx.get("gas_price")),
            "hash": tx["hash"],
            "input": tx["data"],
            "nonce": _hex(tx["nonce"]),
            "to": tx["to"].lower() if tx["to"] else None,
            "transactionIndex": _hex(tx["transaction_index"]),
            "value": _hex(tx["value"]),
            "type": tx["type"],
            "chainId": _hex(tx["chain_id"]),
            "v": _hex(tx["v"]),
            "r": _hex(tx["r"]),
            "s": _hex(tx["s"]),
        }

    def _receipt(self, params: list[Any]) -> dict[str, Any] | None:
        from eth_tester.exceptions import TransactionNotFound

        try:
            receipt = self.tester.get_transaction_receipt(self._hash_param(params))
        except TransactionNotFound:
            return None  # unknown, or still in the pool: geth answers null for both
        return {
            "blockHash": receipt["block_hash"],
            "blockNumber": _hex(receipt["block_number"]),
            "contractAddress": receipt["contract_address"],
            "cumulativeGasUsed": _hex(receipt["cumulative_gas_used"]),
            "effectiveGasPrice": _hex(receipt["effective_gas_price"]),
            "from": receipt["from"].lower(),
            "gasUsed": _hex(receipt["gas_used"]),
            "logs": [],
            "logsBloom": "0x" + "00" * 256,
            "status": _hex(receipt["status"]),
            "to": receipt["to"].lower() if receipt["to"] else None,
            "transactionHash": receipt["transaction_hash"],
            "transactionIndex": _hex(receipt["transaction_index"]),
            "type": receipt["type"],
        }


class _InvalidParams(Exception):
    pass


def _rpc2(rid: Any, result: Any = None, error: tuple[int, str] | None = None) -> dict[str, Any]:
    if error is not None:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": error[0], "message": error[1]}}
    return {"jsonrpc": "2.0", "id": rid, "result": result}


# Bitcoin Core double

RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_INVALID_PARAMETER = -8
RPC_METHOD_NOT_FOUND = -32601
RPC_INVALID_REQUEST = -32600
RPC_PARSE_ERROR = -32700
NO_SUCH_TX = (
    "No such mempool or blockchain transaction. Use gettransaction for wallet transactions."
)
NO_SUCH_TX_NO_INDEX = (
    "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain "
    "transaction queries. Use gettransaction for wallet transactions."
)


class _RpcFailure(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


class BitcoinCoreNode(JsonRpcNode):
    def __init__(
        self,
        *,
        user: str = "kefu",
        password: str = "s3cret/pass",  # noqa: S107 - a test node's password
        txindex: bool = True,
    ) -> None:
        super().__init__()
        self.user, self.password, self.txindex = user, password, txindex
        self.mempool: dict[str, dict[str, Any]] = {}
        self.blocks: list[dict[str, Any]] = []
        self.confirmed: dict[str, tuple[dict[str, Any], int]] = {}  # txid -> (tx, height)
        self._clock = 1_700_000_000
        self._append_block([])  # genesis

    @property
    def url(self) -> str:
        return f"http://{self.user}:{self.password.replace('/', '%2F')}@127.0.0.1:{self.port}"

    @property
    def url_without_credentials(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Driving the chain from a test

    def broadcast(self) -> str:
        """A new transaction in the mempool; returns its txid (display byte order)."""
        raw = b"\x02\x00\x00\x00" + os.urandom(120)
        txid = _sha256d(raw)[::-1].hex()
        with self.lock:
            self.mempool[txid] = {
                "txid": txid,
                "hash": txid,
                "version": 2,
                "size": len(raw),
                "vsize": len(raw),
                "weight": len(raw) * 4,
                "locktime": 0,
                "vin": [{"txid": "00" * 32, "vout": 0, "scriptSig": {"asm": "", "hex": ""}}],
                "vout": [{"value": 0.5, "n": 0, "scriptPubKey": {"type": "witness_v0_keyhash"}}],
                "hex": raw.hex(),
            }
        return txid

    def mine(self, blocks: int = 1) -> None:
        with self.lock:
            for _ in range(blocks):
                txids = list(self.mempool)
                height = len(self.blocks)
                for txid in txids:
                    self.confirmed[txid] = (self.mempool.pop(txid), height)
                self._append_block(txids)

    def evict(self, txid: str) -> None:
        with self.lock:
            del self.mempool[txid]

    def disconnect_tip(self) -> None:
        """Undo the last block (a reorganisation): its transactions go back to the mempool."""
        with self.lock:
            block = self.blocks.pop()
            for txid in block["tx"]:
                tx, _height = self.confirmed.pop(txid)
                self.mempool[txid] = tx

    def _append_block(self, txids: list[str]) -> None:
        self._clock += 600
        prev = self.blocks[-1]["hash"] if self.blocks else "00" * 32
        header = bytes.fromhex(prev) + len(self.blocks).to_bytes(4, "little") + os.urandom(8)
        self.blocks.append(
            {"hash": _sha256d(header)[::-1].hex(), "time": self._clock, "tx": txids, "prev": prev}
        )

    # JSON-RPC over HTTP, as src/httprpc.cpp answers

    def answer(self, raw: bytes, headers: Any) -> tuple[int, Any, dict[str, str]]:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, None, {"WWW-Authenticate": 'Basic realm="jsonrpc"'}
        try:
            request = json.loads(raw)
        except ValueError:
            return 500, _rpc1(None, error=(RPC_PARSE_ERROR, "Parse error")), {}
        if not isinstance(request, dict):
            return 400, _rpc1(None, error=(RPC_INVALID_REQUEST, "Invalid Request object")), {}
        rid = request.get("id")
        legacy = request.get("jsonrpc") != "2.0"
        try:
            with self.lock:
                result = self._dispatch(request.get("method"), request.get("params") or [])
        except _RpcFailure as exc:
            if not legacy:
                body = {"jsonrpc": "2.0", "error": {"code": exc.code, "message": exc.message}}
                return 200, {**body, "id": rid}, {}
            status = 500
            if exc.code == RPC_METHOD_NOT_FOUND:
                status = 404
            elif exc.code == RPC_INVALID_REQUEST:
                status = 400
            return status, _rpc1(rid, error=(exc.code, exc.message)), {}
        if legacy:
            return 200, _rpc1(rid, result=result), {}
        return 200, {"jsonrpc": "2.0", "result": result, "id": rid}, {}

    def _dispatch(self, method: Any, params: list[Any]) -> Any:
        if method == "getrawtransaction":
            return self._getrawtransaction(params)
        if method == "getblockheader":
            return self._getblockheader(params)
        if method == "getblockcount":
            return len(self.blocks) - 1
        raise _RpcFailure(RPC_METHOD_NOT_FOUND, "Method not found")

    def _hash(self, params: list[Any], name: str) -> str:
        value = params[0] if params else None
        if not isinstance(value, str):
            raise _RpcFailure(
                -3, f"JSON value of type null is not of expected type string ({name})"
            )
        if len(value) != 64:
            raise _RpcFailure(
                RPC_INVALID_PARAMETER,
                f"{name} must be of length 64 (not {len(value)}, for '{value}')",
            )
        if any(c not in "0123456789abcdefABCDEF" for c in value):
            raise _RpcFailure(
                RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value}')"
            )
        return value.lower()

    def _getrawtransaction(self, params: list[Any]) -> Any:
        txid = self._hash(params, "parameter 1")
        verbose = params[1] if len(params) > 1 else 0
        if txid in self.mempool:
            tx = dict(self.mempool[txid])
        elif txid in self.confirmed and self.txindex:
            found, height = self.confirmed[txid]
            block = self.blocks[height]
            tx = {
                **found,
                "blockhash": block["hash"],
                "confirmations": len(self.blocks) - height,
                "time": block["time"],
                "blocktime": block["time"],
            }
        else:
            raise _RpcFailure(
                RPC_INVALID_ADDRESS_OR_KEY, NO_SUCH_TX if self.txindex else NO_SUCH_TX_NO_INDEX
            )
        if verbose in (False, 0):
            return tx["hex"]
        return tx

    def _getblockheader(self, params: list[Any]) -> Any:
        blockhash = self._hash(params, "hash")
        for height, block in enumerate(self.blocks):
            if block["hash"] == blockhash:
                header = {
                    "hash": block["hash"],
                    "confirmations": len(self.blocks) - height,
                    "height": height,
                    "version": 536870912,
                    "time": block["time"],
                    "nTx": len(block["tx"]) + 1,
                    "previousblockhash": block["prev"],
                }
                if height + 1 < len(self.blocks):
                    header["nextblockhash"] = self.blocks[height + 1]["hash"]
                return header
        raise _RpcFailure(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")


def _rpc1(rid: Any, result: Any = None, error: tuple[int, str] | None = None) -> dict[str, Any]:
    err = None if error is None else {"code": error[0], "message": error[1]}
    return {"result": result, "error": err, "id": rid}
