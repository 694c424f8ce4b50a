"""Time the group commit of chat messages alone: ``write_batch`` with a full batch, in one thread.

    KEFU_DATA_DIR=$(mktemp -d) python -m kefu.bench.chat_batch --batch 25 --rounds 200

Opens ``--batch`` chats on the bench site (as ``kefu bench chat`` does; use a throwaway
database), then stores ``--rounds`` batches of one text message per chat with
``kefu.inbox.adapters.webchat.batch.write_batch`` in the database thread of an event loop, as
the chat sockets do (the secret guard, the transaction, the routing after the commit, handed to
the loop, and the acks) and prints that thread's CPU per message: the median batch, and the
mean. The median of many batches
is steady on a shared machine where a whole-process figure is not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from typing import Any


async def run(size: int, rounds: int) -> None:
    from kefu.inbox.adapters.webchat import batch
    from kefu.realtime.db import database_sync_to_async

    chats = await database_sync_to_async(_open_chats)(size)

    def timed(items: list[batch.Item]) -> tuple[float, list[Any]]:
        began = time.thread_time()
        results = batch.write_batch(items)
        return time.thread_time() - began, results

    per_batch: list[float] = []
    for r in range(rounds):
        items = [
            batch.Item(
                session,
                _frame(
                    key := f"m{time.time_ns()}r{r}c{c}",
                    f"{key} Hi, my deposit has not arrived yet, can you check please?",
                    cid,
                ),
            )
            for c, (session, cid) in enumerate(chats)
        ]
        spent, results = await database_sync_to_async(timed)(items)
        per_batch.append(spent)
        assert all(r.frames[0]["type"] == "message.ack" for r in results)
        await asyncio.sleep(0)  # the loop sends the batch's pushes
    print(
        f"{rounds} batches of {size} messages: thread CPU per message "
        f"median {statistics.median(per_batch) / size * 1000:.3f} ms, "
        f"mean {statistics.mean(per_batch) / size * 1000:.3f} ms"
    )


def _frame(key: str, body: str, cid: int | None) -> Any:
    from kefu.inbox.adapters.webchat import protocol

    parsed = protocol.parse(
        json.dumps({"type": "message.send", "id": key, "body": body, "conversation_id": cid})
    )
    assert isinstance(parsed, protocol.MessageSend)
    return parsed


def _open_chats(size: int) -> list[tuple[Any, int]]:
    from kefu.bench.chat import SITE_KEY, prepare_database
    from kefu.inbox.adapters.webchat import services
    from kefu.inbox.adapters.webchat.session import ChatSession
    from kefu.inbox.models import ChatSite, ChatVisitor

    prepare_database(1)
    site = ChatSite.objects.get(key=SITE_KEY)
    chats: list[tuple[ChatSession, int]] = []
    for i in range(size):
        visitor = services.visitor_start(site=site, identity=None, token=None, language="en")
        visitor = ChatVisitor.objects.select_related("site", "contact").get(pk=visitor.pk)
        session = ChatSession(site=site, visitor=visitor, language="en")
        ack = session.handle(_frame(f"start-{time.time_ns()}-{i}", f"Hello {i}", None)).frames[0]
        chats.append((session, ack["conversation"]["id"]))
    return chats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time write_batch with full batches.")
    parser.add_argument("--batch", type=int, default=25, help="Messages (and chats) per batch.")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    asyncio.run(run(args.batch, args.rounds))


if __name__ == "__main__":
    main()
