"""A chat customer over the HTTP fallback (docs/subsystems/realtime.md), for the fault tests:
it sends numbered messages with idempotency keys and keeps what happened to each."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx


@dataclass
class HttpChatClient:
    base: str
    site: str
    name: str
    token: str = ""
    conversation_id: int | None = None
    acked: dict[str, int] = field(default_factory=dict)  # key -> message id
    pending: list[str] = field(default_factory=list)  # answered 503: to resend, same key
    outcomes: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)  # anything that is not 200 or a clean 503
    sent: int = 0
    resent: int = 0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, timeout=15)

    def hello(self) -> None:
        response = self.http.post("/chat/v1/hello", json={"type": "hello", "site": self.site})
        response.raise_for_status()
        self.token = response.json()["visitor"]["token"]

    def send(self, key: str, body: str) -> str:
        """Send one message; "acked", "unavailable" (clean 503) or "bad"."""
        frame = {"type": "message.send", "id": key, "body": body}
        if self.conversation_id is not None:
            frame["conversation_id"] = self.conversation_id
        try:
            response = self.http.post(
                "/chat/v1/frames", json=frame, headers={"Authorization": f"Visitor {self.token}"}
            )
        except httpx.HTTPError as exc:
            self.bad.append(f"{key}: {type(exc).__name__}")
            return "bad"
        if response.status_code == 200:
            frames = response.json()["frames"]
            ack = next((f for f in frames if f["type"] == "message.ack"), None)
            if ack is None:
                self.bad.append(f"{key}: 200 without ack {frames}")
                return "bad"
            self.acked[key] = ack["message"]["id"]
            self.conversation_id = ack["conversation"]["id"]
            return "acked"
        if (
            response.status_code == 503
            and response.headers.get("Retry-After", "").isdigit()
            and response.json().get("code") == "unavailable"
        ):
            return "unavailable"
        self.bad.append(f"{key}: {response.status_code} {response.text[:200]}")
        return "bad"

    def run(self, stop: threading.Event, pause: float = 0.05) -> None:
        n = 0
        while not stop.is_set():
            key = f"{self.name}-{n:05d}"
            n += 1
            self.sent += 1
            outcome = self.send(key, f"message {n} from {self.name}")
            self.outcomes[outcome] += 1
            if outcome != "acked":
                self.pending.append(key)
            time.sleep(pause)

    def resend_pending(self) -> None:
        """What a client does after an outage: send again, with the same keys."""
        for key in list(self.pending):
            self.resent += 1
            if self.send(key, f"resent {key}") == "acked":
                self.pending.remove(key)
