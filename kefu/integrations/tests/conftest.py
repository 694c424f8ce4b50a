"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and helpers around it."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kefu.integrations import services


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the test server answers (a script of statuses, then ``default``) and what it got."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: deque[int] = field(default_factory=deque)
    default: int = 200
    delay: float = 0.0

    def answer(self, *statuses: int) -> None:
        self.script.extend(statuses)


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    """The receiver listens on 127.0.0.1, which production refuses."""
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                state.requests.append(
                    Received(path=self.path, headers=dict(self.headers.items()), body=body)
                )
                status = state.script.popleft() if state.script else state.default
            if state.delay:
                time.sleep(state.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the client gave up (timeout tests)
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/kefu?tenant=1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def make_endpoint(admin_user, actor_of):
    """make_endpoint(url, events=[...]) -> (endpoint, secret), created by the admin."""

    def make(url: str, events: list[str] | None = None):
        created = services.endpoint_create(
            url=url,
            description="CRM",
            events=events or ["conversation.created", "message.created"],
            actor=actor_of(admin_user),
        )
        return created.endpoint, created.secret

    return make
