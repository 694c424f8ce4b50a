"""Which connector this process talks to: ``KEFU_EXCHANGE_CONNECTOR`` = ``demo`` (default, the
built-in tables) or ``http`` (the exchange's internal REST API, docs/exchange-api.yaml).

One instance per process, rebuilt only when the settings it was built from change (tests
override settings; production never does).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kefu.exchange.connector import ExchangeConnector

CONNECTORS = ("demo", "http")

_lock = threading.Lock()
_cached: tuple[tuple[object, ...], ExchangeConnector] | None = None


def _config() -> tuple[object, ...]:
    return (
        getattr(settings, "KEFU_EXCHANGE_CONNECTOR", "demo") or "demo",
        getattr(settings, "KEFU_EXCHANGE_API_URL", ""),
        getattr(settings, "KEFU_EXCHANGE_API_KEY_ID", ""),
        getattr(settings, "KEFU_EXCHANGE_API_SECRET", ""),
        float(getattr(settings, "KEFU_EXCHANGE_TIMEOUT_SECONDS", 5) or 0),
    )


def configuration_problems() -> list[str]:
    """What is wrong with the connector settings (empty when usable). Never includes secrets."""
    name, url, key_id, secret, timeout = _config()
    if name not in CONNECTORS:
        return [f"KEFU_EXCHANGE_CONNECTOR must be one of {', '.join(CONNECTORS)}, not {name!r}."]
    if name != "http":
        return []
    problems = []
    parts = urlsplit(str(url))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        problems.append("KEFU_EXCHANGE_API_URL must be an http(s) URL for the http connector.")
    if not key_id:
        problems.append("KEFU_EXCHANGE_API_KEY_ID is required for the http connector.")
    if not secret:
        problems.append(
            "KEFU_EXCHANGE_API_SECRET (or KEFU_EXCHANGE_API_SECRET_FILE) is required for the "
            "http connector."
        )
    if not isinstance(timeout, float) or not 0 < timeout <= 120:
        problems.append("KEFU_EXCHANGE_TIMEOUT_SECONDS must be between 0 and 120.")
    return problems


def build_connector() -> ExchangeConnector:
    """A new connector from the current settings; ImproperlyConfigured if they are unusable."""
    problems = configuration_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    name, url, key_id, secret, timeout = _config()
    if name == "http":
        from kefu.exchange.adapters.http import HttpConnector

        return HttpConnector(
            base_url=str(url), key_id=str(key_id), secret=str(secret), timeout=float(str(timeout))
        )
    from kefu.exchange.adapters.demo import DemoConnector

    return DemoConnector()


def get_connector() -> ExchangeConnector:
    """The process's connector (built on first use)."""
    global _cached
    key = _config()
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, build_connector())
        return _cached[1]
