"""The ``Kefu-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The signed message is ``f"{t}.".encode() + body`` (the exact bytes of the request body) and
the key is the endpoint's secret (the whole ``whsec_...`` string, UTF-8). While a rotated
secret is still in its grace period the header carries one ``v1=`` per secret, newest first.
``verify`` is the reference check receivers should copy (docs/subsystems/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    parts = [f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


def verify(
    secret: str,
    header_value: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True if ``header_value`` signs ``body`` with ``secret`` and its timestamp is within
    ``tolerance`` seconds of ``now`` (replays of old requests are refused)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header_value.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
