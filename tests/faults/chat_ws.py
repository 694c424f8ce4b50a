"""WebSocket chat clients for the fault tests: a customer that sends numbered messages with
idempotency keys and, when its socket dies, reconnects (to the next server if one is down),
resumes from the last seq it has and resends what was not acknowledged — what the widget does
(docs/subsystems/realtime.md); and an agent that watches conversations. Both count every
message they are given, so a test can tell delivered once from lost or duplicated."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets


class RateLimited(Exception):
    """The server dropped this frame unread (``rate_limited`` with its ref)."""


@dataclass
class WsCustomer:
    urls: list[str]  # ws://host:port, tried in order, rotating on failure
    site: str
    name: str
    token: str = ""
    conversation_id: int | None = None
    last_seq: int = 0
    acked: dict[str, int] = field(default_factory=dict)  # key -> message id
    pending: dict[str, str] = field(default_factory=dict)  # key -> body, sent, not acked
    delivered: Counter[int] = field(default_factory=Counter)  # message id -> times given
    sent: int = 0
    reconnects: int = 0
    rate_limited: int = 0  # frames the server dropped and this client sent again
    errors: list[str] = field(default_factory=list)
    _sock: Any = None
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None
    _url_index: int = 0

    async def connect(self, deadline: float = 30) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        delay = 0.1
        while True:
            url = self.urls[self._url_index % len(self.urls)]
            try:
                await self._open(url)
                return
            except (OSError, websockets.WebSocketException, TimeoutError, KeyError) as exc:
                self._url_index += 1
                if loop.time() > end:
                    raise AssertionError(f"{self.name} could not reconnect: {exc!r}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _open(self, url: str) -> None:
        sock = await websockets.connect(f"{url}/ws/chat/v1", open_timeout=5)
        hello: dict[str, Any] = {"type": "hello", "site": self.site}
        if self.token:
            hello["visitor_token"] = self.token
        if self.conversation_id is not None:
            hello.update(conversation_id=self.conversation_id, last_seq=self.last_seq)
        try:
            await sock.send(json.dumps(hello))
            welcome = json.loads(await asyncio.wait_for(sock.recv(), 5))
            if welcome.get("type") != "welcome":
                raise KeyError(f"no welcome: {welcome}")
        except BaseException:
            await sock.close()
            raise
        self.token = welcome["visitor"]["token"]
        for message in welcome.get("messages", []) if self.conversation_id else []:
            self._deliver(message)
        self._sock = sock
        self._reader = asyncio.ensure_future(self._read(sock))

    def _deliver(self, message: dict[str, Any]) -> None:
        if message["seq"] <= self.last_seq:
            self.errors.append(f"seq {message['seq']} again (last {self.last_seq})")
        self.delivered[message["id"]] += 1
        self.last_seq = max(self.last_seq, message["seq"])

    async def _read(self, sock: Any) -> None:
        with contextlib.suppress(websockets.WebSocketException, OSError):
            async for raw in sock:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message.created":
                    self._deliver(frame["message"])
                elif kind == "message.ack":
                    future = self._acks.pop(frame["id"], None)
                    if future is not None and not future.done():
                        future.set_result(frame)
                elif kind == "error" and frame.get("code") == "rate_limited" and frame.get("ref"):
                    # Dropped unread: send it again later with the same key (as the widget does).
                    self.rate_limited += 1
                    future = self._acks.pop(frame["ref"], None)
                    if future is not None and not future.done():
                        future.set_exception(RateLimited(frame["ref"]))
                elif kind == "error" and frame.get("code") != "unavailable":
                    self.errors.append(f"error frame {frame}")
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("socket closed"))
        self._acks.clear()

    async def _send_one(self, key: str, body: str) -> bool:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[key] = future
        frame: dict[str, Any] = {"type": "message.send", "id": key, "body": body}
        if self.conversation_id is not None:
            frame["conversation_id"] = self.conversation_id
        try:
            await self._sock.send(json.dumps(frame))
            ack = await asyncio.wait_for(future, 5)
        except RateLimited:
            await asyncio.sleep(1)  # the bucket refills at 10 frames a second
            return await self._send_one(key, body)
        except (websockets.WebSocketException, OSError, ConnectionError, TimeoutError):
            self._acks.pop(key, None)
            return False
        self.acked[key] = ack["message"]["id"]
        self.conversation_id = ack["conversation"]["id"]
        self.pending.pop(key, None)
        return True

    async def send(self, key: str, body: str) -> None:
        """Send until acknowledged, reconnecting (and resending the same key) as needed."""
        self.sent += 1
        self.pending[key] = body
        while not await self._send_one(key, body):
            await self.reconnect()

    async def reconnect(self) -> None:
        self.reconnects += 1
        await self.close()
        await self.connect()
        for key, body in list(self.pending.items()):  # resend, same keys
            if key in self.pending:
                await self._send_one(key, body)

    async def run(self, stop: asyncio.Event, pause: float = 0.12) -> None:
        """Send until ``stop``, one message every ``pause`` seconds at most: the default stays
        under the server's documented 10 frames a second."""
        n = 0
        while not stop.is_set():
            n += 1
            await self.send(f"{self.name}-{n:05d}", f"message {n} from {self.name}")
            await asyncio.sleep(pause)

    async def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(Exception):
                await self._sock.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 2)
        self._sock = None


@dataclass
class WsAgent:
    """An agent's workspace socket watching some conversations (staff shape: ``seq``)."""

    url: str
    cookie: str
    origin: str
    delivered: Counter[int] = field(default_factory=Counter)
    last_seq: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _sock: Any = None
    _reader: asyncio.Task[None] | None = None

    async def open(self, conversation_ids: list[int]) -> None:
        self._sock = await websockets.connect(
            f"{self.url}/ws/agent/v1",
            additional_headers={"Cookie": self.cookie, "Origin": self.origin},
            open_timeout=5,
        )
        while json.loads(await asyncio.wait_for(self._sock.recv(), 5))["type"] != "hello":
            pass
        for cid in conversation_ids:
            await self._sock.send(json.dumps({"type": "subscribe", "conversation_id": cid}))
            while True:
                frame = json.loads(await asyncio.wait_for(self._sock.recv(), 5))
                if frame["type"] == "subscribed":
                    self.last_seq[cid] = frame["last_seq"]
                    break
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.WebSocketException, OSError):
            async for raw in self._sock:
                frame = json.loads(raw)
                if frame.get("type") == "message.created":
                    cid, message = frame["conversation_id"], frame["message"]
                    if message["seq"] <= self.last_seq.get(cid, 0):
                        self.errors.append(f"conversation {cid}: seq {message['seq']} again")
                    self.last_seq[cid] = max(self.last_seq.get(cid, 0), message["seq"])
                    self.delivered[message["id"]] += 1

    async def close(self) -> None:
        if self._sock is not None:
            await self._sock.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 2)


AGENT_SETUP = """
from kefu.accounts.models import Role, Team, User, UserKind
from kefu.inbox.models import ChatSite
team = Team.objects.create(name="Chat")
agent = User.objects.create_user(
    "{email}", "{password}", kind=UserKind.STAFF, role=Role.AGENT_L1, display_name="Lin")
agent.teams.add(team)
ChatSite.objects.create(name="Faults", key="{site}", team=team)
"""


def login(base: str, email: str, password: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        response = client.post(
            "/login",
            data={"csrfmiddlewaretoken": token.group(1), "username": email, "password": password},
            headers={"Referer": f"{base}/login"},
        )
        assert response.status_code in (302, 303), response.text[:300]
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def wait_all_delivered(customers: list[WsCustomer], agent: WsAgent, seconds: float) -> None:
    """Wait (at most ``seconds``) until every acknowledged message reached its customer, and
    every one sent after the agent subscribed (all but each customer's ``-first``) the agent."""
    deadline = time.monotonic() + seconds
    firsts = {m for c in customers for k, m in c.acked.items() if k.endswith("-first")}
    while time.monotonic() < deadline:
        acked = {mid for c in customers for mid in c.acked.values()}
        got = {mid for c in customers for mid in c.delivered}
        if acked <= got and acked - firsts <= set(agent.delivered):
            return
        await asyncio.sleep(0.2)
