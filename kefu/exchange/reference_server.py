"""A reference implementation of the exchange API contract (docs/exchange-api.yaml).

It serves any connector (the demo tables through ``DemoConnector``, or an in-memory data set
through ``MemoryConnector``) over HTTP, verifies the HMAC signature and the timestamp window the
way an exchange must, and can inject faults (delays, 5xx, 429 with ``Retry-After``, malformed
JSON) so the ``http`` adapter can be tested against a real server on 127.0.0.1.

    server = ReferenceServer(backend, key_id="kefu", secret="...").start()
    server.url            # http://127.0.0.1:<port>
    server.faults.append(Fault(status=500))   # the next request fails once
    server.stop()

``python -m kefu.exchange.reference_server`` runs it on the demo tables (needs Django settings).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kefu.exchange import wire
from kefu.exchange.connector import (
    AccountNotFound,
    CaseKind,
    ConnectorError,
    Direction,
    ExchangeConnector,
)

MAX_BODY_BYTES = 64 * 1024
MAX_LIMIT = 500
FUND_PARAMS = {"direction", "asset", "network", "txid", "since", "until", "limit"}
EVENT_PARAMS = {"since", "limit"}
ACTIONS = {"freeze": CaseKind.FREEZE, "unlock": CaseKind.UNLOCK, "reset-2fa": CaseKind.RESET_2FA}


@dataclass
class Fault:
    """One injected fault, used by the next request: wait ``delay`` seconds, then answer with
    ``status`` (and ``retry_after``), or with a body that is not JSON (``malformed``), or with
    ``body``; with none of these, answer normally after the delay."""

    delay: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    malformed: bool = False
    body: bytes | None = None  # answer 200 with exactly this body (a payload off the contract)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0


class _BadRequest(Exception):
    pass


@dataclass
class _State:
    backend: ExchangeConnector
    keys: dict[str, str]
    now: Any = time.time
    faults: deque[Fault] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1 or not values[0]:
        raise _BadRequest(f"{name} must be given once and not empty")
    return values[0]


def _time(query: dict[str, list[str]], name: str) -> datetime | None:
    value = _one(query, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadRequest(f"{name} must be an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise _BadRequest(f"{name} needs a UTC offset")
    return moment


def _limit(query: dict[str, list[str]]) -> int:
    value = _one(query, "limit") or "50"
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise _BadRequest(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(value)


def _only(query: dict[str, list[str]], allowed: set[str]) -> None:
    unknown = set(query) - allowed
    if unknown:
        raise _BadRequest(f"unknown parameter {sorted(unknown)[0]}")


class _Handler(BaseHTTPRequestHandler):
    server_version = "KefuExchangeReference/1"
    state: _State  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet in tests; the server is a reference, not a production service

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _send(
        self,
        status: int,
        payload: Any,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        # Record the status before the client can read the answer (tests read ``seen`` as
        # soon as their call returns).
        current = getattr(self, "current_seen", None)
        if current is not None:
            current.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> int:
        self._send(status, wire.error_json(code, message), headers=headers)
        return status

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._error(413, "too_large", "The request body is too large.")
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        seen = Seen(
            method=method,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.current_seen = seen
        state = self.state
        with state.lock:
            state.seen.append(seen)
            fault = state.faults.popleft() if state.faults else None
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                seen.status = self._error(fault.status, "injected", "Injected fault.", extra)
                return
            if fault.malformed or fault.body is not None:
                raw = fault.body if fault.body is not None else b'{"uid": "truncated'
                self._send(200, None, raw=raw)
                seen.status = 200
                return
        seen.status = self._route(method, parts.path, seen.query, body)

    def _authentic(self, method: str, body: bytes) -> bool:
        key_id = self.headers.get(wire.KEY_ID_HEADER, "")
        secret = self.state.keys.get(key_id)
        if not secret:
            return False
        return wire.signature_valid(
            secret=secret,
            timestamp=self.headers.get(wire.TIMESTAMP_HEADER, ""),
            method=method,
            target=self.path,
            body=body,
            signature=self.headers.get(wire.SIGNATURE_HEADER, ""),
            now=self.state.now(),
        )

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> int:
        if not self._authentic(method, body):
            return self._error(401, "bad_signature", "Missing, wrong or expired signature.")
        segments = [unquote(s) for s in path.strip("/").split("/")]
        backend = self.state.backend
        try:
            if method == "GET" and segments == ["accounts"]:
                _only(query, {"email", "phone"})
                email, phone = _one(query, "email"), _one(query, "phone")
                if bool(email) == bool(phone):
                    raise _BadRequest("give exactly one of email or phone")
                try:
                    items = [wire.account_to_json(backend.account(email=email, phone=phone))]
                except AccountNotFound:
                    items = []
                self._send(200, {"items": items})
                return 200
            if len(segments) < 2 or segments[0] != "accounts" or not segments[1]:
                return self._error(404, "not_found", "No such endpoint.")
            uid = segments[1]
            rest = segments[2:]
            if method == "GET" and not rest:
                _only(query, set())
                self._send(200, wire.account_to_json(backend.account(uid=uid)))
                return 200
            if method == "GET" and rest == ["fund-records"]:
                _only(query, FUND_PARAMS)
                direction = _one(query, "direction")
                if direction is not None and direction not in set(Direction):
                    raise _BadRequest("direction must be deposit or withdrawal")
                records = backend.fund_records(
                    uid=uid,
                    direction=Direction(direction) if direction else None,
                    asset=_one(query, "asset"),
                    network=_one(query, "network"),
                    txid=_one(query, "txid"),
                    since=_time(query, "since"),
                    until=_time(query, "until"),
                    limit=_limit(query),
                )
                self._send(200, {"items": [wire.fund_record_to_json(r) for r in records]})
                return 200
            if method == "GET" and rest == ["security-events"]:
                _only(query, EVENT_PARAMS)
                events = backend.security_events(
                    uid=uid, since=_time(query, "since"), limit=_limit(query)
                )
                self._send(200, {"items": [wire.security_event_to_json(e) for e in events]})
                return 200
            if method == "POST" and len(rest) == 1 and rest[0] in ACTIONS:
                _only(query, set())
                return self._action(uid, ACTIONS[rest[0]], body)
            return self._error(404, "not_found", "No such endpoint.")
        except _BadRequest as exc:
            return self._error(400, "bad_request", str(exc))
        except AccountNotFound:
            return self._error(404, "account_not_found", "No such account.")
        except ConnectorError as exc:
            return self._error(409, "action_refused", str(exc))

    def _action(self, uid: str, kind: CaseKind, body: bytes) -> int:
        try:
            authorisation = wire.parse_authorisation(json.loads(body or b"null"))
        except (ValueError, ConnectorError):
            raise _BadRequest("the body must be a case authorisation") from None
        if authorisation.uid != uid or authorisation.kind != kind:
            raise _BadRequest("the case authorises another account or action")
        if authorisation.prepared_by == authorisation.approved_by and kind != CaseKind.FREEZE:
            raise _BadRequest("unlock and 2FA reset need two different people")
        backend = self.state.backend
        act = {
            CaseKind.FREEZE: backend.freeze_account,
            CaseKind.UNLOCK: backend.unlock_account,
            CaseKind.RESET_2FA: backend.reset_two_factor,
        }[kind]
        self._send(200, wire.action_result_to_json(act(authorisation=authorisation)))
        return 200


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is normal here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ReferenceServer:
    """The contract on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        backend: ExchangeConnector,
        *,
        key_id: str,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        now: Any = time.time,
    ) -> None:
        self.state = _State(backend=backend, keys={key_id: secret}, now=now)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._httpd = _Server((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def faults(self) -> deque[Fault]:
        return self.state.faults

    @property
    def seen(self) -> list[Seen]:
        return self.state.seen

    def start(self) -> ReferenceServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self._httpd.serve_forever()


def main() -> None:  # pragma: no cover - a developer tool
    import argparse
    import os

    import django

    parser = argparse.ArgumentParser(description="Serve the exchange API from the demo tables.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key-id", default=os.environ.get("KEFU_EXCHANGE_API_KEY_ID", "kefu"))
    args = parser.parse_args()
    secret = os.environ.get("KEFU_EXCHANGE_API_SECRET", "")
    if not secret:
        parser.error("set KEFU_EXCHANGE_API_SECRET")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from kefu.exchange.adapters.demo import DemoConnector

    server = ReferenceServer(DemoConnector(), key_id=args.key_id, secret=secret, port=args.port)
    print(f"Serving the exchange API on {server.url}")
    server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    main()
