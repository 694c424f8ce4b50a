"""Portal: "Connect Telegram" sends the signed-in customer to the bot with a one-use token."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kefu.conversations.models import Channel
from kefu.inbox import inbound
from kefu.inbox.adapters.telegram.adapter import TelegramAdapter
from kefu.portal.access import Customer, customer_required


def deep_link(token: str) -> str:
    return f"https://t.me/{settings.KEFU_TELEGRAM_BOT_USERNAME}?start={token}"


@never_cache
@require_POST
@customer_required
def connect(request: HttpRequest, customer: Customer) -> HttpResponse:
    if not TelegramAdapter().is_configured() or not settings.KEFU_TELEGRAM_BOT_USERNAME:
        messages.error(request, _("Telegram is not available at the moment."))
        return redirect("portal:account")
    token = inbound.link_token_create(
        channel=Channel.TELEGRAM, contact=customer.contact, actor=customer.actor
    )
    return redirect(deep_link(token))
