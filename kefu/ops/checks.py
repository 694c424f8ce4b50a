"""``kefu check --deploy``: what a production deployment must set, in Kefu's own words.

Each finding names the environment variable that fixes it (configuration comes only from the
environment, see docs/subsystems/production.md). Django's own deployment checks run too; the
four whose hints name Django settings Kefu does not read from the environment (HSTS, HTTPS
redirect, secure cookies) are replaced by ops.W007 and ops.W008 here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Warning, register

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CONSOLE_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


def _secret_key_is_generated() -> bool:
    """True when SECRET_KEY is the one written to the data folder on first run."""
    path = Path(settings.DATA_DIR) / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip() == settings.SECRET_KEY
    except OSError:
        return False


def _database_checks() -> list[CheckMessage]:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql":
        return []
    return [
        Warning(
            f"The database is not PostgreSQL ({engine}).",
            hint="Set DATABASE_URL=postgres://user:password@host:5432/kefu: SQLite serves one "
            "machine with one writer at a time.",
            id="ops.W001",
        )
    ]


def _process_checks() -> list[CheckMessage]:
    found: list[CheckMessage] = []
    processes = settings.KEFU_WEB_PROCESSES
    if processes > 1 and not settings.REDIS_URL:
        found.append(
            Error(
                f"{processes} web processes are configured without Redis: real-time events, "
                "rate limits and caches would stay inside each process.",
                hint="Set REDIS_URL=redis://host:6379/0 for every web process and worker.",
                id="ops.E002",
            )
        )
    if processes > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        found.append(
            Warning(
                "Several web processes but no PROMETHEUS_MULTIPROC_DIR: each /metrics scrape "
                "reports one process only.",
                hint="Set PROMETHEUS_MULTIPROC_DIR to an empty folder (per machine, emptied at "
                "start) for every web process and worker.",
                id="ops.W012",
            )
        )
    return found


def _secret_checks() -> list[CheckMessage]:
    if not _secret_key_is_generated():
        return []
    return [
        Warning(
            "SECRET_KEY was generated in the data folder on first run.",
            hint="Set KEFU_SECRET_KEY (or KEFU_SECRET_KEY_FILE) to one long random secret "
            "shared by every process and machine; otherwise each machine signs sessions and "
            "seals secrets with its own key.",
            id="ops.W003",
        )
    ]


def _host_checks() -> list[CheckMessage]:
    found: list[CheckMessage] = []
    hosts = set(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        found.append(
            Warning(
                "ALLOWED_HOSTS accepts any host name.",
                hint="Set ALLOWED_HOSTS to the public host names, comma-separated.",
                id="ops.W005",
            )
        )
    elif hosts <= LOOPBACK_HOSTS:
        found.append(
            Warning(
                "ALLOWED_HOSTS only names this machine (127.0.0.1, localhost).",
                hint="Set ALLOWED_HOSTS to the public host names, comma-separated.",
                id="ops.W005",
            )
        )
    public_url = settings.KEFU_PUBLIC_URL
    if not public_url.startswith("https://"):
        found.append(
            Warning(
                f"KEFU_PUBLIC_URL is {public_url!r}: links in emails and the widget would "
                "point there.",
                hint="Set KEFU_PUBLIC_URL to the public https:// address.",
                id="ops.W006",
            )
        )
    return found


def _tls_checks() -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        found.append(
            Warning(
                "Session and CSRF cookies may be sent over plain HTTP.",
                hint="Serve Kefu over HTTPS and set KEFU_SECURE_COOKIES=1.",
                id="ops.W007",
            )
        )
    if not (getattr(settings, "SECURE_HSTS_SECONDS", 0) and settings.SECURE_SSL_REDIRECT):
        found.append(
            Warning(
                "No HSTS and no redirect to HTTPS.",
                hint="Behind a TLS-terminating load balancer that sets X-Forwarded-Proto, set "
                "KEFU_BEHIND_TLS_PROXY=1.",
                id="ops.W008",
            )
        )
    return found


def _email_checks() -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if settings.EMAIL_BACKEND in CONSOLE_EMAIL_BACKENDS:
        found.append(
            Warning(
                f"Emails are not sent ({settings.EMAIL_BACKEND}): reply notifications, "
                "surveys and the email channel go nowhere.",
                hint="Set KEFU_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
                "KEFU_EMAIL_HOST, KEFU_EMAIL_PORT, KEFU_EMAIL_HOST_USER, "
                "KEFU_EMAIL_HOST_PASSWORD, KEFU_EMAIL_USE_TLS.",
                id="ops.W009",
            )
        )
    elif settings.EMAIL_HOST_USER and not (settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL):
        found.append(
            Warning(
                "SMTP credentials would be sent without TLS.",
                hint="Set KEFU_EMAIL_USE_TLS=1 (STARTTLS) or KEFU_EMAIL_USE_SSL=1 (port 465).",
                id="ops.W014",
            )
        )
    if settings.KEFU_EMAIL_ADDRESS.endswith("@localhost"):
        found.append(
            Warning(
                f"The support address is {settings.KEFU_EMAIL_ADDRESS}.",
                hint="Set KEFU_EMAIL_ADDRESS to the address customers write to.",
                id="ops.W015",
            )
        )
    return found


def _static_checks() -> list[CheckMessage]:
    if not settings.KEFU_STATIC_HASHED:
        return [
            Warning(
                "Static files are served from the apps' folders, uncompressed and with short "
                "cache lifetimes.",
                hint="Set KEFU_STATIC_HASHED=1 and run `kefu collectstatic --noinput` on each "
                "release.",
                id="ops.W010",
            )
        ]
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        return [
            Error(
                f"KEFU_STATIC_HASHED=1 but static files were not collected into "
                f"{settings.STATIC_ROOT}: pages would fail.",
                hint="Run `kefu collectstatic --noinput`.",
                id="ops.E011",
            )
        ]
    return []


def _log_checks() -> list[CheckMessage]:
    if settings.KEFU_LOG_FORMAT == "json":
        return []
    return [
        Info(
            "Logs are plain text lines.",
            hint="Set KEFU_LOG_FORMAT=json for one JSON object a line with request and job ids.",
            id="ops.I013",
        )
    ]


@register(deploy=True)
def production_checks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        *_database_checks(),
        *_process_checks(),
        *_secret_checks(),
        *_host_checks(),
        *_tls_checks(),
        *_email_checks(),
        *_static_checks(),
        *_log_checks(),
    ]
