"""``{% telegram_connect %}``: the portal's "Connect Telegram" section, shown when the bot is
set up."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from kefu.inbox.adapters.telegram.adapter import TelegramAdapter

register = template.Library()


@register.inclusion_tag("inbox/telegram/_portal_connect.html", takes_context=True)
def telegram_connect(context: template.Context) -> dict[str, Any]:
    enabled = TelegramAdapter().is_configured() and bool(settings.KEFU_TELEGRAM_BOT_USERNAME)
    return {"enabled": enabled, "csrf_token": context.get("csrf_token")}
