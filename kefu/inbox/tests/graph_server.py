"""A local Graph API for tests: a threaded HTTP server on 127.0.0.1 speaking the wire format of
the calls the Messenger and WhatsApp adapters make (Send API, WhatsApp messages, media upload,
media lookup and download, Messenger attachment URLs). It checks the bearer token, records
every request, and answers Graph errors ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}`` on demand."""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from kefu.inbox.tests.local_http import JsonHandler, LocalServer

VERSION = "v21.0"
PAGE_TOKEN = "EAAGpage-token-SECRET-do-not-log-1234567890"
WHATSAPP_TOKEN = "EAAGwa-token-SECRET-do-not-log-0987654321"
PHONE_NUMBER_ID = "106540352242922"
PAGE_ID = "4210987654321"

MESSAGES = {
    190: ("Invalid OAuth access token - Cannot parse access token", "OAuthException"),
    4: ("(#4) Application request limit reached", "OAuthException"),
    130429: ("(#130429) Rate limit hit", "OAuthException"),
    131047: ("(#131047) Re-engagement message", "OAuthException"),
    131026: ("(#131026) Message Undeliverable", "OAuthException"),
    10: ("(#10) This message is sent outside of allowed window.", "OAuthException"),
    551: ("This person isn't available right now.", "OAuthException"),
    2: ("An unexpected error has occurred. Please retry your request later.", "OAuthException"),
    100: ("(#100) Invalid parameter", "OAuthException"),
}


@dataclass
class Call:
    route: str
    path: str
    json: dict[str, Any]
    raw: bytes
    content_type: str
    authorization: str

    def field(self, name: str) -> bool:
        return f'name="{name}"'.encode() in self.raw


@dataclass
class GraphState:
    base: str = ""
    calls: list[Call] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # WhatsApp media id ->
    cdn: dict[str, bytes] = field(default_factory=dict)  # Messenger attachment name -> bytes
    failures: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    next_id: int = 1000

    def fail(
        self, route: str, status: int, code: int, *, times: int = 1, subcode: int | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``route`` with a Graph error."""
        message, kind = MESSAGES.get(code, ("Unknown error", "OAuthException"))
        error: dict[str, Any] = {"message": message, "type": kind, "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        error["fbtrace_id"] = "AbCdEfGhIjK"
        self.failures.setdefault(route, deque()).extend([(status, {"error": error})] * times)

    def sent(self, route: str) -> list[Call]:
        return [c for c in self.calls if c.route == route]

    def media_url(self, media_id: str) -> str:
        return f"{self.base}/whatsapp-media/{media_id}?ext=1"


def _handler(state: GraphState) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def _route(self, method: str) -> tuple[str, str]:
            path = self.path.split("?", 1)[0]
            if method == "GET" and path.startswith("/cdn/"):
                return "cdn", path
            if method == "GET" and path.startswith("/whatsapp-media/"):
                return "whatsapp.download", path
            prefix = f"/{VERSION}/"
            if not path.startswith(prefix):
                return "", path
            rest = path[len(prefix) :]
            if method == "POST" and rest == "me/messages":
                return "messenger.send", path
            if method == "POST" and rest == f"{PHONE_NUMBER_ID}/messages":
                return "whatsapp.send", path
            if method == "POST" and rest == f"{PHONE_NUMBER_ID}/media":
                return "whatsapp.upload", path
            if method == "GET" and re.fullmatch(r"\d+", rest):
                return "whatsapp.media", path
            return "", path

        def _token_ok(self, route: str) -> bool:
            if route == "cdn":
                return True
            expected = PAGE_TOKEN if route.startswith("messenger") else WHATSAPP_TOKEN
            return self.headers.get("Authorization", "") == f"Bearer {expected}"

        def _handle(self, method: str) -> None:
            raw = self._body() if method == "POST" else b""
            route, path = self._route(method)
            content_type = self.headers.get("Content-Type", "")
            data = json.loads(raw) if content_type.startswith("application/json") else {}
            state.calls.append(
                Call(route, path, data, raw, content_type, self.headers.get("Authorization", ""))
            )
            if not route:
                self._json(
                    400,
                    {
                        "error": {
                            "message": "Unknown path",
                            "type": "GraphMethodException",
                            "code": 100,
                        }
                    },
                )
                return
            if not self._token_ok(route):
                message, kind = MESSAGES[190]
                self._json(401, {"error": {"message": message, "type": kind, "code": 190}})
                return
            queued = state.failures.get(route)
            if queued:
                status, body = queued.popleft()
                self._json(status, body)
                return
            state.next_id += 1
            if route == "cdn":
                content = state.cdn.get(path.rsplit("/", 1)[-1])
                if content is None:
                    self._json(404, {"error": {"message": "Not found", "code": 100}})
                else:
                    self._bytes(content)
            elif route == "whatsapp.download":
                media = state.media.get(path.rsplit("/", 1)[-1])
                if media is None:
                    self._json(404, {"error": {"message": "Not found", "code": 100}})
                else:
                    self._bytes(media[0], media[1])
            elif route == "whatsapp.media":
                media_id = path.rsplit("/", 1)[-1]
                if media_id not in state.media:
                    self._json(
                        400,
                        {
                            "error": {
                                "message": "(#100) Invalid media id",
                                "type": "OAuthException",
                                "code": 100,
                            }
                        },
                    )
                    return
                content, mime = state.media[media_id]
                self._json(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "url": state.media_url(media_id),
                        "mime_type": mime,
                        "sha256": "0" * 64,
                        "file_size": len(content),
                        "id": media_id,
                    },
                )
            elif route == "messenger.send":
                self._json(200, {"recipient_id": "psid", "message_id": f"m_sent{state.next_id}"})
            elif route == "whatsapp.send":
                self._json(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": data.get("to", ""), "wa_id": data.get("to", "")}],
                        "messages": [{"id": f"wamid.SENT{state.next_id}"}],
                    },
                )
            else:  # whatsapp.upload
                self._json(200, {"id": str(900000 + state.next_id)})

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

    return Handler


class GraphServer(LocalServer):
    def __init__(self) -> None:
        self.state = GraphState()
        super().__init__(_handler(self.state))
        self.state.base = self.base

    def __enter__(self) -> GraphServer:
        super().__enter__()
        return self
