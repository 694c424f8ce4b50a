"""Contact tests run in English and UTC unless a test says otherwise."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation


@pytest.fixture(autouse=True)
def _default_language_and_timezone():
    """Start and end every test in English and UTC.

    A request made through the test client leaves the signed-in user's language and timezone
    active in the thread, which would otherwise leak into the next test's messages.
    """
    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()
