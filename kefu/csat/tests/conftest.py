from __future__ import annotations

import pytest

from kefu.inbox.models import ChatSite
from kefu.inbox.tests.conftest import bot_api  # noqa: F401  (the local Bot API fixture)


@pytest.fixture
def chat_site(team_a):
    return ChatSite.objects.create(
        name="Test exchange",
        key="test-site",
        team=team_a,
        allowed_origins=["http://127.0.0.1:8000"],
    )
