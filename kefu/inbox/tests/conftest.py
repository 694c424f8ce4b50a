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


# --- Telegram -------------------------------------------------------------------------------

WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def bot_api(settings):
    """A local Bot API on 127.0.0.1, and the settings that point the Telegram adapter at it."""
    from kefu.inbox.tests.telegram_server import TOKEN, BotApiServer

    with BotApiServer() as server:
        settings.KEFU_TELEGRAM_BOT_TOKEN = TOKEN
        settings.KEFU_TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.KEFU_TELEGRAM_BOT_USERNAME = "KefuTestBot"
        settings.KEFU_TELEGRAM_API_BASE = server.base
        yield server.state


class Clock:
    def __init__(self) -> None:
        from django.utils import timezone

        self.now = timezone.now()

    def advance(self, **kwargs: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**kwargs)


@pytest.fixture
def fake_clock(monkeypatch) -> Clock:
    from kefu.core import clock

    c = Clock()
    monkeypatch.setattr(clock, "now", lambda: c.now)
    return c


# --- Messenger and WhatsApp (Meta) ----------------------------------------------------------

META_APP_SECRET = "meta-app-secret-SECRET-abcdef"
META_VERIFY_TOKEN = "meta-verify-token-SECRET-123"


@pytest.fixture
def graph_api(settings):
    """A local Graph API on 127.0.0.1, and the settings for both Meta adapters."""
    from kefu.inbox.tests.graph_server import (
        PAGE_TOKEN,
        PHONE_NUMBER_ID,
        VERSION,
        WHATSAPP_TOKEN,
        GraphServer,
    )

    with GraphServer() as server:
        settings.KEFU_META_APP_SECRET = META_APP_SECRET
        settings.KEFU_META_VERIFY_TOKEN = META_VERIFY_TOKEN
        settings.KEFU_MESSENGER_PAGE_TOKEN = PAGE_TOKEN
        settings.KEFU_WHATSAPP_TOKEN = WHATSAPP_TOKEN
        settings.KEFU_WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
        settings.KEFU_META_GRAPH_BASE = server.base
        settings.KEFU_META_GRAPH_VERSION = VERSION
        yield server.state
