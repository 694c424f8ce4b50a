"""One JSON-RPC call to a chain node, with a deadline, bounded retries and classified errors.

Requests go through httpx's transport directly rather than ``httpx.Client``: the client logs
every request URL at INFO, and a node URL may hold a password or a provider's API key. Here
credentials in the URL become a Basic ``Authorization`` header, and only ``Node.endpoint``
(scheme, host, port) appears in logs and error messages. Redirects are not followed and no
proxy is used: a node is addressed directly.

Retried (at most ``MAX_RETRIES`` times, after ``BACKOFF_SECONDS``): timeouts, connection errors
and HTTP 5xx without a JSON-RPC error body. Bitcoin Core answers JSON-RPC 1.0 errors with HTTP
500 *and* an error object: those are answers, not outages, and go back to the caller as
``RpcError``. Everything else fails at once.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import time
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from kefu.chain.config import Node

logger = logging.getLogger(__name__)

MAX_RETRIES = 2
BACKOFF_SECONDS = (0.2, 0.5)
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # a verbose Bitcoin transaction can be a few MB
USER_AGENT = "Kefu-Chain/1"

_ids = itertools.count(1)


class ChainError(Exception):
    """The node could not answer the question; ``retryable`` says whether asking later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class RpcError(Exception):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.message = message


class _Retry(Exception):
    """One attempt failed in a way worth another try."""


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, {}
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return bare, {"Authorization": f"Basic {token}"}


class RpcSession:
    """Calls to one node over one connection pool; use as a context manager."""

    def __init__(self, node: Node, *, timeout: float) -> None:
        self.node = node
        self.timeout = timeout
        self.jsonrpc: Literal["1.0", "2.0"] = "1.0" if node.kind == "bitcoin" else "2.0"
        self._url, self._auth = _split_credentials(node.url)
        self._transport = httpx.HTTPTransport(retries=0, trust_env=False)

    def __enter__(self) -> RpcSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self._transport.close()

    def call(self, method: str, params: list[Any]) -> Any:
        """Return the ``result`` of ``method``; raise RpcError or ChainError."""
        attempts = MAX_RETRIES + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(method, params)
            except _Retry as exc:
                if attempt == attempts:
                    raise ChainError(
                        f"{self.node.endpoint}: {exc} ({attempts} attempts)", retryable=True
                    ) from None
                logger.warning(
                    "chain node %s: %s on %s, retrying (attempt %d of %d)",
                    self.node.endpoint,
                    exc,
                    method,
                    attempt,
                    attempts,
                )
                time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, params: list[Any]) -> Any:
        request_id = next(_ids)
        body = json.dumps(
            {"jsonrpc": self.jsonrpc, "id": request_id, "method": method, "params": params}
        ).encode()
        request = httpx.Request(
            "POST",
            self._url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
                **self._auth,
            },
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        deadline = time.monotonic() + self.timeout
        try:
            response = self._transport.handle_request(request)
            try:
                data = bytearray()
                for chunk in response.stream:  # type: ignore[union-attr]
                    data += chunk
                    if len(data) > MAX_RESPONSE_BYTES:
                        raise ChainError(
                            f"{self.node.endpoint}: response to {method} is larger than "
                            f"{MAX_RESPONSE_BYTES} bytes",
                            retryable=False,
                        )
                    if time.monotonic() > deadline:
                        raise _Retry("timed out")
            finally:
                response.close()
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            raise ChainError(
                f"{self.node.endpoint}: cannot send the request ({type(exc).__name__})",
                retryable=False,
            ) from None
        except httpx.TransportError as exc:
            raise _Retry(f"connection failed ({type(exc).__name__})") from None
        return self._parse(method, request_id, response.status_code, bytes(data))

    def _parse(self, method: str, request_id: int, status: int, data: bytes) -> Any:
        where = self.node.endpoint
        try:
            payload = json.loads(data) if data else None
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            error = payload["error"]
            code = error.get("code")
            message = error.get("message")
            raise RpcError(
                code if isinstance(code, int) and not isinstance(code, bool) else 0,
                str(message)[:500] if message is not None else "",
            )
        if status >= 500:
            raise _Retry(f"HTTP {status}")
        if status == 429:
            raise ChainError(f"{where}: rate limited (HTTP 429)", retryable=True)
        if status in {401, 403}:
            raise ChainError(
                f"{where}: the node refused Kefu's credentials (HTTP {status}); check the URL "
                "in KEFU_CHAIN_RPC",
                retryable=False,
            )
        if not 200 <= status < 300:
            raise ChainError(f"{where}: HTTP {status} to {method}", retryable=False)
        if not isinstance(payload, dict) or "result" not in payload:
            raise ChainError(f"{where}: malformed JSON-RPC response to {method}", retryable=False)
        if payload.get("id") != request_id:
            raise ChainError(f"{where}: JSON-RPC response id does not match", retryable=False)
        return payload["result"]
