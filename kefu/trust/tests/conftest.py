from __future__ import annotations

import pytest

from kefu.accounts.services import actor_for_user
from kefu.trust import services


@pytest.fixture
def registry_rows(admin_user):
    """A small registry: one domain, one address, one phone, one Telegram account."""
    actor = actor_for_user(admin_user)
    for kind, value in (
        ("domain", "example.com"),
        ("email", "support@example.com"),
        ("phone", "+86 138 0013 8000"),
        ("telegram", "@exampleSupport"),
    ):
        services.official_channel_save(
            kind=kind, value=value, label_en="Official", label_zh="官方", actor=actor
        )
