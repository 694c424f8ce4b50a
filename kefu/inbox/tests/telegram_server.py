"""A local Telegram Bot API for tests: a threaded HTTP server on 127.0.0.1 that speaks the
wire format of the calls Kefu makes (getFile, the file download, sendMessage, sendPhoto,
sendDocument, answerCallbackQuery), records every request, and can answer 429 / 403 / 500 on
demand."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from kefu.inbox.tests.local_http import JsonHandler, LocalServer

TOKEN = "123456:TEST-bot-token-abcdefghijklmnop"


@dataclass
class Call:
    method: str
    json: dict[str, Any]
    raw: bytes
    content_type: str

    def field(self, name: str) -> bool:
        return f'name="{name}"'.encode() in self.raw


@dataclass
class BotApiState:
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> bytes
    # method -> queued (status, body) answers used before the default success
    failures: dict[str, deque[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    next_id: int = 1000

    def fail(self, method: str, status: int, times: int = 1, **extra: Any) -> None:
        descriptions = {
            429: "Too Many Requests: retry after 7",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
            500: "Internal Server Error",
        }
        body = {"ok": False, "error_code": status, "description": descriptions.get(status, "")}
        body.update(extra)
        self.failures.setdefault(method, deque()).extend([(status, body)] * times)

    def sent(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]


def _handler(state: BotApiState) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802
            prefix = f"/file/bot{TOKEN}/"
            if not self.path.startswith(prefix):
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            file_id = self.path[len(prefix) :].rsplit("/", 1)[-1]
            content = state.files.get(file_id)
            if content is None:
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            self._bytes(content)

        def do_POST(self) -> None:  # noqa: N802
            prefix = f"/bot{TOKEN}/"
            raw = self._body()
            if not self.path.startswith(prefix):
                self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            method = self.path[len(prefix) :]
            content_type = self.headers.get("Content-Type", "")
            data = json.loads(raw) if content_type.startswith("application/json") else {}
            state.calls.append(Call(method, data, raw, content_type))
            queued = state.failures.get(method)
            if queued:
                status, body = queued.popleft()
                self._json(status, body)
                return
            if method == "getFile":
                file_id = data.get("file_id", "")
                if file_id not in state.files:
                    self._json(
                        400,
                        {
                            "ok": False,
                            "error_code": 400,
                            "description": "Bad Request: wrong file_id",
                        },
                    )
                    return
                result: dict[str, Any] = {
                    "file_id": file_id,
                    "file_unique_id": "u" + file_id,
                    "file_size": len(state.files[file_id]),
                    "file_path": f"documents/{file_id}",
                }
            elif method == "answerCallbackQuery":
                self._json(200, {"ok": True, "result": True})
                return
            elif method in ("sendMessage", "sendPhoto", "sendDocument"):
                state.next_id += 1
                result = {"message_id": state.next_id, "date": 1700000000, "chat": {"id": 1}}
            else:
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            self._json(200, {"ok": True, "result": result})

    return Handler


class BotApiServer(LocalServer):
    def __init__(self) -> None:
        self.state = BotApiState()
        super().__init__(_handler(self.state))

    def __enter__(self) -> BotApiServer:
        super().__enter__()
        return self
