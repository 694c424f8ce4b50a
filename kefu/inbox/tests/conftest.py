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
