"""Fixed-window rate limits kept in the cache (Redis when configured, shared by all nodes)."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext as _

from kefu.core import clock
from kefu.core.errors import RateLimited


def hit(bucket: str, *, limit: int, window_seconds: int) -> None:
    """Count one hit on ``bucket``; raise RateLimited once ``limit`` is passed in the window."""
    # The test clock (kefu.core.clock) decides the window, so a test that freezes time cannot
    # straddle a window boundary and see its counter reset.
    window = int(clock.now().timestamp() // window_seconds)
    key = f"rl:{bucket}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds + 1)
            count = 1
    if count > limit:
        raise RateLimited(_("Too many requests. Please wait a moment and try again."))


def client_ip(meta: dict[str, str]) -> str:
    return meta.get("REMOTE_ADDR", "") or "unknown"
