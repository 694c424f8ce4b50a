"""Fixed-window rate limits in the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from kefu.core import ratelimit
from kefu.core.errors import RateLimited


def test_hits_up_to_the_limit_pass_then_the_next_is_refused(clean_cache):
    for _ in range(3):
        ratelimit.hit("login:1.2.3.4", limit=3, window_seconds=60)
    with pytest.raises(RateLimited) as excinfo:
        ratelimit.hit("login:1.2.3.4", limit=3, window_seconds=60)
    assert excinfo.value.status == 429
    assert excinfo.value.code == "rate_limited"
    assert excinfo.value.message == "Too many requests. Please wait a moment and try again."
    # Still refused while the window lasts.
    with pytest.raises(RateLimited):
        ratelimit.hit("login:1.2.3.4", limit=3, window_seconds=60)


def test_buckets_are_independent(clean_cache):
    ratelimit.hit("a", limit=1, window_seconds=60)
    ratelimit.hit("b", limit=1, window_seconds=60)
    with pytest.raises(RateLimited):
        ratelimit.hit("a", limit=1, window_seconds=60)


def test_a_new_window_starts_from_zero(clean_cache, monkeypatch):
    now = [datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)]
    monkeypatch.setattr(ratelimit.clock, "now", lambda: now[0])
    ratelimit.hit("w", limit=1, window_seconds=60)
    with pytest.raises(RateLimited):
        ratelimit.hit("w", limit=1, window_seconds=60)
    now[0] += timedelta(seconds=59)  # the same window: still refused
    with pytest.raises(RateLimited):
        ratelimit.hit("w", limit=1, window_seconds=60)
    now[0] += timedelta(seconds=1)
    ratelimit.hit("w", limit=1, window_seconds=60)
    with pytest.raises(RateLimited):
        ratelimit.hit("w", limit=1, window_seconds=60)


def test_counter_expiring_between_add_and_incr_restarts_the_count(clean_cache, monkeypatch):
    def vanished(key, delta=1, version=None):
        raise ValueError("Key not found")

    ratelimit.hit("gone", limit=1, window_seconds=60)
    monkeypatch.setattr(ratelimit.cache, "incr", vanished)
    monkeypatch.setattr(ratelimit.cache, "add", lambda *a, **k: False)
    ratelimit.hit("gone", limit=1, window_seconds=60)  # counted as the first hit again


def test_message_is_translated(clean_cache):
    with translation.override("zh-hans"), pytest.raises(RateLimited) as excinfo:
        ratelimit.hit("zh", limit=0, window_seconds=60)
    assert excinfo.value.message == "请求过于频繁，请稍候再试。"


def test_client_ip():
    assert ratelimit.client_ip({"REMOTE_ADDR": "203.0.113.9"}) == "203.0.113.9"
    assert ratelimit.client_ip({"REMOTE_ADDR": ""}) == "unknown"
    assert ratelimit.client_ip({}) == "unknown"
