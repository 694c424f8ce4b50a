"""Telegram updates as the Bot API sends them, and a helper that POSTs one to the webhook."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.urls import reverse

from kefu.inbox.tests.conftest import WEBHOOK_SECRET

USER_ID = 777001
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def user(user_id: int = USER_ID, **extra: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Li",
        "last_name": "Wei",
        "language_code": "en",
        **extra,
    }


def message_update(
    update_id: int,
    *,
    text: str | None = "My withdrawal is stuck",
    message_id: int | None = None,
    user_id: int = USER_ID,
    chat: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id or update_id,
        "from": user(user_id),
        "chat": chat or {"id": user_id, "type": "private", "first_name": "Li"},
        "date": 1700000000,
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def post(client: Client, update: dict[str, Any] | bytes, *, secret: str | None = WEBHOOK_SECRET):
    headers = {} if secret is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    body = update if isinstance(update, bytes) else json.dumps(update)
    return client.post(
        reverse("channels:webhook", kwargs={"kind": "telegram"}),
        data=body,
        content_type="application/json",
        **headers,
    )
