"""Time, and optionally profile, the server side of live chat messages in one process.

    KEFU_DATA_DIR=$(mktemp -d) python -m kefu.bench.chat_profile --messages 500 --cprofile
    KEFU_DATA_DIR=$(mktemp -d) python -m kefu.bench.chat_profile --messages 2000 \
        --customers 25 --concurrent

Drives the real consumers (``ChatConsumer`` and ``AgentConsumer``, in-memory channel layer, the
current database) through Channels' test communicator, without uvicorn or sockets: customers
send ``message.send`` one after the other and each message counts from the send to the agent
socket's ``message.created``. With ``--concurrent`` every customer sends at once, round after
round, so the group commit (docs/adr/0015-chat-group-commit.md) writes batches of up to
``--customers`` messages as under load; it also reports the batch sizes and the database
thread's CPU per message (the thread that runs ``write_batch``, the commit and the routing).
The consumers' flood limit is lifted (the customer sockets send faster than a person).
``--cprofile`` profiles both the event loop and the database thread (where
``database_sync_to_async`` runs the services) and prints each. Migrates and creates the same
bench site and agent as ``kefu bench chat``, so use a throwaway database.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from typing import Any


async def _until(comm: Any, want: Any, timeout: float = 10.0) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await comm.receive_from(timeout=timeout))
        if want(frame):
            return frame


async def run(messages: int, customers: int, profile: bool, top: int, concurrent: bool) -> None:
    from channels.testing import WebsocketCommunicator

    from kefu.accounts.models import User
    from kefu.bench.chat import SITE_KEY, prepare_database
    from kefu.inbox.adapters.webchat import batch
    from kefu.inbox.adapters.webchat.consumers import ChatConsumer
    from kefu.realtime import consumers
    from kefu.realtime.consumers import AgentConsumer
    from kefu.realtime.db import database_sync_to_async

    consumers.RATE_PER_SECOND, consumers.RATE_BURST = 1e9, 1e9
    logins = await database_sync_to_async(prepare_database)(1)
    user = await database_sync_to_async(User.objects.get)(pk=logins[0].user_id)

    agent = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/agent/v1")
    agent.scope["user"] = user
    await agent.connect()
    await _until(agent, lambda f: f["type"] == "hello")

    chats = []
    for i in range(customers):
        comm = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/v1")
        await comm.connect()
        await comm.send_json_to({"type": "hello", "v": 1, "site": SITE_KEY, "language": "en"})
        await _until(comm, lambda f: f["type"] == "welcome")
        key = f"first-{time.time_ns()}-{i}"
        await comm.send_json_to({"type": "message.send", "id": key, "body": f"Hello {i}"})
        ack = await _until(comm, lambda f, k=key: f["type"] == "message.ack" and f["id"] == k)
        cid = ack["message"]["conversation_id"]
        await agent.send_json_to({"type": "subscribe", "conversation_id": cid})
        await _until(
            agent, lambda f, c=cid: f["type"] == "subscribed" and f["conversation_id"] == c
        )
        chats.append((comm, cid))

    batches: list[int] = []
    real_write_batch = batch.write_batch

    def counting_write_batch(items: list[Any]) -> Any:
        batches.append(len(items))
        return real_write_batch(items)

    batch.write_batch = counting_write_batch

    loop_prof, db_prof = cProfile.Profile(), cProfile.Profile()
    if profile:
        await database_sync_to_async(db_prof.enable)()  # profiles the database thread
        loop_prof.enable()
    times: list[float] = []
    db_cpu_began = await database_sync_to_async(time.thread_time)()
    began, cpu_began = time.perf_counter(), time.process_time()
    if concurrent:
        await _concurrent_rounds(agent, chats, messages, times)
    else:
        await _one_at_a_time(agent, chats, messages, times)
    total, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    db_cpu = await database_sync_to_async(time.thread_time)() - db_cpu_began
    batch.write_batch = real_write_batch
    messages = len(times)
    if profile:
        loop_prof.disable()
        await database_sync_to_async(db_prof.disable)()

    for comm, _cid in chats:
        await comm.disconnect()
    await agent.disconnect()

    times.sort()
    mean, p50 = statistics.mean(times) * 1000, times[len(times) // 2] * 1000
    p99 = times[int(len(times) * 0.99)] * 1000
    print(
        f"{messages} messages over {customers} chats in {total:.2f} s: "
        f"{messages / total:.1f} msg/s; per message mean {mean:.2f} ms, "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
        f"process CPU per message {cpu / messages * 1000:.2f} ms (the client's share included)"
    )
    sizes = sorted(batches)
    print(
        f"database thread CPU per message {db_cpu / messages * 1000:.3f} ms; "
        f"{len(sizes)} batches, size mean {statistics.mean(sizes):.1f}, "
        f"median {sizes[len(sizes) // 2]}, max {sizes[-1]}"
    )
    if profile:
        for name, prof in (("event loop", loop_prof), ("database thread", db_prof)):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
            print(f"\n=== {name} ===\n{out.getvalue()}")


async def _one_at_a_time(
    agent: Any, chats: list[tuple[Any, int]], messages: int, times: list[float]
) -> None:
    customers = len(chats)
    for i in range(messages):
        comm, cid = chats[i % customers]
        key = f"m{time.time_ns()}x{i}"
        start = time.perf_counter()
        await comm.send_json_to(
            {
                "type": "message.send",
                "id": key,
                "body": f"{key} Hi, my deposit has not arrived yet, can you check please?",
                "conversation_id": cid,
            }
        )
        await _until(agent, _agent_got(key))
        await _until(comm, lambda f, k=key: f["type"] == "message.ack" and f["id"] == k)
        times.append(time.perf_counter() - start)


async def _concurrent_rounds(
    agent: Any, chats: list[tuple[Any, int]], messages: int, times: list[float]
) -> None:
    """Every customer sends one message at once; the round ends when the agent has them all
    (each message timed from the round's start to the agent's ``message.created``) and every
    customer has its ack."""
    for r in range(max(1, messages // len(chats))):
        keys = {f"m{time.time_ns()}r{r}c{c}": (comm, cid) for c, (comm, cid) in enumerate(chats)}
        start = time.perf_counter()
        for key, (comm, cid) in keys.items():
            await comm.send_json_to(
                {
                    "type": "message.send",
                    "id": key,
                    "body": f"{key} Hi, my deposit has not arrived yet, can you check please?",
                    "conversation_id": cid,
                }
            )
        waiting = set(keys)
        while waiting:
            frame = json.loads(await agent.receive_from(timeout=10.0))
            if frame["type"] == "message.created":
                key = frame["message"]["body"].split(" ", 1)[0]
                if key in waiting:
                    waiting.discard(key)
                    times.append(time.perf_counter() - start)
        for key, (comm, _cid) in keys.items():
            await _until(comm, lambda f, k=key: f["type"] == "message.ack" and f["id"] == k)


def _agent_got(key: str) -> Any:
    return lambda f: f["type"] == "message.created" and f["message"]["body"].startswith(key)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time and profile live chat messages in-process.")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="All customers send at once, round after round (batches of up to --customers).",
    )
    parser.add_argument("--cprofile", action="store_true", help="Profile both threads.")
    parser.add_argument("--top", type=int, default=60, help="Rows of each profile to print.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    asyncio.run(run(args.messages, args.customers, args.cprofile, args.top, args.concurrent))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
