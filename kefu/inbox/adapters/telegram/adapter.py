"""The Telegram channel: one bot per deployment, updates by webhook, replies by the Bot API.

Inbound: Telegram POSTs each update with ``X-Telegram-Bot-Api-Secret-Token``; the webhook
stores it (idempotent on ``update_id``) and the worker calls ``parse``, which downloads photos
and documents (``getFile`` then the file URL, within the attachment size limit). Only private
chats make conversations; groups get one polite notice. Outbound: ``sendMessage``, then
``sendPhoto`` / ``sendDocument`` (multipart) for each attachment.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings

from kefu.conversations.models import Channel
from kefu.core.errors import PermanentError
from kefu.inbox.adapters.base import (
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Sender,
    SendResult,
)
from kefu.inbox.adapters.telegram.client import BotApi

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
MAX_TEXT = 4096
MAX_CAPTION = 1024
PHOTO_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
GROUP_TYPES = frozenset({"group", "supergroup", "channel"})


class TelegramAdapter:
    kind = Channel.TELEGRAM.value

    def __init__(self, api: BotApi | None = None) -> None:
        self.api = api or BotApi()

    def is_configured(self) -> bool:
        return bool(settings.KEFU_TELEGRAM_BOT_TOKEN and settings.KEFU_TELEGRAM_WEBHOOK_SECRET)

    def account(self) -> str:
        # The bot's numeric id is the part of the token before the colon; it is not secret.
        token: str = settings.KEFU_TELEGRAM_BOT_TOKEN
        return token.split(":", 1)[0] if ":" in token else ""

    def secret_headers(self) -> frozenset[str]:
        return frozenset({SECRET_HEADER})

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        expected: str = settings.KEFU_TELEGRAM_WEBHOOK_SECRET
        given = headers.get(SECRET_HEADER, "")
        if not expected or not given:
            return False
        return hmac.compare_digest(given.encode(), expected.encode())

    def event_id(self, body: bytes) -> str:
        update = _load(body)
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("no update_id")
        return str(update_id)

    # --- inbound --------------------------------------------------------------------------

    def parse(self, body: bytes, content_type: str) -> Sequence[InboundMessage]:
        try:
            update = _load(body)
        except ValueError as exc:
            raise PermanentError(f"not a Telegram update: {exc}") from None
        callback = update.get("callback_query")
        if isinstance(callback, dict):
            return [_callback(callback)]
        message = update.get("message")
        if not isinstance(message, dict):
            kinds = sorted(k for k in update if k != "update_id")
            return [_ignored(update, "unsupported update: " + ",".join(kinds)[:60])]
        chat = message.get("chat")
        sender = message.get("from")
        message_id = message.get("message_id")
        if not isinstance(chat, dict) or not isinstance(message_id, int):
            raise PermanentError("Telegram message without chat or message_id")
        chat_id = str(chat.get("id"))
        provider_id = f"{chat_id}:{message_id}"
        who = _sender(sender if isinstance(sender, dict) else {})
        if chat.get("type") in GROUP_TYPES:
            return [
                InboundMessage(
                    provider_message_id=provider_id,
                    sender=who,
                    thread_key=chat_id,
                    ignorable=True,
                    reason="group chat",
                    notify_ignored=True,
                )
            ]
        if isinstance(sender, dict) and sender.get("is_bot"):
            return [
                InboundMessage(
                    provider_message_id=provider_id,
                    sender=who,
                    thread_key=chat_id,
                    ignorable=True,
                    is_auto=True,
                    reason="sent by a bot",
                )
            ]
        text = str(message.get("text") or message.get("caption") or "")
        if text.startswith("/start"):
            command, _space, arg = text.partition(" ")
            if command in ("/start", f"/start@{settings.KEFU_TELEGRAM_BOT_USERNAME}"):
                return [
                    InboundMessage(
                        provider_message_id=provider_id,
                        sender=who,
                        thread_key=chat_id,
                        command="start",
                        command_arg=arg.strip(),
                    )
                ]
        attachments = tuple(self._attachments(message))
        if not text and not attachments:
            return [
                InboundMessage(
                    provider_message_id=provider_id,
                    sender=who,
                    thread_key=chat_id,
                    ignorable=True,
                    reason="no text or file",
                )
            ]
        return [
            InboundMessage(
                provider_message_id=provider_id,
                sender=who,
                thread_key=chat_id,
                text=text,
                attachments=attachments,
            )
        ]

    def _attachments(self, message: dict[str, Any]) -> list[InboundAttachment]:
        found: list[InboundAttachment] = []
        photos = message.get("photo")
        if isinstance(photos, list) and photos:
            largest = photos[-1]  # Telegram lists the sizes smallest first
            if isinstance(largest, dict):
                found.append(self._fetch(largest, f"photo_{message.get('message_id')}.jpg"))
        document = message.get("document")
        if isinstance(document, dict):
            name = str(document.get("file_name") or f"file_{message.get('message_id')}")
            found.append(self._fetch(document, name))
        return found

    def _fetch(self, file: dict[str, Any], name: str) -> InboundAttachment:
        limit: int = settings.KEFU_ATTACHMENT_MAX_BYTES
        size = file.get("file_size")
        if isinstance(size, int) and size > limit:
            return InboundAttachment(name, b"", too_large=True)
        info = self.api.call("getFile", {"file_id": str(file.get("file_id", ""))})
        path = info.get("file_path") if isinstance(info, dict) else None
        if not isinstance(path, str) or not path:
            raise PermanentError("Telegram getFile: no file_path")
        # One byte over the limit is enough for the core's validation to refuse it by size.
        return InboundAttachment(name, self.api.download(path, limit=limit + 1))

    # --- outbound -------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        ids: list[str] = []
        if message.text:
            params: dict[str, Any] = {
                "chat_id": message.thread_key,
                "text": message.text[:MAX_TEXT],
            }
            if message.buttons:
                params["reply_markup"] = {
                    "inline_keyboard": [
                        [
                            {"text": label, "callback_data": data[:64]}
                            for label, data in message.buttons
                        ]
                    ]
                }
            result = self.api.call("sendMessage", params)
            ids.append(_message_id(result))
        for item in message.attachments:
            method, field = (
                ("sendPhoto", "photo")
                if item.content_type in PHOTO_TYPES
                else ("sendDocument", "document")
            )
            result = self.api.call(
                method,
                {"chat_id": message.thread_key},
                files={field: (item.name, item.content, item.content_type)},
            )
            ids.append(_message_id(result))
        return SendResult.of(ids)

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        """Stop the button's spinner in the user's app (a short toast with ``text``)."""
        params: dict[str, Any] = {"callback_query_id": callback_id}
        if text:
            params["text"] = text[:200]
        self.api.call("answerCallbackQuery", params)


def _callback(callback: dict[str, Any]) -> InboundMessage:
    """A button press: only presses in private chats with the bot count."""
    sender = callback.get("from")
    who = _sender(sender if isinstance(sender, dict) else {})
    message = callback.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    callback_id = str(callback.get("id") or "")
    data = callback.get("data")
    provider_id = f"callback:{callback_id}"
    if (
        not callback_id
        or not isinstance(data, str)
        or not isinstance(chat, dict)
        or chat.get("type") != "private"
    ):
        return InboundMessage(
            provider_message_id=provider_id,
            sender=who,
            thread_key="",
            ignorable=True,
            reason="button press outside a private chat",
        )
    return InboundMessage(
        provider_message_id=provider_id,
        sender=who,
        thread_key=str(chat.get("id")),
        command="callback",
        command_arg=data[:64],
        callback_id=callback_id,
    )


def _load(body: bytes) -> dict[str, Any]:
    update = json.loads(body)
    if not isinstance(update, dict):
        raise ValueError("not an object")
    return update


def _sender(data: dict[str, Any]) -> Sender:
    name = " ".join(str(data.get(k) or "") for k in ("first_name", "last_name")).strip()
    if not name and data.get("username"):
        name = "@" + str(data["username"])
    return Sender(
        kind=Channel.TELEGRAM.value,
        id=str(data.get("id", "")),
        display_name=name[:200],
        language=str(data.get("language_code") or ""),
    )


def _ignored(update: dict[str, Any], reason: str) -> InboundMessage:
    return InboundMessage(
        provider_message_id=f"update:{update.get('update_id')}",
        sender=Sender(kind=Channel.TELEGRAM.value, id=""),
        thread_key="",
        ignorable=True,
        reason=reason,
    )


def _message_id(result: Any) -> str:
    if isinstance(result, dict) and "message_id" in result:
        return str(result["message_id"])
    return ""
