"""Locust scenario for ``kefu bench load`` (issue 12): mixed traffic on 127.0.0.1.

Run by ``kefu bench load`` in a Locust subprocess (``locust -f kefu/bench/load.py --headless``);
never imported by Kefu itself (Locust patches the standard library with gevent). It reads the
accounts ``kefu.bench.load_seed`` made from the JSON file named by ``KEFU_LOAD_CONFIG``.

Users, by weight:
- ``ChatCustomer`` (5): opens a chat over the widget's WebSocket, sends messages, each timed until
  its ``message.ack`` ("chat: open + first message", "chat: message").
- ``Agent`` (2): signed in with a session; browses the inbox, opens a conversation, replies.
- ``ApiIntegration`` (1): creates conversations through the REST API with a bearer token.
- ``HelpReader`` (2): searches the help center.
Bounded by the runner: ``--users``, ``--run-time`` and the loopback host check below.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websocket  # websocket-client, a dependency of Locust
from locust import HttpUser, User, between, events, task

CONFIG: dict[str, Any] = json.loads(
    Path(os.environ["KEFU_LOAD_CONFIG"]).read_text(encoding="utf-8")
)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RNG = random.Random()  # noqa: S311 - synthetic traffic, not secrets
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONVERSATION_LINK = re.compile(r'href="/agent/c/(\d+)/"')


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _loopback_only(environment: Any, **kwargs: Any) -> None:
    if urlsplit(environment.host or "").hostname not in LOOPBACK:
        raise SystemExit("kefu bench load only targets 127.0.0.1")


class ChatCustomer(User):
    """A visitor on the chat widget: one socket, a few messages, then leaves."""

    weight = 5
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.ws: websocket.WebSocket | None = None
        self.conversation: int | None = None
        self.sent = 0

    def on_stop(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.ws is not None:
            with suppress(Exception):  # closing a socket that already failed
                self.ws.close()
        self.ws, self.conversation, self.sent = None, None, 0

    def _fire(self, name: str, started: float, error: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    def _await(self, ref: str) -> dict[str, Any]:
        assert self.ws is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            frame = json.loads(self.ws.recv())
            if frame.get("type") == "message.ack" and frame.get("id") == ref:
                return frame  # type: ignore[no-any-return]
            if frame.get("type") == "error" and frame.get("ref") == ref:
                raise RuntimeError(f"refused: {frame.get('code')}")
        raise TimeoutError("no ack within 15 s")

    def _send(self, name: str, body: str) -> None:
        assert self.ws is not None
        ref = f"load-{uuid.uuid4().hex[:16]}"
        frame: dict[str, Any] = {"type": "message.send", "id": ref, "body": body}
        if self.conversation is not None:
            frame["conversation_id"] = self.conversation
        started = time.perf_counter()
        try:
            self.ws.send(json.dumps(frame))
            ack = self._await(ref)
            self.conversation = ack["conversation"]["id"]
            self.sent += 1
            self._fire(name, started)
        except Exception as exc:
            self._fire(name, started, exc)
            self._close()

    @task
    def chat(self) -> None:
        if self.ws is None:
            started = time.perf_counter()
            try:
                url = str(self.host).replace("http://", "ws://") + "/ws/chat/v1"
                self.ws = websocket.create_connection(url, timeout=15)
                self.ws.send(json.dumps({"type": "hello", "v": 1, "site": CONFIG["site_key"]}))
                while json.loads(self.ws.recv()).get("type") != "welcome":
                    pass
            except Exception as exc:
                self._fire("chat: connect", started, exc)
                self._close()
                return
            self._fire("chat: connect", started)
            self._send("chat: open + first message", RNG.choice(CONFIG["chat_texts"]))
            return
        self._send("chat: message", RNG.choice(CONFIG["chat_texts"]))
        if self.sent >= 5:  # leave; the next task opens a new chat
            self._close()


class Agent(HttpUser):
    """An agent in the workspace: inbox, a conversation, a reply."""

    weight = 2
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        email = RNG.choice(CONFIG["agents"])
        page = self.client.get("/login", name="agent: login page")
        token = CSRF.search(page.text)
        self.client.post(
            "/login",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": email,
                "password": CONFIG["password"],
            },
            headers={"Referer": f"{self.host}/login"},
            name="agent: sign in",
        )
        self.conversations: list[int] = []

    @task(3)
    def inbox(self) -> None:
        page = self.client.get("/agent/?view=teams", name="agent: inbox")
        found = [int(x) for x in CONVERSATION_LINK.findall(page.text)]
        if found:
            self.conversations = found[:25]

    @task(2)
    def reply(self) -> None:
        if not self.conversations:
            return
        cid = RNG.choice(self.conversations)
        page = self.client.get(f"/agent/c/{cid}/", name="agent: open conversation")
        token = CSRF.search(page.text)
        if token is None:
            return
        self.client.post(
            f"/agent/c/{cid}/reply",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "body": RNG.choice(CONFIG["reply_texts"]),
                "set_status": "",
            },
            headers={"Referer": f"{self.host}/agent/c/{cid}/"},
            name="agent: reply",
        )


class ApiIntegration(HttpUser):
    """An exchange's backend filing tickets through the REST API."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def create(self) -> None:
        self.client.post(
            "/api/v1/conversations",
            json={
                "customer_id": RNG.choice(CONFIG["customer_ids"]),
                "subject": "Withdrawal pending",
                "body": RNG.choice(CONFIG["chat_texts"]),
                "category": "withdrawal",
            },
            headers={"Authorization": f"Bearer {CONFIG['api_token']}"},
            name="api: create conversation",
        )


class HelpReader(HttpUser):
    """Someone searching the help center before asking."""

    weight = 2
    wait_time = between(0.5, 2.0)

    @task
    def search(self) -> None:
        lang, term = RNG.choice(CONFIG["searches"])
        self.client.get(f"/help/{lang}/search/", params={"q": term}, name="help: search")
