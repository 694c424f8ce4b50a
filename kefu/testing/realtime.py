"""Helpers for WebSocket tests: connect the real ASGI application through Channels' communicator."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application

ORIGIN = b"http://127.0.0.1:8000"


class Socket:
    """A test client for one WebSocket, speaking JSON frames."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None):
        self.comm = WebsocketCommunicator(application, path, headers=headers or [])

    async def connect(self) -> None:
        connected, _ = await self.comm.connect()
        assert connected

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.comm.send_to(text_data=text)

    async def recv(self, timeout: float = 2) -> dict[str, Any]:
        out = await self.comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            return {"type": "__closed__", "code": out.get("code")}
        return json.loads(out["text"])  # type: ignore[no-any-return]

    async def recv_type(self, kind: str, timeout: float = 2) -> dict[str, Any]:
        """The next frame of ``kind``, skipping others (e.g. inbox notifications)."""
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in (kind, "__closed__"):
                return frame

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.comm.receive_nothing(timeout)

    async def none_of(self, kind: str, timeout: float = 0.3) -> bool:
        """No frame of ``kind`` within ``timeout`` seconds (others, e.g. a held
        ``inbox.changed`` from the test's set-up, are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            if await self.nothing(left):
                return True
            if (await self.recv())["type"] == kind:
                return False
        return True

    async def close(self) -> None:
        await self.comm.disconnect()


async def chat_socket(origin: bytes = ORIGIN) -> Socket:
    sock = Socket("/ws/chat/v1", headers=[(b"origin", origin)])
    await sock.connect()
    return sock


async def chat_hello(site_key: str, **fields: Any) -> tuple[Socket, dict[str, Any]]:
    sock = await chat_socket()
    await sock.send({"type": "hello", "v": 1, "site": site_key, **fields})
    return sock, await sock.recv()


def _session_cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}".encode()


async def agent_socket(user: Any | None) -> tuple[Socket, dict[str, Any]]:
    headers = [(b"origin", ORIGIN), (b"host", b"127.0.0.1:8000")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(_session_cookie)(user)))
    sock = Socket("/ws/agent/v1", headers=headers)
    await sock.connect()
    return sock, await sock.recv()
