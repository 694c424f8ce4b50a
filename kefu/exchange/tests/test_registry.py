"""Choosing the connector from settings, and the system check for a misconfigured one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from kefu.exchange import registry
from kefu.exchange.adapters.demo import DemoConnector
from kefu.exchange.adapters.http import HttpConnector
from kefu.exchange.checks import exchange_connector_check


def test_demo_is_the_default_and_cached(settings):
    settings.KEFU_EXCHANGE_CONNECTOR = "demo"
    connector = registry.get_connector()
    assert isinstance(connector, DemoConnector)
    assert registry.get_connector() is connector
    assert exchange_connector_check() == []


def test_http_connector_from_settings(settings):
    settings.KEFU_EXCHANGE_CONNECTOR = "http"
    settings.KEFU_EXCHANGE_API_URL = "https://exchange.internal/kefu/v1"
    settings.KEFU_EXCHANGE_API_KEY_ID = "kefu"
    settings.KEFU_EXCHANGE_API_SECRET = "a-secret-value"
    settings.KEFU_EXCHANGE_TIMEOUT_SECONDS = 2.5
    connector = registry.get_connector()
    assert isinstance(connector, HttpConnector)
    assert connector.base_url == "https://exchange.internal/kefu/v1"
    assert exchange_connector_check() == []
    settings.KEFU_EXCHANGE_CONNECTOR = "demo"  # settings changed: a new connector
    assert isinstance(registry.get_connector(), DemoConnector)


def test_misconfigured_http_connector_fails_the_check_without_showing_secrets(settings):
    settings.KEFU_EXCHANGE_CONNECTOR = "http"
    settings.KEFU_EXCHANGE_API_URL = "exchange.internal"
    settings.KEFU_EXCHANGE_API_KEY_ID = ""
    settings.KEFU_EXCHANGE_API_SECRET = ""
    errors = exchange_connector_check()
    assert {e.id for e in errors} == {"exchange.E001"}
    text = " ".join(e.msg for e in errors)
    assert "KEFU_EXCHANGE_API_URL" in text
    assert "KEFU_EXCHANGE_API_KEY_ID" in text
    assert "KEFU_EXCHANGE_API_SECRET" in text
    with pytest.raises(ImproperlyConfigured):
        registry.get_connector()
    settings.KEFU_EXCHANGE_API_URL = "https://exchange.internal"
    settings.KEFU_EXCHANGE_API_KEY_ID = "kefu"
    settings.KEFU_EXCHANGE_API_SECRET = "top-secret-value"
    settings.KEFU_EXCHANGE_TIMEOUT_SECONDS = 0
    errors = exchange_connector_check()
    assert [e.msg for e in errors] == ["KEFU_EXCHANGE_TIMEOUT_SECONDS must be between 0 and 120."]
    assert "top-secret-value" not in errors[0].msg


def test_unknown_connector_name_fails_the_check(settings):
    settings.KEFU_EXCHANGE_CONNECTOR = "ftp"
    [error] = exchange_connector_check()
    assert "demo, http" in error.msg


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    from config.settings import _env_secret

    path = tmp_path / "secret"
    path.write_text("from-a-file\n", encoding="utf-8")
    monkeypatch.delenv("KEFU_EXCHANGE_API_SECRET", raising=False)
    monkeypatch.setenv("KEFU_EXCHANGE_API_SECRET_FILE", str(path))
    assert _env_secret("KEFU_EXCHANGE_API_SECRET") == "from-a-file"
