"""``kefu check --deploy``: each missing production setting is reported with the variable that
fixes it; a production-like configuration reports none of Kefu's findings."""

from __future__ import annotations

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from kefu.ops.checks import production_checks

POSTGRES = "django.db.backends.postgresql"


def ids() -> set[str]:
    return {message.id for message in production_checks()}


@pytest.fixture
def production(settings, tmp_path, monkeypatch):
    """A configuration with every production setting in place."""
    static_root = tmp_path / "static"
    static_root.mkdir()
    (static_root / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    settings.DATA_DIR = tmp_path  # no generated secret_key here
    # In place (the checks only read the engine): replacing DATABASES would reconnect.
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", POSTGRES)
    settings.REDIS_URL = "redis://cache.internal:6379/0"
    settings.KEFU_WEB_PROCESSES = 4
    settings.SECRET_KEY = "a-long-random-production-secret-from-the-environment-0123456789"
    settings.ALLOWED_HOSTS = ["support.example.com"]
    settings.KEFU_PUBLIC_URL = "https://support.example.com"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST_USER = "kefu"
    settings.EMAIL_USE_TLS = True
    settings.KEFU_EMAIL_ADDRESS = "support@example.com"
    settings.KEFU_STATIC_HASHED = True
    settings.STATIC_ROOT = static_root
    settings.KEFU_LOG_FORMAT = "json"
    return settings


def test_a_production_configuration_has_no_findings(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    assert ids() == set()


def test_the_development_defaults_are_all_reported(settings):
    # The test settings: a key generated in the data folder, console email, ... and SQLite
    # unless the suite runs on PostgreSQL (CI's second pass), where W001 has nothing to say.
    from django.db import connection

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert ids() >= ({"ops.W001"} if connection.vendor == "sqlite" else set()) | {
        "ops.W003",
        "ops.W005",
        "ops.W006",
        "ops.W007",
        "ops.W008",
        "ops.W009",
        "ops.W010",
        "ops.W015",
        "ops.I013",
    }


def test_sqlite_is_reported(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    monkeypatch.setitem(production.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert ids() == {"ops.W001"}


def test_several_web_processes_without_redis_is_an_error(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    production.REDIS_URL = ""
    [finding] = production_checks()
    assert finding.id == "ops.E002"
    assert isinstance(finding, Error)
    assert "REDIS_URL" in finding.hint
    production.KEFU_WEB_PROCESSES = 1
    assert ids() == set()


def test_several_processes_without_a_metrics_folder_is_reported(production, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    assert ids() == {"ops.W012"}


def test_a_secret_key_generated_in_the_data_folder_is_reported(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    (production.DATA_DIR / "secret_key").write_text(production.SECRET_KEY)
    assert ids() == {"ops.W003"}


@pytest.mark.parametrize("hosts", [["*"], ["localhost", "127.0.0.1"]])
def test_allowed_hosts_any_or_only_loopback_is_reported(production, monkeypatch, hosts):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    production.ALLOWED_HOSTS = hosts
    assert ids() == {"ops.W005"}


def test_cookies_hsts_and_public_url_without_tls_are_reported(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    production.KEFU_PUBLIC_URL = "http://support.example.com"
    production.CSRF_COOKIE_SECURE = False
    production.SECURE_HSTS_SECONDS = 0
    assert ids() == {"ops.W006", "ops.W007", "ops.W008"}


def test_smtp_credentials_without_tls_are_reported(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    production.EMAIL_USE_TLS = False
    assert ids() == {"ops.W014"}


def test_hashed_static_files_not_collected_is_an_error(production, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    production.STATIC_ROOT = tmp_path / "empty"
    assert ids() == {"ops.E011"}


def test_check_deploy_fails_on_an_error(production, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/run/kefu/metrics")
    production.REDIS_URL = ""
    with pytest.raises(SystemCheckError, match=r"ops\.E002"):
        call_command("check", deploy=True, fail_level="ERROR")
