"""Calls to the Telegram Bot API: JSON methods, multipart uploads and file downloads.

The bot token is part of every Bot API URL, so the URL is built inside each call and never
kept, logged or put in an error message. Requests go through httpx's transport
(``kefu.inbox.adapters.http.exchange``) rather than ``httpx.Client``, which logs each URL.
Errors are classified: 429 -> RateLimitedError with Telegram's ``parameters.retry_after``;
5xx, timeouts and network errors -> RetryableError; other 4xx (403 blocked by the user, 400
chat not found) -> PermanentError.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.conf import settings

from kefu.core.errors import PermanentError, RetryableError
from kefu.inbox.adapters.base import RateLimitedError
from kefu.inbox.adapters.http import exchange

USER_AGENT = "Kefu-Telegram/1"
MAX_RESPONSE_BYTES = 1_000_000
DEFAULT_RETRY_AFTER = 5.0


class BotApi:
    """One bot's Bot API; ``token`` is read from settings when each request is built."""

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout

    @property
    def base(self) -> str:
        return str(settings.KEFU_TELEGRAM_API_BASE).rstrip("/")

    def _url(self, path: str) -> str:
        token = settings.KEFU_TELEGRAM_BOT_TOKEN
        if not token:
            raise PermanentError("Telegram is not configured (no bot token)")
        return f"{self.base}/{path.replace('{token}', token)}"

    def _send(self, request: httpx.Request, what: str, *, limit: int) -> tuple[int, bytes]:
        status, body, _headers = exchange(request, f"Telegram {what}", limit=limit)
        return status, body

    def call(
        self,
        method: str,
        params: dict[str, Any],
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        """Call ``method`` and return its ``result``; raise a classified error."""
        timeout = httpx.Timeout(self.timeout).as_dict()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        url = self._url(f"bot{{token}}/{method}")
        if files:
            request = httpx.Request(
                "POST",
                url,
                data={k: str(v) for k, v in params.items()},
                files=files,
                headers=headers,
                extensions={"timeout": timeout},
            )
        else:
            request = httpx.Request(
                "POST",
                url,
                content=json.dumps(params).encode(),
                headers={**headers, "Content-Type": "application/json"},
                extensions={"timeout": timeout},
            )
        status, body = self._send(request, method, limit=MAX_RESPONSE_BYTES)
        return _result(method, status, body)

    def download(self, file_path: str, *, limit: int) -> bytes:
        """The bytes of a file ``getFile`` returned; PermanentError past ``limit`` bytes."""
        if ".." in file_path or file_path.startswith("/"):
            raise PermanentError("Telegram file: unexpected file path")
        request = httpx.Request(
            "GET",
            self._url(f"file/bot{{token}}/{file_path}"),
            headers={"User-Agent": USER_AGENT},
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        status, body = self._send(request, "file download", limit=limit)
        if status == 429 or status >= 500:
            raise RetryableError(f"Telegram file download: HTTP {status}")
        if status != 200:
            raise PermanentError(f"Telegram file download: HTTP {status}")
        return body


def _result(method: str, status: int, body: bytes) -> Any:
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        if status >= 500 or status == 429:
            raise RetryableError(f"Telegram {method}: HTTP {status}")
        raise PermanentError(f"Telegram {method}: HTTP {status}, not a Bot API answer")
    if payload.get("ok") is True and status == 200:
        return payload.get("result")
    raw_code = payload.get("error_code")
    code: int = raw_code if isinstance(raw_code, int) else status
    description = str(payload.get("description") or "")[:200]
    message = f"Telegram {method}: {code} {description}".strip()
    if code == 429:
        parameters = payload.get("parameters")
        retry_after = DEFAULT_RETRY_AFTER
        if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
            retry_after = float(parameters["retry_after"])
        raise RateLimitedError(message, retry_after=retry_after)
    if code >= 500:
        raise RetryableError(message)
    raise PermanentError(message)
