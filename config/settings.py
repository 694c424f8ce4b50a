"""Kefu settings: capabilities and secrets come from the environment (see README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from kefu.core.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KEFU_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_secret(name: str) -> str | None:
    """Read a secret from NAME, or from the file named by NAME_FILE."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return None


def _generated_secret_key() -> str:
    """Create the secret key on first run and keep it in the data folder (mode 0600)."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _env_secret("KEFU_SECRET_KEY") or _generated_secret_key()
# Previous secret keys, space-separated, still accepted after a rotation: sessions, signed
# cookies, and the authenticator secrets and recovery codes of two-factor sign-in
# (docs/subsystems/account-security.md).
SECRET_KEY_FALLBACKS = (_env_secret("KEFU_SECRET_KEY_FALLBACKS") or "").split()
DEBUG = _env_bool("KEFU_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "kefu.core",
    "kefu.audit",
    "kefu.accounts",
    "kefu.contacts",
    "kefu.conversations",
    "kefu.realtime",
    "kefu.inbox",
    "kefu.sla",
    "kefu.routing",
    "kefu.helpcenter",
    "kefu.community",
    "kefu.status",
    "kefu.guard",
    "kefu.assistant",
    "kefu.trust",
    "kefu.transcripts",
    "kefu.integrations",
    "kefu.privacy",
    "kefu.chain",
    "kefu.exchange",
    "kefu.callbacks",
    "kefu.cases",
    "kefu.portal",
    "kefu.workspace",
    "kefu.backoffice",
    "kefu.demo",
    "kefu.ops",
    "kefu.csat",
    "kefu.automation",
    "kefu.trends",
    "kefu.analytics",
]

MIDDLEWARE = [
    # First: the request id reaches every log line, and every response is counted.
    "kefu.core.observability.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kefu.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kefu.workspace.middleware.TwoFactorEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kefu.core.errors_middleware.KefuErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kefu.sqlite3'}"),
        # ASGI runs each request's sync code in a fresh thread, so "persistent" per-thread
        # connections are never reused and pile up; PostgreSQL uses a pool instead (below).
        conn_max_age=int(os.environ.get("KEFU_DB_CONN_MAX_AGE", "0")),
    )
}
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and DATABASES["default"]["CONN_MAX_AGE"] == 0
    and _env_bool("KEFU_DB_POOL", True)
):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("KEFU_DB_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("KEFU_DB_POOL_MAX_SIZE", "10")),
        "timeout": float(os.environ.get("KEFU_DB_POOL_TIMEOUT", "10")),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker and the web server read while the other writes; IMMEDIATE
        # transactions avoid "database is locked" on read-then-write upgrades.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Deployments (and test runs) sharing one Redis keep their keys apart.
            "KEY_PREFIX": os.environ.get("KEFU_REDIS_PREFIX", "kefu"),
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Real-time (docs/subsystems/realtime.md): Redis carries events between processes; without it the
# in-memory layer serves one process and clients catch up from the database every
# KEFU_REALTIME_RESYNC_SECONDS.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # No read timeout: the layer blocks on BZPOPMIN for 5 s at a time, and redis-py 8's
                # default socket timeout (5 s) would otherwise kill idle consumers (redis-py#4091).
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": 1500,
                "expiry": 30,
                "group_expiry": 86400,
                "prefix": os.environ.get("KEFU_REDIS_PREFIX", "kefu") + ":asgi",
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "kefu.realtime.layers.SweptInMemoryChannelLayer",
            # A message unread for `expiry` seconds drops its consumer from every group; the
            # periodic database resync covers that, but keep it rare.
            "CONFIG": {"capacity": 1500, "expiry": 60},
        }
    }
# Help-center search: how often each process replays the index change log, and whether the
# server builds the index at start-up (ADR 0009).
# Content languages of the help center (empty: the codes of LANGUAGES). Adding one is
# configuration: list it here and add its translation catalogue.
KEFU_HELP_LANGUAGES = [
    code.strip().lower()
    for code in os.environ.get("KEFU_HELP_LANGUAGES", "").split(",")
    if code.strip()
]
# Article page views are counted in memory and written at most this often (0: every view).
KEFU_HELP_VIEW_FLUSH_SECONDS = float(os.environ.get("KEFU_HELP_VIEW_FLUSH_SECONDS", "10"))
KEFU_HELP_SEARCH_SYNC_SECONDS = float(os.environ.get("KEFU_HELP_SEARCH_SYNC_SECONDS", "2"))
KEFU_HELP_SEARCH_WARM = os.environ.get("KEFU_HELP_SEARCH_WARM", "1") != "0"
KEFU_REALTIME_RESYNC_SECONDS = float(os.environ.get("KEFU_REALTIME_RESYNC_SECONDS", "20"))
# Per inbox group, one ``inbox.changed`` frame at once and the next ones merged per this many
# seconds (kefu/realtime/coalesce.py, docs/adr/0031); 0: a frame for every change.
KEFU_REALTIME_INBOX_SECONDS = float(os.environ.get("KEFU_REALTIME_INBOX_SECONDS", "0.25"))
# WebSocket compression (permessage-deflate), offered to clients that ask for it. It keeps a
# zlib context per socket: ~79 KiB per idle socket with it, ~37 KiB without (docs/benchmarks.md).
# Turn it off where many idle sockets matter more than bytes on the wire.
KEFU_WS_DEFLATE = _env_bool("KEFU_WS_DEFLATE", True)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KEFU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A job whose worker has shown no sign of life for this long is made ready again (the worker
# was killed); a live worker beats every quarter of it (kefu.ops.liveness, ADR 0027).
KEFU_WORKER_LEASE_SECONDS = float(os.environ.get("KEFU_WORKER_LEASE_SECONDS", "60"))
# Connections the SLA worker claims and acts on timers with at once (PostgreSQL; SQLite: one).
KEFU_SLA_PARALLEL = max(1, int(os.environ.get("KEFU_SLA_PARALLEL", "2")))
# A claimed channel attempt (inbound event, outbound delivery) that never reported is tried
# again after this long (the periodic dispatcher re-drives it).
KEFU_CHANNEL_ATTEMPT_LEASE_SECONDS = float(
    os.environ.get("KEFU_CHANNEL_ATTEMPT_LEASE_SECONDS", "120")
)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"

AXES_FAILURE_LIMIT = int(os.environ.get("KEFU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_SECURE = _env_bool("KEFU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if _env_bool("KEFU_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000

# `kefu check --deploy` reports these four as ops.W007 / ops.W008, with the variables to set.
SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS: list[Path] = []
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# Production (KEFU_STATIC_HASHED=1, after `kefu collectstatic`): WhiteNoise serves compressed
# files with content-hashed names cached for a year (immutable); development serves the apps'
# folders directly.
KEFU_STATIC_HASHED = _env_bool("KEFU_STATIC_HASHED", False)
WHITENOISE_USE_FINDERS = not KEFU_STATIC_HASHED
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.min.js from the plotly package (the analytics dashboards' charts).
    "kefu.analytics.staticfinder.PlotlyFinder",
]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if KEFU_STATIC_HASHED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if os.environ.get("KEFU_S3_BUCKET"):
    # S3-compatible storage for attachments (requires `pip install django-storages[s3]`).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["KEFU_S3_BUCKET"],
            "endpoint_url": os.environ.get("KEFU_S3_ENDPOINT_URL") or None,
            "access_key": _env_secret("KEFU_S3_ACCESS_KEY"),
            "secret_key": _env_secret("KEFU_S3_SECRET_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

KEFU_ATTACHMENT_MAX_BYTES = int(os.environ.get("KEFU_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
KEFU_ATTACHMENTS_PER_MESSAGE = 5
KEFU_PUBLIC_URL = os.environ.get("KEFU_PUBLIC_URL", "http://127.0.0.1:8000")

# Signed transcripts (docs/subsystems/transcripts.md). The Ed25519 signing key is a PKCS8 PEM
# private key; without one, a key is generated on first use and kept in the data folder (0600).
# Retired public keys (PEM blocks, one after the other) still verify old transcripts.
KEFU_TRANSCRIPT_SIGNING_KEY = _env_secret("KEFU_TRANSCRIPT_SIGNING_KEY") or ""
KEFU_TRANSCRIPT_GENERATED_KEY_PATH = DATA_DIR / "transcript_signing_key.pem"
KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS = _env_secret("KEFU_TRANSCRIPT_RETIRED_PUBLIC_KEYS") or ""
KEFU_TRANSCRIPT_ISSUER = os.environ.get("KEFU_TRANSCRIPT_ISSUER", "Kefu support")
KEFU_TRANSCRIPT_VERIFY_MAX_BYTES = int(
    os.environ.get("KEFU_TRANSCRIPT_VERIFY_MAX_BYTES", str(20 * 1024 * 1024))
)
# Verified cases (docs/subsystems/cases.md): identity documents are encrypted at rest under keys
# from the environment (comma-separated secrets; the first encrypts, every one decrypts, so keys
# can be rotated). Without one, a key derived from SECRET_KEY is used and `kefu check --deploy`
# warns.
KEFU_CASE_DOCUMENT_KEYS = [
    key.strip() for key in (_env_secret("KEFU_CASE_DOCUMENT_KEYS") or "").split(",") if key.strip()
]
KEFU_CASE_UPLOAD_MAX_BYTES = int(
    os.environ.get("KEFU_CASE_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))
)
# Exchange connector (docs/subsystems/exchange.md): "demo" (built-in tables) or "http" (the
# exchange's internal REST API, docs/exchange-api.yaml, HMAC-signed with the key id and secret).
# Telegram channel (kefu/inbox/adapters/telegram): one bot per deployment. The token is a
# secret (never logged; only put into Bot API URLs when a call is made); the webhook secret is
# what Telegram sends back in X-Telegram-Bot-Api-Secret-Token (set it with setWebhook).
KEFU_TELEGRAM_BOT_TOKEN = _env_secret("KEFU_TELEGRAM_BOT_TOKEN") or ""
KEFU_TELEGRAM_WEBHOOK_SECRET = _env_secret("KEFU_TELEGRAM_WEBHOOK_SECRET") or ""
KEFU_TELEGRAM_BOT_USERNAME = os.environ.get("KEFU_TELEGRAM_BOT_USERNAME", "").lstrip("@")
KEFU_TELEGRAM_API_BASE = os.environ.get("KEFU_TELEGRAM_API_BASE", "https://api.telegram.org")
# Phone channel (kefu/inbox/adapters/phone, docs/subsystems/channels.md "Phone"): a CTI posts
# calls to /channels/phone/webhook, either Kefu's generic JSON (HMAC-SHA256 with
# KEFU_CTI_SECRET) or Twilio's voice status callback (X-Twilio-Signature with the account's
# auth token, over the public URL built from KEFU_PUBLIC_URL). Both secrets: never logged.
KEFU_CTI_SECRET = _env_secret("KEFU_CTI_SECRET") or ""
KEFU_CTI_TOLERANCE_SECONDS = int(os.environ.get("KEFU_CTI_TOLERANCE_SECONDS", "300"))
KEFU_TWILIO_AUTH_TOKEN = _env_secret("KEFU_TWILIO_AUTH_TOKEN") or ""
# Region for phone numbers stored without a country code (ISO 3166 code, e.g. "CN", "US");
# empty: such numbers are not matched to callers.
KEFU_PHONE_DEFAULT_REGION = os.environ.get("KEFU_PHONE_DEFAULT_REGION", "").strip().upper()
# Messenger and WhatsApp (kefu/inbox/adapters/meta.py): the Meta app's secret signs webhooks
# (X-Hub-Signature-256), the verify token answers Meta's subscription check; access tokens are
# secrets sent only in the Authorization header.
KEFU_META_APP_SECRET = _env_secret("KEFU_META_APP_SECRET") or ""
KEFU_META_VERIFY_TOKEN = _env_secret("KEFU_META_VERIFY_TOKEN") or ""
KEFU_MESSENGER_PAGE_TOKEN = _env_secret("KEFU_MESSENGER_PAGE_TOKEN") or ""
KEFU_WHATSAPP_TOKEN = _env_secret("KEFU_WHATSAPP_TOKEN") or ""
KEFU_WHATSAPP_PHONE_NUMBER_ID = os.environ.get("KEFU_WHATSAPP_PHONE_NUMBER_ID", "").strip()
KEFU_META_GRAPH_BASE = os.environ.get("KEFU_META_GRAPH_BASE", "https://graph.facebook.com")
KEFU_META_GRAPH_VERSION = os.environ.get("KEFU_META_GRAPH_VERSION", "v21.0")

KEFU_EXCHANGE_CONNECTOR = os.environ.get("KEFU_EXCHANGE_CONNECTOR", "demo").strip().lower()
KEFU_EXCHANGE_API_URL = os.environ.get("KEFU_EXCHANGE_API_URL", "")
KEFU_EXCHANGE_API_KEY_ID = os.environ.get("KEFU_EXCHANGE_API_KEY_ID", "")
KEFU_EXCHANGE_API_SECRET = _env_secret("KEFU_EXCHANGE_API_SECRET") or ""
KEFU_EXCHANGE_TIMEOUT_SECONDS = float(os.environ.get("KEFU_EXCHANGE_TIMEOUT_SECONDS", "5"))
# The assistant's optional LLM (docs/subsystems/assistant.md): any OpenAI-compatible endpoint
# (POST <base>/v1/chat/completions). Off while the base URL or the model is empty.
KEFU_ASSISTANT_LLM_BASE_URL = os.environ.get("KEFU_ASSISTANT_LLM_BASE_URL", "").strip()
KEFU_ASSISTANT_LLM_MODEL = os.environ.get("KEFU_ASSISTANT_LLM_MODEL", "").strip()
KEFU_ASSISTANT_LLM_API_KEY = _env_secret("KEFU_ASSISTANT_LLM_API_KEY") or ""
KEFU_ASSISTANT_LLM_TIMEOUT_SECONDS = float(
    os.environ.get("KEFU_ASSISTANT_LLM_TIMEOUT_SECONDS", "8")
)
# On-chain lookups (docs/subsystems/chain.md): a JSON object of network -> {"kind": "evm" |
# "bitcoin", "url": ...} or an alias ("ERC20": "ETH"); URLs may hold credentials (or use _FILE).
# KEFU_CHAIN_CONFIRMATIONS overrides the confirmations each network needs, e.g. {"BTC": 3}.
KEFU_CHAIN_RPC = _env_secret("KEFU_CHAIN_RPC") or ""
KEFU_CHAIN_CONFIRMATIONS = os.environ.get("KEFU_CHAIN_CONFIRMATIONS", "")
KEFU_CHAIN_TIMEOUT_SECONDS = float(os.environ.get("KEFU_CHAIN_TIMEOUT_SECONDS", "5"))
KEFU_CHAIN_CACHE_SECONDS = float(os.environ.get("KEFU_CHAIN_CACHE_SECONDS", "15"))
# Outbound webhooks (docs/subsystems/webhooks.md): by default endpoints on private, loopback
# and link-local addresses are refused, so an admin cannot aim Kefu at the internal network.
KEFU_WEBHOOKS_ALLOW_PRIVATE = _env_bool("KEFU_WEBHOOKS_ALLOW_PRIVATE", False)
# Email transports (docs/subsystems/email-transports.md). The built-in SMTP receiver accepts
# mail only for these domains (comma separated) and the addresses of the IMAP mailboxes
# configured in the backoffice: never an open relay.
KEFU_EMAIL_DOMAINS = [
    d.strip().lower().rstrip(".")
    for d in os.environ.get("KEFU_EMAIL_DOMAINS", "").split(",")
    if d.strip()
]
KEFU_EMAIL_MAX_BYTES = int(os.environ.get("KEFU_EMAIL_MAX_BYTES", str(40 * 1024 * 1024)))
KEFU_EMAIL_SMTPD_HOSTNAME = os.environ.get("KEFU_EMAIL_SMTPD_HOSTNAME", "")
KEFU_EMAIL_SMTPD_TLS_CERT = os.environ.get("KEFU_EMAIL_SMTPD_TLS_CERT", "")
KEFU_EMAIL_SMTPD_TLS_KEY = os.environ.get("KEFU_EMAIL_SMTPD_TLS_KEY", "")
KEFU_EMAIL_SMTPD_REQUIRE_TLS = _env_bool("KEFU_EMAIL_SMTPD_REQUIRE_TLS", False)
KEFU_EMAIL_SMTPD_TIMEOUT_SECONDS = float(os.environ.get("KEFU_EMAIL_SMTPD_TIMEOUT_SECONDS", "60"))
KEFU_EMAIL_SMTPD_MAX_CONNECTIONS = int(os.environ.get("KEFU_EMAIL_SMTPD_MAX_CONNECTIONS", "100"))
KEFU_EMAIL_SMTPD_MAX_PER_PEER = int(os.environ.get("KEFU_EMAIL_SMTPD_MAX_PER_PEER", "10"))
KEFU_EMAIL_SMTPD_MAX_RECIPIENTS = int(os.environ.get("KEFU_EMAIL_SMTPD_MAX_RECIPIENTS", "50"))
# IMAP polling: a CA bundle to trust instead of the system's (for a private CA), the socket
# timeout, and how many messages one poll of a mailbox handles at most (in batches).
KEFU_EMAIL_IMAP_CA_FILE = os.environ.get("KEFU_EMAIL_IMAP_CA_FILE", "")
KEFU_EMAIL_IMAP_TIMEOUT_SECONDS = float(os.environ.get("KEFU_EMAIL_IMAP_TIMEOUT_SECONDS", "30"))
KEFU_EMAIL_IMAP_BATCH = int(os.environ.get("KEFU_EMAIL_IMAP_BATCH", "20"))
KEFU_EMAIL_IMAP_MAX_PER_POLL = int(os.environ.get("KEFU_EMAIL_IMAP_MAX_PER_POLL", "200"))

EMAIL_BACKEND = os.environ.get(
    "KEFU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# Email channel (docs/subsystems/channels.md, "Email"): the support address customers write to
# and Kefu sends from; its domain names Kefu's Message-IDs and per-conversation reply
# addresses (support+c<id>.<signature>@domain). Outbound SMTP uses Django's settings below
# (KEFU_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend to send for real).
KEFU_EMAIL_ADDRESS = os.environ.get("KEFU_EMAIL_ADDRESS", "support@localhost").strip().lower()
DEFAULT_FROM_EMAIL = os.environ.get("KEFU_DEFAULT_FROM_EMAIL", KEFU_EMAIL_ADDRESS)
EMAIL_HOST = os.environ.get("KEFU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KEFU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KEFU_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _env_secret("KEFU_EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _env_bool("KEFU_EMAIL_USE_TLS", False)  # STARTTLS
EMAIL_USE_SSL = _env_bool("KEFU_EMAIL_USE_SSL", False)  # implicit TLS (port 465)
EMAIL_TIMEOUT = float(os.environ.get("KEFU_EMAIL_TIMEOUT", "20"))

# Logs (docs/subsystems/production.md): "plain" lines for people, or "json" (one object a line,
# with request_id / job_id) for a log pipeline. Credentials are scrubbed in both.
KEFU_LOG_FORMAT = os.environ.get("KEFU_LOG_FORMAT", "plain").strip().lower()
LOGGING = logging_config(fmt=KEFU_LOG_FORMAT, level=os.environ.get("KEFU_LOG_LEVEL", "INFO"))

# Metrics at /metrics (Prometheus text format): for a client presenting the bearer token, or
# from these addresses/networks (default: loopback only). PROMETHEUS_MULTIPROC_DIR (read by
# prometheus_client itself) lets one scrape add up every process of the machine.
KEFU_METRICS_TOKEN = _env_secret("KEFU_METRICS_TOKEN") or ""
KEFU_METRICS_ALLOWED_IPS = [
    net.strip()
    for net in os.environ.get("KEFU_METRICS_ALLOWED_IPS", "127.0.0.1/32,::1/128").split(",")
    if net.strip()
]
# How many web processes serve this deployment (all machines): above one, REDIS_URL is required
# (`kefu check --deploy`). `kefu up --production` sets it.
KEFU_WEB_PROCESSES = int(
    os.environ.get("KEFU_WEB_PROCESSES") or os.environ.get("WEB_CONCURRENCY") or "1"
)
