"""The Messenger channel: one Facebook Page per deployment.

Inbound: Meta POSTs ``{"object": "page", "entry": [{"messaging": [...]}]}`` (signed, possibly
several events in one request). Text, quick replies and button postbacks become messages;
image, video, audio and file attachments are downloaded from their ``payload.url`` within the
attachment size limit; echoes of the Page's own messages and read receipts are ignored;
delivery receipts mark our replies delivered. The sender is the user's page-scoped id (PSID),
which is also where replies go. Outbound: the Send API (``POST /me/messages``, messaging type
RESPONSE), text in parts of 2,000 characters, then each file as a multipart upload.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

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

MAX_TEXT = 2000
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
FILE_ATTACHMENTS = frozenset({"image", "video", "audio", "file"})
DEFAULT_NAMES = {"image": "image.jpg", "video": "video.mp4", "audio": "audio.mp4", "file": "file"}

Item = InboundMessage | DeliveryReceipt


class MessengerAdapter(meta.MetaWebhook):
    kind = Channel.MESSENGER.value
    graph_object = "page"

    def __init__(self, api: meta.GraphApi | None = None) -> None:
        self.api = api or meta.GraphApi("Messenger", "KEFU_MESSENGER_PAGE_TOKEN")

    def is_configured(self) -> bool:
        return meta.webhook_configured() and bool(settings.KEFU_MESSENGER_PAGE_TOKEN)

    def account(self) -> str:
        return ""  # one Page per deployment

    # --- inbound --------------------------------------------------------------------------

    def parse(self, body: bytes, content_type: str) -> Sequence[Item]:
        try:
            payload = meta.load(body, self.graph_object)
        except ValueError as exc:
            raise PermanentError(f"not a Messenger payload: {exc}") from None
        items: list[Item] = []
        for entry in payload["entry"]:
            events = entry.get("messaging") if isinstance(entry, dict) else None
            if not isinstance(events, list):
                raise PermanentError("Messenger entry without a messaging list")
            for event in events:
                if not isinstance(event, dict):
                    raise PermanentError("Messenger event is not an object")
                items.extend(self._event(event))
        return items

    def _event(self, event: dict[str, Any]) -> list[Item]:
        psid = str(meta.obj(event.get("sender")).get("id") or "")
        stamp = str(event.get("timestamp") or "")
        who = Sender(kind=self.kind, id=psid)
        delivery = event.get("delivery")
        if isinstance(delivery, dict):
            mids = meta.array(delivery.get("mids"))
            return [DeliveryReceipt(str(mid), "delivered") for mid in mids if mid]
        message = event.get("message")
        if isinstance(message, dict):
            mid = str(message.get("mid") or "")
            if not mid or not psid:
                raise PermanentError("Messenger message without mid or sender")
            if message.get("is_echo"):
                return [self._ignored(mid, who, "echo of a Page message", auto=True)]
            text = str(message.get("text") or "")
            attachments = tuple(self._attachments(message.get("attachments")))
            if not text and not attachments:
                return [self._ignored(mid, who, "no text or file")]
            return [
                InboundMessage(
                    provider_message_id=mid,
                    sender=who,
                    thread_key=psid,
                    text=text,
                    attachments=attachments,
                )
            ]
        postback = event.get("postback")
        if isinstance(postback, dict) and psid:
            mid = str(postback.get("mid") or f"postback:{psid}:{stamp}")
            title = str(postback.get("title") or postback.get("payload") or "")
            return [
                InboundMessage(provider_message_id=mid, sender=who, thread_key=psid, text=title)
            ]
        kinds = sorted(k for k in event if k not in ("sender", "recipient", "timestamp"))
        return [self._ignored(f"event:{psid}:{stamp}", who, ",".join(kinds)[:60] or "empty")]

    def _ignored(self, mid: str, who: Sender, reason: str, *, auto: bool = False) -> Item:
        return InboundMessage(
            provider_message_id=mid,
            sender=who,
            thread_key=who.id,
            ignorable=True,
            is_auto=auto,
            reason=reason,
        )

    def _attachments(self, raw: Any) -> list[InboundAttachment]:
        found: list[InboundAttachment] = []
        if not isinstance(raw, list):
            return found
        limit: int = settings.KEFU_ATTACHMENT_MAX_BYTES
        for index, attachment in enumerate(raw, start=1):
            if not isinstance(attachment, dict) or attachment.get("type") not in FILE_ATTACHMENTS:
                continue  # locations, fallbacks, templates: nothing to download
            payload = attachment.get("payload")
            url = payload.get("url") if isinstance(payload, dict) else None
            if not isinstance(url, str) or not url:
                continue
            name = _file_name(url, str(attachment["type"]), index)
            # One byte over the limit is enough for the core to refuse it by size.
            content = self.api.download(url, "attachment", limit=limit + 1, authorized=False)
            if content is None:
                found.append(InboundAttachment(name, b"", too_large=True))
            else:
                found.append(InboundAttachment(name, content))
        return found

    # --- outbound -------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        recipient = {"id": message.thread_key}
        ids: list[str] = []
        for part in meta.chunks(message.text, MAX_TEXT):
            answer = self.api.call(
                "POST",
                "me/messages",
                "send",
                body={
                    "recipient": recipient,
                    "messaging_type": "RESPONSE",
                    "message": {"text": part},
                },
            )
            ids.append(str(answer.get("message_id") or ""))
        for item in message.attachments:
            kind = "image" if item.content_type in IMAGE_TYPES else "file"
            answer = self.api.call(
                "POST",
                "me/messages",
                "send attachment",
                data={
                    "recipient": json.dumps(recipient),
                    "messaging_type": "RESPONSE",
                    "message": json.dumps(
                        {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
                    ),
                },
                files={"filedata": (item.name, item.content, item.content_type)},
            )
            ids.append(str(answer.get("message_id") or ""))
        return SendResult.of(ids)


def _file_name(url: str, kind: str, index: int) -> str:
    """The file's name from its URL path when it has one, else a name for its kind."""
    base = posixpath.basename(urlsplit(url).path)
    if "." in base and 0 < len(base) <= 100:
        return base
    default = DEFAULT_NAMES.get(kind, "file")
    return f"{index}_{default}"
