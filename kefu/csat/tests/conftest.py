from __future__ import annotations

import pytest

from kefu.inbox.models import ChatSite


@pytest.fixture
def chat_site(team_a):
    return ChatSite.objects.create(
        name="Test exchange",
        key="test-site",
        team=team_a,
        allowed_origins=["http://127.0.0.1:8000"],
    )


@pytest.fixture
def bot_api(settings):
    """The local Bot API on 127.0.0.1 (kefu/inbox/tests/telegram_server.py)."""
    from kefu.inbox.tests.conftest import WEBHOOK_SECRET
    from kefu.inbox.tests.telegram_server import TOKEN, BotApiServer

    with BotApiServer() as server:
        settings.KEFU_TELEGRAM_BOT_TOKEN = TOKEN
        settings.KEFU_TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.KEFU_TELEGRAM_BOT_USERNAME = "KefuTestBot"
        settings.KEFU_TELEGRAM_API_BASE = server.base
        yield server.state
