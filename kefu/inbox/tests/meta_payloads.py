"""Messenger and WhatsApp webhook payloads as Meta sends them, signed POSTs to the webhook,
and the verify-token GET."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.test import Client
from django.urls import reverse

from kefu.inbox.tests.conftest import META_APP_SECRET
from kefu.inbox.tests.graph_server import PAGE_ID, PHONE_NUMBER_ID

PSID = "24512345678901234"
WA_ID = "8613800138000"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sign(body: bytes, secret: str = META_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(
    client: Client,
    kind: str,
    payload: dict[str, Any] | bytes,
    *,
    signature: str | None = "auto",
):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(
        reverse("channels:webhook", kwargs={"kind": kind}),
        data=body,
        content_type="application/json",
        **headers,
    )


def handshake(client: Client, kind: str, **query: str):
    url = reverse("channels:webhook", kwargs={"kind": kind})
    return client.get(url, {f"hub.{k}": v for k, v in query.items()})


# --- Messenger ------------------------------------------------------------------------------


def messenger_message(
    mid: str, *, text: str | None = "My withdrawal is stuck", psid: str = PSID, **extra: Any
) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, **extra}
    if text is not None:
        message["text"] = text
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1733460000000,
        "message": message,
    }


def messenger(*events: dict[str, Any]) -> dict[str, Any]:
    """One POST: an entry per event, as Meta batches them."""
    return {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "time": 1733460000000 + i, "messaging": [event]}
            for i, event in enumerate(events)
        ],
    }


# --- WhatsApp -------------------------------------------------------------------------------


def wa_message(wamid: str, *, kind: str = "text", wa_id: str = WA_ID, **body: Any) -> dict:
    message: dict[str, Any] = {"from": wa_id, "id": wamid, "timestamp": "1733460000", "type": kind}
    if kind == "text":
        message["text"] = {"body": body.pop("text", "My deposit has not arrived")}
    message.update(body)
    return message


def wa_status(wamid: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": status,
        "timestamp": "1733460100",
        "recipient_id": WA_ID,
        **extra,
    }


def whatsapp(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    *,
    phone_number_id: str = PHONE_NUMBER_ID,
    name: str = "Li Wei",
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": name}, "wa_id": wa}
            for wa in dict.fromkeys(m["from"] for m in messages)
        ]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
