"""The one source of "now", so time-dependent logic can be tested with a controlled clock."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
