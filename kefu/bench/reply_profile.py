"""Time, count and optionally profile the agent's HTTP reply in a live chat, in one process.

    KEFU_DATA_DIR=$(mktemp -d) python -m kefu.bench.reply_profile --replies 200 --cprofile

The request that ``kefu bench chat`` makes for each agent reply (``POST /agent/c/<id>/reply``
with the session cookie and the CSRF token, no redirect followed), sent through Django's ASGI
handler as uvicorn would (``httpx.ASGITransport``, no sockets), while the customer's chat socket
(the real ``ChatConsumer``, in-memory channel layer) must receive each reply as
``message.created``. Prints the process CPU per reply (client included), the SQL statements of
one reply and, with ``--cprofile``, a profile of the thread that runs the view (Django runs
synchronous views on one thread). ``--json`` asks for the JSON answer the live page gets.
``--server`` instead posts the replies (one at a time) to one uvicorn server started as ``kefu
bench chat`` starts them and prints the server's own CPU time per reply. Migrates and creates the
same bench site and agent as ``kefu bench chat``: use a throwaway database.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from typing import Any


async def _until(comm: Any, want: Any, timeout: float = 10.0) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await comm.receive_from(timeout=timeout))
        if want(frame):
            return frame


def in_server(cid: int, session_key: str, csrf: str, replies: int, *, as_json: bool) -> None:
    """Post ``replies`` replies one after the other to a uvicorn server started as ``kefu bench
    chat`` starts them; print the server's CPU time per reply (its own, not the client's)."""
    import httpx
    from django.conf import settings

    from kefu.bench.chat import kefu_env, servers

    headers = {"X-CSRFToken": csrf}
    if as_json:
        headers["Accept"] = "application/json"
    env = kefu_env(redis_url=None, prefix="")
    log_dir = settings.DATA_DIR / "bench"
    with (
        servers(app="config.asgi:application", count=1, env=env, log_dir=log_dir, name="reply") as (
            proc,
        ),
        httpx.Client(
            base_url=proc.http_url,
            cookies={settings.SESSION_COOKIE_NAME: session_key, "csrftoken": csrf},
            headers=headers,
            trust_env=False,
            timeout=30,
        ) as client,
    ):

        def post(text: str) -> None:
            response = client.post(f"/agent/c/{cid}/reply", data={"body": text, "set_status": ""})
            if response.status_code != (200 if as_json else 302):
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")

        for i in range(10):
            post(f"warm-up {i}")
        cpu, began = proc.cpu_seconds(), time.perf_counter()
        for i in range(replies):
            post(f"r{i} Thanks for waiting, your deposit is confirmed now.")
        cpu, wall = proc.cpu_seconds() - cpu, time.perf_counter() - began
    print(
        f"{replies} replies in {wall:.2f} s ({wall / replies * 1000:.2f} ms each, one at a "
        f"time); server CPU per reply {cpu / replies * 1000:.2f} ms; load average "
        f"{os.getloadavg()[0]:.2f}"
    )


async def run(
    replies: int,
    profile: bool,
    top: int,
    as_json: bool,
    show_sql: bool,
    server: bool,
    via: str = "http",
) -> None:
    import httpx
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.core.asgi import get_asgi_application
    from django.db.backends.utils import CursorWrapper

    from kefu.bench.chat import SITE_KEY, prepare_database
    from kefu.inbox.adapters.webchat.consumers import ChatConsumer
    from kefu.realtime.db import database_sync_to_async

    for name in ("httpx", "kefu.request"):  # a line per request otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    logins = await database_sync_to_async(prepare_database)(1)
    app = get_asgi_application()

    comm = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/v1")
    await comm.connect()
    await comm.send_json_to({"type": "hello", "v": 1, "site": SITE_KEY, "language": "en"})
    await _until(comm, lambda f: f["type"] == "welcome")
    key = f"first-{time.time_ns()}"
    await comm.send_json_to({"type": "message.send", "id": key, "body": "Hello"})
    ack = await _until(comm, lambda f: f["type"] == "message.ack" and f["id"] == key)
    cid = ack["message"]["conversation_id"]

    csrf = secrets.token_hex(16)
    headers = {"X-CSRFToken": csrf}
    if server:
        await comm.disconnect()
        await asyncio.to_thread(
            in_server, cid, logins[0].session_key, csrf, replies, as_json=as_json
        )
        return
    if as_json:
        headers["Accept"] = "application/json"
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),  # type: ignore[arg-type]
        base_url="http://127.0.0.1:8000",
        cookies={settings.SESSION_COOKIE_NAME: logins[0].session_key, "csrftoken": csrf},
        headers=headers,
        follow_redirects=False,
    )
    expected = 200 if as_json else 302
    agent: Any = None
    if via == "socket":  # the live page's path (ADR 0030): message.send on the agent socket
        from kefu.realtime.routing import websocket_urlpatterns

        agent = WebsocketCommunicator(
            websocket_urlpatterns[0].callback,
            "/ws/agent/v1",
            headers=[
                (b"cookie", f"{settings.SESSION_COOKIE_NAME}={logins[0].session_key}".encode()),
                (b"origin", b"http://localhost"),
                (b"host", b"localhost"),
            ],
        )
        from kefu.realtime import consumers

        consumers.RATE_PER_SECOND = consumers.RATE_BURST = 1e9  # one socket, back to back
        connected, _code = await agent.connect()
        if not connected:
            raise RuntimeError("the agent socket was refused")
        await _until(agent, lambda f: f["type"] == "hello")

    async def reply(text: str) -> None:
        if agent is not None:
            key = f"rp-{time.time_ns()}"
            await agent.send_json_to(
                {
                    "type": "message.send",
                    "id": key,
                    "conversation_id": cid,
                    "body": text,
                    "kind": "reply",
                }
            )
            ack = await _until(agent, lambda f: f.get("ref") == key)
            if ack["type"] != "message.ack":
                raise RuntimeError(f"refused: {ack}")
        else:
            response = await client.post(
                f"/agent/c/{cid}/reply", data={"body": text, "set_status": ""}
            )
            if response.status_code != expected:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        await _until(
            comm, lambda f: f["type"] == "message.created" and f["message"]["body"] == text
        )

    for i in range(5):  # warm-up: imports, templates, connections
        await reply(f"warm-up {i}")

    # One reply with its statements recorded, whichever thread and connection run them.
    statements: list[str] = []
    plain, many = CursorWrapper.execute, CursorWrapper.executemany

    def execute(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        statements.append(sql)
        return plain(self, sql, params)

    def executemany(self: CursorWrapper, sql: str, param_list: Any) -> Any:
        statements.append(sql)
        return many(self, sql, param_list)

    CursorWrapper.execute, CursorWrapper.executemany = execute, executemany  # type: ignore[method-assign,assignment]
    try:
        await reply("counted")
    finally:
        CursorWrapper.execute, CursorWrapper.executemany = plain, many  # type: ignore[method-assign]

    # Django gives each request its own thread (asgiref's ThreadSensitiveContext): profile
    # every thread started from here on, one profiler each, merged at the end.
    profiles: list[cProfile.Profile] = []

    def start_profiler(*_args: Any) -> None:
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()  # replaces this hook for the new thread

    if profile:
        threading.setprofile(start_profiler)
    times = []
    began, cpu_began = time.perf_counter(), time.process_time()
    for i in range(replies):
        start = time.perf_counter()
        await reply(f"r{i} Thanks for waiting, your deposit is confirmed now.")
        times.append(time.perf_counter() - start)
    total, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    if profile:
        threading.setprofile(None)
    await client.aclose()
    await comm.disconnect()
    if agent is not None:
        await agent.disconnect()

    times.sort()
    print(
        f"{replies} replies in {total:.2f} s; per reply mean {statistics.mean(times) * 1000:.2f} "
        f"ms, p50 {times[len(times) // 2] * 1000:.2f} ms; process CPU per reply "
        f"{cpu / replies * 1000:.2f} ms (client and customer socket included); "
        f"{len(statements)} SQL statements per reply"
    )
    counts = Counter(" ".join(s.split()[:6])[:110] for s in statements)
    for sql, n in counts.most_common():
        print(f"  {n} x {sql}")
    if show_sql:
        for sql in statements:
            print("   ", sql[:300])
    if profile and profiles:
        for prof in profiles:
            prof.disable()  # only has an effect on a thread still running
        out = io.StringIO()
        stats = pstats.Stats(profiles[0], stream=out)
        for prof in profiles[1:]:
            stats.add(prof)
        stats.sort_stats("cumulative").print_stats(top)
        print(f"\n=== {len(profiles)} request threads ===\n{out.getvalue()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time and profile the agent's HTTP reply.")
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true", help="Profile the view's thread.")
    parser.add_argument("--top", type=int, default=70, help="Rows of the profile to print.")
    parser.add_argument("--json", action="store_true", help="Ask for the live page's JSON.")
    parser.add_argument("--sql", action="store_true", help="Print each statement of one reply.")
    parser.add_argument(
        "--server", action="store_true", help="Post to a uvicorn server and time its CPU instead."
    )
    parser.add_argument(
        "--via",
        choices=("http", "socket"),
        default="http",
        help="Reply by the form (HTTP) or by message.send on the agent socket.",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    asyncio.run(
        run(args.replies, args.cprofile, args.top, args.json, args.sql, args.server, args.via)
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
