"""The ``http`` connector: the exchange's internal REST API (docs/exchange-api.yaml).

Every request is HMAC-SHA256 signed (``kefu.exchange.wire.sign``) and has a timeout. Retryable
failures (timeouts, connection errors, 5xx, 429) are retried a bounded number of times with
backoff (429 and 503 honour ``Retry-After`` up to a cap); everything else fails at once. Errors
surface as ``ConnectorError(retryable=...)`` or ``AccountNotFound`` (404); a response that does
not match the contract is a permanent ``ConnectorError``, never a crash. Actions are retried too:
the exchange makes them idempotent per case reference. The secret never appears in logs, reprs
or error messages.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from kefu.exchange import wire
from kefu.exchange.connector import (
    AccountNotFound,
    AccountProfile,
    ActionResult,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    Direction,
    FundRecord,
    SecurityEvent,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.25  # doubled after each failed attempt
MAX_RETRY_AFTER_SECONDS = 5.0  # a longer Retry-After is not waited for: the error is returned
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
ACTION_PATHS = {
    CaseKind.FREEZE: "freeze",
    CaseKind.UNLOCK: "unlock",
    CaseKind.RESET_2FA: "reset-2fa",
}


class _Retry(Exception):
    def __init__(self, error: ConnectorError, wait: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
        code = body["error"]["code"]
        return code if isinstance(code, str) and len(code) <= 64 else ""
    except (ValueError, KeyError, TypeError):
        return ""


class HttpConnector:
    name = "http"

    def __init__(
        self,
        *,
        base_url: str,
        key_id: str,
        secret: str,
        timeout: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self._secret = secret
        self.max_attempts = max(1, max_attempts)
        self._sleep = sleep
        self._now = now
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "kefu-exchange-connector"},
        )

    def __repr__(self) -> str:  # never the secret
        return f"HttpConnector(base_url={self.base_url!r}, key_id={self.key_id!r})"

    def close(self) -> None:
        self._client.close()

    # --- transport ---------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        wait = BACKOFF_SECONDS
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._once(method, path, params=params, content=content)
            except _Retry as retry:
                if attempt == self.max_attempts:
                    raise retry.error from None
                pause = wait if retry.wait is None else retry.wait
                if pause > MAX_RETRY_AFTER_SECONDS:
                    raise retry.error from None
                logger.info(
                    "exchange %s %s: %s; retry %d in %.2fs",
                    method, path, retry.error, attempt, pause,
                )  # fmt: skip
                self._sleep(pause)
                wait *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self, method: str, path: str, *, params: dict[str, str] | None, content: bytes
    ) -> Any:
        request = self._client.build_request(
            method,
            self.base_url + path,
            params=params or None,
            content=content or None,
            headers={"Content-Type": "application/json"} if content else None,
        )
        timestamp = str(int(self._now()))
        target = request.url.raw_path.decode("ascii")
        request.headers[wire.KEY_ID_HEADER] = self.key_id
        request.headers[wire.TIMESTAMP_HEADER] = timestamp
        request.headers[wire.SIGNATURE_HEADER] = wire.sign(
            secret=self._secret, timestamp=timestamp, method=method, target=target, body=content
        )
        try:
            response = self._client.send(request)
        except httpx.TimeoutException:
            raise _Retry(
                ConnectorError("The exchange did not answer in time.", retryable=True), None
            ) from None
        except httpx.TransportError as exc:
            raise _Retry(
                ConnectorError(
                    f"Could not reach the exchange ({type(exc).__name__}).", retryable=True
                ),
                None,
            ) from None
        status = response.status_code
        if status >= 500 or status == 429:
            wait = _retry_after(response) if status in (429, 503) else None
            raise _Retry(
                ConnectorError(f"The exchange answered HTTP {status}.", retryable=True), wait
            )
        if status == 404:
            code = _error_code(response)
            if code in ("", "account_not_found"):
                raise AccountNotFound()
            # Another 404 (no such endpoint): most likely a wrong KEFU_EXCHANGE_API_URL.
            raise ConnectorError(f"The exchange answered HTTP 404 ({code}).", retryable=False)
        if status >= 300:
            code = _error_code(response)
            raise ConnectorError(
                f"The exchange refused the request (HTTP {status}{', ' + code if code else ''}).",
                retryable=False,
            )
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise ConnectorError("The exchange's response is too large.", retryable=False)
        try:
            return json.loads(response.content)
        except ValueError:
            raise ConnectorError(
                "The exchange sent an unexpected response: not JSON.", retryable=False
            ) from None

    # --- reads -------------------------------------------------------------------------------

    @staticmethod
    def _uid_path(uid: str) -> str:
        if not uid:
            raise AccountNotFound()
        return "/accounts/" + quote(uid, safe="")

    def account(
        self, *, uid: str | None = None, email: str | None = None, phone: str | None = None
    ) -> AccountProfile:
        if uid:
            profile = wire.parse_account(self._request("GET", self._uid_path(uid)))
            if profile.uid != uid:
                raise ConnectorError(
                    "The exchange sent an unexpected response: another account.", retryable=False
                )
            return profile
        if email:
            params = {"email": email.strip()}
        elif phone:
            params = {"phone": phone.strip()}
        else:
            raise AccountNotFound()
        items = wire.parse_items(self._request("GET", "/accounts", params=params), "accounts")
        if not items:
            raise AccountNotFound()
        if len(items) > 1:
            raise ConnectorError("More than one account matches.", retryable=False)
        return wire.parse_account(items[0])

    def fund_records(
        self,
        *,
        uid: str,
        direction: Direction | None = None,
        asset: str | None = None,
        network: str | None = None,
        txid: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[FundRecord]:
        params: dict[str, str] = {"limit": str(limit)}
        if direction:
            params["direction"] = str(direction)
        if asset:
            params["asset"] = asset
        if network:
            params["network"] = network
        if txid:
            params["txid"] = txid.strip()
        if since:
            params["since"] = since.isoformat()
        if until:
            params["until"] = until.isoformat()
        data = self._request("GET", self._uid_path(uid) + "/fund-records", params=params)
        records = [wire.parse_fund_record(item) for item in wire.parse_items(data, "fund_records")]
        if any(r.uid != uid for r in records):
            raise ConnectorError(
                "The exchange sent an unexpected response: another account's records.",
                retryable=False,
            )
        return records[:limit]

    def security_events(
        self, *, uid: str, since: datetime | None = None, limit: int = 50
    ) -> list[SecurityEvent]:
        params = {"limit": str(limit)}
        if since:
            params["since"] = since.isoformat()
        data = self._request("GET", self._uid_path(uid) + "/security-events", params=params)
        events = [
            wire.parse_security_event(item) for item in wire.parse_items(data, "security_events")
        ]
        if any(e.uid != uid for e in events):
            raise ConnectorError(
                "The exchange sent an unexpected response: another account's events.",
                retryable=False,
            )
        return events[:limit]

    # --- actions -----------------------------------------------------------------------------

    def _act(self, action: CaseKind, authorisation: CaseAuthorisation) -> ActionResult:
        if authorisation.kind != action:
            raise ConnectorError(
                f"Case {authorisation.case_ref} authorises {authorisation.kind}, not {action}.",
                retryable=False,
            )
        path = f"{self._uid_path(authorisation.uid)}/{ACTION_PATHS[action]}"
        data = self._request("POST", path, body=wire.authorisation_to_json(authorisation))
        result = wire.parse_action_result(data)
        if result.uid != authorisation.uid or result.action != action:
            raise ConnectorError(
                "The exchange sent an unexpected response: another action.", retryable=False
            )
        return result

    def freeze_account(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.FREEZE, authorisation)

    def unlock_account(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.UNLOCK, authorisation)

    def reset_two_factor(self, *, authorisation: CaseAuthorisation) -> ActionResult:
        return self._act(CaseKind.RESET_2FA, authorisation)
