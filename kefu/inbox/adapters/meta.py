"""What Messenger and WhatsApp share: Meta's webhook (signature, verify-token handshake,
batched payloads) and the Graph API (bearer token, timeouts, error classification).

Webhook: Meta signs every POST with ``X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret,
raw body)>``, checked here in constant time. When the webhook is registered, Meta first sends
``GET ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>`` and expects the challenge
back. One POST may batch several entries and messages and carries no id of its own, so the
event id is a hash of the raw body: a redelivery (same bytes) is stored once, and each message
is de-duplicated again on its own id (``mid`` / ``wamid``) when it is received.

Graph API: the access token travels in the ``Authorization: Bearer`` header only, never in a
URL, log line or error message. Errors are classified from HTTP status and Graph's
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``:

- HTTP 429 or codes 4, 17, 32, 613, 80007, 130429 (rate limits) -> RateLimitedError;
- 5xx, codes 1 and 2 (temporary), ``is_transient`` and timeouts -> RetryableError;
- 131047 (WhatsApp's 24-hour window) and Messenger's outside-the-window errors (code 10 with
  subcode 2018278) -> PermanentError ``OUTSIDE_WINDOW``;
- 190 (the token) -> PermanentError ``TOKEN_INVALID``; 131026 and 551 -> ``UNDELIVERABLE``;
- anything else -> PermanentError naming the call, the code and Graph's message.

The reasons are stored in English on the delivery and translated when shown
(``inbox/_delivery_state.html`` translates the stored reason).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext_noop

from kefu.core.errors import PermanentError, RetryableError
from kefu.inbox.adapters.base import RateLimitedError
from kefu.inbox.adapters.http import TooLarge, exchange

SIGNATURE_HEADER = "x-hub-signature-256"
USER_AGENT = "Kefu-Meta/1"
MAX_RESPONSE_BYTES = 1_000_000
MAX_CHALLENGE = 200
DEFAULT_RETRY_AFTER = 60.0
TIMEOUT = 10.0

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80007, 130429})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({190})
UNDELIVERABLE_CODES = frozenset({131026, 551})
WHATSAPP_WINDOW_CODES = frozenset({131047})
MESSENGER_WINDOW_SUBCODES = frozenset({2018278})

OUTSIDE_WINDOW = gettext_noop(
    "Not sent: the customer's last message is more than 24 hours old, so the network only "
    "lets us answer after the customer writes again. Ask them to write first (e.g. by email)."
)
TOKEN_INVALID = gettext_noop(
    "Not sent: the access token is invalid or expired. An administrator must renew it."
)
UNDELIVERABLE = gettext_noop(
    "Not sent: the network cannot deliver to this customer (the account may not exist or "
    "may not accept messages)."
)


# --- webhook ------------------------------------------------------------------------------


def signature_valid(headers: Mapping[str, str], body: bytes) -> bool:
    """The request carries Meta's HMAC-SHA256 of ``body`` under our app secret."""
    secret: str = settings.KEFU_META_APP_SECRET
    given = headers.get(SIGNATURE_HEADER, "")
    if not secret or not given.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given[len("sha256=") :].strip().lower().encode(), expected.encode())


def handshake(query: Mapping[str, str]) -> str | None:
    """The challenge to echo when Meta checks the webhook with our verify token, else None."""
    expected: str = settings.KEFU_META_VERIFY_TOKEN
    given = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    if query.get("hub.mode") != "subscribe" or not expected or not given:
        return None
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return None
    if not challenge or len(challenge) > MAX_CHALLENGE or not challenge.isalnum():
        return None
    return challenge


def load(body: bytes, expected_object: str) -> dict[str, Any]:
    """The payload as a dict with ``object`` == ``expected_object`` and a list of entries."""
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("not an object")
    if payload.get("object") != expected_object:
        raise ValueError(f"object is not {expected_object!r}")
    if not isinstance(payload.get("entry"), list):
        raise ValueError("no entry list")
    return payload


def event_id(body: bytes, expected_object: str) -> str:
    """A stable id for a webhook POST: the hash of its raw bytes. Raises ValueError."""
    load(body, expected_object)
    return "sha256:" + hashlib.sha256(body).hexdigest()


class MetaWebhook:
    """The webhook half both adapters share (mixed into each adapter class)."""

    graph_object: str  # "page" or "whatsapp_business_account"

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        return signature_valid(headers, body)

    def handshake(self, query: Mapping[str, str]) -> str | None:
        return handshake(query)

    def event_id(self, body: bytes) -> str:
        return event_id(body, self.graph_object)

    def secret_headers(self) -> frozenset[str]:
        return frozenset({SIGNATURE_HEADER, "authorization"})


def webhook_configured() -> bool:
    return bool(settings.KEFU_META_APP_SECRET and settings.KEFU_META_VERIFY_TOKEN)


# --- Graph API ----------------------------------------------------------------------------


class GraphApi:
    """Calls to the Graph API with one access token, read from settings per request.

    ``network`` names the product in error messages ("Messenger", "WhatsApp");
    ``token_setting`` is the name of the setting that holds the token.
    """

    def __init__(self, network: str, token_setting: str, *, timeout: float = TIMEOUT) -> None:
        self.network = network
        self.token_setting = token_setting
        self.timeout = timeout

    def _token(self) -> str:
        token = str(getattr(settings, self.token_setting, "") or "")
        if not token:
            raise PermanentError(f"{self.network} is not configured (no access token)")
        return token

    def url(self, path: str) -> str:
        base = str(settings.KEFU_META_GRAPH_BASE).rstrip("/")
        version = str(settings.KEFU_META_GRAPH_VERSION).strip("/")
        return f"{base}/{version}/{path.lstrip('/')}"

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token()}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        body: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One Graph call (JSON ``body``, or multipart ``data`` + ``files``); its JSON answer."""
        timeout = httpx.Timeout(self.timeout).as_dict()
        label = f"{self.network} {what}"
        if files is not None:
            request = httpx.Request(
                method,
                self.url(path),
                data=data or {},
                files=files,
                headers=self._headers(),
                extensions={"timeout": timeout},
            )
        elif body is not None:
            request = httpx.Request(
                method,
                self.url(path),
                content=json.dumps(body).encode(),
                headers={**self._headers(), "Content-Type": "application/json"},
                extensions={"timeout": timeout},
            )
        else:
            request = httpx.Request(
                method, self.url(path), headers=self._headers(), extensions={"timeout": timeout}
            )
        status, raw, headers = exchange(request, label, limit=MAX_RESPONSE_BYTES)
        return result(label, status, raw, headers)

    def download(self, url: str, what: str, *, limit: int, authorized: bool) -> bytes | None:
        """The bytes at ``url`` (a media URL the provider gave us); None past ``limit`` bytes.

        ``authorized``: send the bearer token (WhatsApp media URLs want it; Messenger's
        attachment URLs are pre-signed and get none).
        """
        label = f"{self.network} {what}"
        if not url.startswith(("https://", "http://")):
            raise PermanentError(f"{label}: not an http(s) URL")
        headers = self._headers() if authorized else {"User-Agent": USER_AGENT}
        request = httpx.Request(
            "GET",
            url,
            headers=headers,
            extensions={"timeout": httpx.Timeout(self.timeout).as_dict()},
        )
        try:
            status, raw, _headers = exchange(request, label, limit=limit)
        except TooLarge:
            return None
        if status == 429 or status >= 500:
            raise RetryableError(f"{label}: HTTP {status}")
        if status != 200:
            raise PermanentError(f"{label}: HTTP {status}")
        return raw


def _retry_after(headers: httpx.Headers) -> float:
    value = headers.get("retry-after", "")
    try:
        return max(float(value), 1.0)
    except ValueError:
        return DEFAULT_RETRY_AFTER


def result(label: str, status: int, raw: bytes, headers: httpx.Headers) -> dict[str, Any]:
    """The JSON answer of a successful call; a classified error otherwise."""
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if 200 <= status < 300 and isinstance(payload, dict) and error is None:
        return payload
    if not isinstance(error, dict):
        if status == 429:
            raise RateLimitedError(f"{label}: HTTP 429", retry_after=_retry_after(headers))
        if status >= 500:
            raise RetryableError(f"{label}: HTTP {status}")
        raise PermanentError(f"{label}: HTTP {status}, not a Graph API answer")
    raise classify(label, status, error, headers)


def classify(
    label: str, status: int, error: Mapping[str, Any], headers: httpx.Headers | None = None
) -> Exception:
    """The error to raise for a Graph ``error`` object (see the module docstring)."""
    code = error.get("code") if isinstance(error.get("code"), int) else 0
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else 0
    text = str(error.get("message") or error.get("title") or "")[:200]
    message = f"{label}: {code} {text}".strip()
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimitedError(message, retry_after=_retry_after(headers or httpx.Headers()))
    if code in WHATSAPP_WINDOW_CODES or subcode in MESSENGER_WINDOW_SUBCODES:
        return PermanentError(OUTSIDE_WINDOW)
    if code in TOKEN_CODES:
        return PermanentError(TOKEN_INVALID)
    if code in UNDELIVERABLE_CODES:
        return PermanentError(UNDELIVERABLE)
    if status >= 500 or code in TRANSIENT_CODES or error.get("is_transient") is True:
        return RetryableError(message)
    return PermanentError(message)


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (payloads are untrusted)."""
    return value if isinstance(value, dict) else {}


def array(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters (a long reply is sent in parts)."""
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def receipt_error(errors: Any) -> str:
    """The reason a status callback's ``errors`` list gives for a failed message."""
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    first = errors[0]
    problem = classify("", 400, first)
    if isinstance(problem, PermanentError) and str(problem) in (
        OUTSIDE_WINDOW,
        TOKEN_INVALID,
        UNDELIVERABLE,
    ):
        return str(problem)
    details = first.get("error_data", {})
    detail = details.get("details", "") if isinstance(details, dict) else ""
    return f"{first.get('code', '')} {first.get('title') or first.get('message') or ''} {detail}"[
        :300
    ].strip()
