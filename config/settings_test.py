"""Test settings: fast hashing, tasks run in-process, a throwaway data folder."""

import os
import tempfile

os.environ.setdefault("KEFU_DATA_DIR", tempfile.mkdtemp(prefix="kefu-test-"))

from config.settings import *  # noqa: F403
from config.settings import DATA_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never in prod
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = DATA_DIR / "media"
AXES_ENABLED = True
ALLOWED_HOSTS = ["*"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405 - close connections so test DBs can be dropped
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: the ASGI test server's threads then get SQLite's normal
    # locking (busy timeout) instead of "database table is locked" errors.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
KEFU_HELP_SEARCH_WARM = False  # tests build the index from their own database
KEFU_HELP_VIEW_FLUSH_SECONDS = 0.0  # tests read view counts right after the request
