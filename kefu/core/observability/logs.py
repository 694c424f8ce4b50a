"""Log records with request and job ids; plain or JSON lines (``KEFU_LOG_FORMAT=json``).

Both formatters scrub anything that looks like a credential (``password=…``, ``token: …``,
``Authorization: Bearer …``) from the message and the traceback, as a last line of defence:
Kefu itself never logs request bodies, query strings or headers.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from kefu.core.observability.context import job_id_var, request_id_var, secret_values_var

REDACTED = "[redacted]"
# Names of secrets to scrub (not secrets themselves).
_SECRET_NAMES = "|".join(
    (
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "api[_-]?key",
        "apikey",
        "authorization",
        "cookie",
        "sessionid",
        "csrftoken",
        "csrfmiddlewaretoken",
        "otp",
        "totp",
        "code_verifier",
        "private[_-]?key",
        "seed[_-]?phrase",
        "mnemonic",
    )
)
_NAMED_SECRET = re.compile(
    rf"(?P<name>[\"']?\b[\w-]*(?:{_SECRET_NAMES})[\w-]*[\"']?\s*[=:]\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|(?:Bearer|Basic|Token)\s+\S+|[^\s&,;]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


# URL parts that are credentials (signed survey links, status subscription tokens).
SECRET_URL_KWARG = re.compile(r"token|secret|signature|password", re.IGNORECASE)


def url_secrets(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The values of a resolved URL's credential parts."""
    return tuple(
        value
        for name, value in kwargs.items()
        if isinstance(value, str) and len(value) >= 4 and SECRET_URL_KWARG.search(name)
    )


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Replace values of credential-looking ``name=value`` pairs, bearer tokens, ``secrets``
    and the current request's URL credentials."""
    for value in (*secrets, *secret_values_var.get()):
        text = text.replace(value, REDACTED)
    text = _NAMED_SECRET.sub(lambda m: m.group("name") + REDACTED, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


class ContextFilter(logging.Filter):
    """Add ``request_id`` and ``job_id`` to every record (empty when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs "Not Found: /path" after the middleware has finished, with the request.
        request = getattr(record, "request", None)
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get() or getattr(request, "request_id", "")
        if not getattr(record, "job_id", ""):
            record.job_id = job_id_var.get()
        match = getattr(request, "resolver_match", None)
        record.kefu_secrets = url_secrets(match.kwargs) if match is not None else ()
        return True


def _secrets(record: logging.LogRecord) -> tuple[str, ...]:
    return tuple(getattr(record, "kefu_secrets", ()))


class PlainFormatter(logging.Formatter):
    """Human-readable lines, for development; ids in brackets when present."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"{name}={value}"
            for name in ("request_id", "job_id")
            if (value := getattr(record, name, ""))
        )
        line = super().format(record)
        if ids:
            line = f"{line} [{ids}]"
        return redact(line, _secrets(record))


# Attributes every LogRecord has: anything else was passed with ``extra=`` and goes into JSON.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "job_id",
    "kefu_secrets",
}
# ``extra`` values that must never be serialised (Django passes the request to django.request).
_NEVER = {"request", "scope", "receive", "send", "server_time", "connection", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        secrets = _secrets(record)
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage(), secrets),
        }
        for name in ("request_id", "job_id"):
            if value := getattr(record, name, ""):
                entry[name] = value
        for key, value in vars(record).items():
            if key in _STANDARD or key in _NEVER or key.startswith("_"):
                continue
            if isinstance(value, str | int | float | bool) or value is None:
                entry[key] = redact(value, secrets) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info), secrets)
        elif record.exc_text:
            entry["exc"] = redact(record.exc_text, secrets)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """Django's LOGGING for ``fmt`` ("plain" or "json")."""
    formatter = "json" if fmt == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "kefu.core.observability.logs.ContextFilter"}},
        "formatters": {
            "plain": {
                "()": "kefu.core.observability.logs.PlainFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {"()": "kefu.core.observability.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # uvicorn's own access lines carry query strings; Kefu's middleware logs requests.
            "uvicorn.access": {"level": "WARNING"},
        },
    }
