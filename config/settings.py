"""Kefu settings: capabilities and secrets come from the environment (see README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

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
    "kefu.helpcenter",
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
]

MIDDLEWARE = [
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
            "BACKEND": "channels.layers.InMemoryChannelLayer",
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

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KEFU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

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
WHITENOISE_USE_FINDERS = True
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
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

EMAIL_BACKEND = os.environ.get(
    "KEFU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
