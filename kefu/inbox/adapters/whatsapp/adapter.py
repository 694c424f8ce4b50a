"""The WhatsApp channel: one business phone number through the Cloud API.

Inbound: Meta POSTs ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}`` (signed; one request may carry several messages and status
callbacks). Text, button and list replies become messages; images, documents, audio, video and
stickers are fetched by media id (``GET /{media-id}`` gives a short-lived URL, downloaded with
the bearer token, within the attachment size limit). ``contacts[].profile.name`` is the
sender's display name; their ``wa_id`` is both their identity and where replies go. Status
callbacks (sent, delivered, read, failed) become receipts for our own messages. Events for
another phone number of the same business account are ignored.

Outbound: ``POST /{phone-number-id}/messages`` — text in parts of 4,096 characters, then each
file uploaded (``POST /{phone-number-id}/media``, multipart) and sent as an image (JPEG, PNG)
or a document. Replying needs the customer to have written within 24 hours (error 131047,
shown to the agent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings

from kefu.conversations.models import Channel
from kefu.core.errors import PermanentError
from kefu.inbox.adapters import meta
from kefu.inbox.adapters.base import (
    DeliveryReceipt,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Sender,
    SendResult,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})
MEDIA_TYPES = frozenset({"image", "document", "audio", "video", "sticker"})
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
}
STATUSES = frozenset({"sent", "delivered", "read", "failed"})
IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral", "unsupported", "request_welcome"})

Item = InboundMessage | DeliveryReceipt


class WhatsAppAdapter(meta.MetaWebhook):
    kind = Channel.WHATSAPP.value
    graph_object = "whatsapp_business_account"

    def __init__(self, api: meta.GraphApi | None = None) -> None:
        self.api = api or meta.GraphApi("WhatsApp", "KEFU_WHATSAPP_TOKEN")

    def is_configured(self) -> bool:
        return meta.webhook_configured() and bool(
            settings.KEFU_WHATSAPP_TOKEN and settings.KEFU_WHATSAPP_PHONE_NUMBER_ID
        )

    def account(self) -> str:
        return str(settings.KEFU_WHATSAPP_PHONE_NUMBER_ID)[:64]

    # --- inbound --------------------------------------------------------------------------

    def parse(self, body: bytes, content_type: str) -> Sequence[Item]:
        try:
            payload = meta.load(body, self.graph_object)
        except ValueError as exc:
            raise PermanentError(f"not a WhatsApp payload: {exc}") from None
        items: list[Item] = []
        for entry in payload["entry"]:
            changes = entry.get("changes") if isinstance(entry, dict) else None
            if not isinstance(changes, list):
                raise PermanentError("WhatsApp entry without a changes list")
            for change in changes:
                if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                    raise PermanentError("WhatsApp change without a value")
                if change.get("field") != "messages":
                    continue  # account, template and quality updates: not for the inbox
                items.extend(self._value(change["value"]))
        return items

    def _value(self, value: dict[str, Any]) -> list[Item]:
        number = str(meta.obj(value.get("metadata")).get("phone_number_id") or "")
        messages = meta.array(value.get("messages"))
        statuses = meta.array(value.get("statuses"))
        names: dict[str, str] = {}
        for contact in meta.array(value.get("contacts")):
            if isinstance(contact, dict) and isinstance(contact.get("profile"), dict):
                names[str(contact.get("wa_id"))] = str(contact["profile"].get("name") or "")[:200]
        items: list[Item] = []
        for status in statuses:
            if isinstance(status, dict) and status.get("status") in STATUSES and status.get("id"):
                error = meta.receipt_error(status.get("errors"))
                items.append(DeliveryReceipt(str(status["id"]), str(status["status"]), error))
        for message in messages:
            if not isinstance(message, dict):
                raise PermanentError("WhatsApp message is not an object")
            items.append(self._message(message, names, other_number=number != self.account()))
        return items

    def _message(
        self, message: dict[str, Any], names: dict[str, str], *, other_number: bool
    ) -> InboundMessage:
        wamid = str(message.get("id") or "")
        wa_id = str(message.get("from") or "")
        if not wamid or not wa_id:
            raise PermanentError("WhatsApp message without id or sender")
        who = Sender(kind=self.kind, id=wa_id, display_name=names.get(wa_id, ""))
        kind = str(message.get("type") or "")

        def ignored(reason: str) -> InboundMessage:
            return InboundMessage(
                provider_message_id=wamid,
                sender=who,
                thread_key=wa_id,
                ignorable=True,
                reason=reason,
            )

        if other_number:
            return ignored("for another phone number")
        if kind in IGNORED_TYPES:
            return ignored(f"{kind} message")
        text = ""
        attachments: tuple[InboundAttachment, ...] = ()
        if kind == "text" and isinstance(message.get("text"), dict):
            text = str(message["text"].get("body") or "")
        elif kind == "interactive" and isinstance(message.get("interactive"), dict):
            reply = message["interactive"].get("button_reply") or message["interactive"].get(
                "list_reply"
            )
            text = str(reply.get("title") or "") if isinstance(reply, dict) else ""
        elif kind == "button" and isinstance(message.get("button"), dict):
            text = str(message["button"].get("text") or "")
        elif kind in MEDIA_TYPES and isinstance(message.get(kind), dict):
            media = message[kind]
            text = str(media.get("caption") or "")
            attachments = (self._fetch(media, kind, wamid),)
        if not text and not attachments:
            return ignored(f"unsupported message type {kind}"[:60])
        return InboundMessage(
            provider_message_id=wamid,
            sender=who,
            thread_key=wa_id,
            text=text,
            attachments=attachments,
        )

    def _fetch(self, media: dict[str, Any], kind: str, wamid: str) -> InboundAttachment:
        media_id = str(media.get("id") or "")
        if not media_id.isdigit():
            raise PermanentError("WhatsApp media without a numeric id")
        limit: int = settings.KEFU_ATTACHMENT_MAX_BYTES
        info = self.api.call("GET", media_id, "media")
        mime = str(info.get("mime_type") or media.get("mime_type") or "").split(";")[0].strip()
        name = str(media.get("filename") or "") or f"{kind}_{wamid[-8:]}{EXTENSIONS.get(mime, '')}"
        size = info.get("file_size")
        if isinstance(size, int) and size > limit:
            return InboundAttachment(name, b"", too_large=True)
        url = info.get("url")
        if not isinstance(url, str) or not url:
            raise PermanentError("WhatsApp media: no url")
        content = self.api.download(url, "media download", limit=limit + 1, authorized=True)
        if content is None:
            return InboundAttachment(name, b"", too_large=True)
        return InboundAttachment(name, content)

    # --- outbound -------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        number = self.account()
        base = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        ids: list[str] = []
        for part in meta.chunks(message.text, MAX_TEXT):
            answer = self.api.call(
                "POST",
                f"{number}/messages",
                "send",
                body={
                    **base,
                    "to": message.thread_key,
                    "type": "text",
                    "text": {"body": part, "preview_url": False},
                },
            )
            ids.append(_message_id(answer))
        for item in message.attachments:
            uploaded = self.api.call(
                "POST",
                f"{number}/media",
                "media upload",
                data={"messaging_product": "whatsapp", "type": item.content_type},
                files={"file": (item.name, item.content, item.content_type)},
            )
            media_id = str(uploaded.get("id") or "")
            if not media_id:
                raise PermanentError("WhatsApp media upload: no id in the answer")
            kind = "image" if item.content_type in IMAGE_TYPES else "document"
            media: dict[str, str] = {"id": media_id}
            if kind == "document":
                media["filename"] = item.name
            answer = self.api.call(
                "POST",
                f"{number}/messages",
                "send file",
                body={**base, "to": message.thread_key, "type": kind, kind: media},
            )
            ids.append(_message_id(answer))
        return SendResult.of(ids)


def _message_id(answer: dict[str, Any]) -> str:
    messages = answer.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return str(messages[0].get("id") or "")
    return ""
