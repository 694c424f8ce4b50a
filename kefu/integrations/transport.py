"""One signed POST to a receiver, with an address check on the connection and a deadline.

httpcore (the transport under httpx) is used directly because it lets us supply the network
backend: ``GuardedBackend`` resolves the host itself, refuses non-public addresses (unless
allowed) and connects to the address it checked, so DNS cannot point a checked name
elsewhere between the check and the connection. Every read and write is bounded by one
overall deadline, so a receiver that trickles bytes cannot hold a worker for long.
Redirects are not followed (a redirect could lead anywhere).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore

from kefu.integrations.targets import address_allowed

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
USER_AGENT = "Kefu-Webhooks/1"


class AddressRefused(Exception):
    """The host resolves to an address Kefu may not connect to."""


class DeliveryTimeout(Exception):
    """The receiver did not answer within the deadline."""


class DeliveryNetworkError(Exception):
    """The connection failed (DNS, refused, reset, TLS, malformed response)."""


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._left(timeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, *, allow_private: bool, deadline: float) -> None:
        self._allow_private = allow_private
        self._deadline = deadline
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses or not all(
            address_allowed(a, allow_private=self._allow_private) for a in addresses
        ):
            raise AddressRefused(host)
        error: Exception | None = None
        for address in addresses:
            left = self._deadline - time.monotonic()
            if left <= 0:
                break
            try:
                stream = self._sync.connect_tcp(
                    address,
                    port,
                    timeout=min(timeout or left, left),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise error or httpcore.ConnectTimeout("deadline passed")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise AddressRefused(path)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int


def post(
    url: str,
    body: bytes,
    headers: list[tuple[str, str]],
    *,
    allow_private: bool,
    connect_timeout: float | None = None,
    total_timeout: float | None = None,
) -> Answer:
    """POST ``body`` to ``url`` and return the status; the response body is not read.

    Raises AddressRefused (permanent), DeliveryTimeout or DeliveryNetworkError (retryable).
    """
    connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
    total_timeout = TOTAL_TIMEOUT if total_timeout is None else total_timeout
    deadline = time.monotonic() + total_timeout
    backend = GuardedBackend(allow_private=allow_private, deadline=deadline)
    all_headers = [
        ("User-Agent", USER_AGENT),
        ("Content-Type", "application/json"),
        *headers,
    ]
    timeouts = {
        "connect": connect_timeout,
        "read": total_timeout,
        "write": total_timeout,
        "pool": connect_timeout,
    }
    try:
        with (
            httpcore.ConnectionPool(network_backend=backend, max_connections=1, retries=0) as pool,
            pool.stream(
                "POST", url, headers=all_headers, content=body, extensions={"timeout": timeouts}
            ) as response,
        ):
            return Answer(status=response.status)
    except httpcore.TimeoutException as exc:
        raise DeliveryTimeout(str(exc) or "timed out") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise DeliveryNetworkError(str(exc) or type(exc).__name__) from exc
    except ssl.SSLError as exc:
        raise DeliveryNetworkError(f"TLS: {exc.reason or exc}") from exc
