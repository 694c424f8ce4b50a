"""The live chat hot path's shortcuts: one SQLite connection for the consumers' database thread,
and the chat ack built from the message row routed on commit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import TestCase

from kefu.conversations import services as conv
from kefu.realtime import payloads, publish
from kefu.realtime.db import database_sync_to_async


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_consumers_thread_keeps_its_sqlite_connection():
    def raw() -> object:
        connection.ensure_connection()
        return connection.connection

    first = await database_sync_to_async(raw)()
    second = await database_sync_to_async(raw)()
    if connection.vendor == "sqlite":
        assert first is second  # not closed and reopened between calls
    assert first is not None


@pytest.mark.django_db
def test_the_ack_reuses_the_routed_row_once(conversation_a, customer_1, actor_of):
    with pytest.MonkeyPatch.context() as patch:
        loads: list[int] = []
        original = payloads.load_message

        def counting(message_id: int):  # type: ignore[no-untyped-def]
            loads.append(message_id)
            return original(message_id)

        patch.setattr(payloads, "load_message", counting)
        with TestCase.captureOnCommitCallbacks(execute=True):
            message = conv.message_reply(
                conversation=conversation_a, body="hello", actor=actor_of(customer_1)
            )
        assert loads == []  # routed on commit from the row the service wrote: no read
        routed = payloads.routed_message(message.pk)
        assert routed is message  # the ack took the routed row
        assert loads == []
        again = payloads.routed_message(message.pk)  # taken once: the next one reads again
        assert again is not None
        assert again.pk == message.pk
        assert loads == [message.pk]
        # A row kept for the same id but created at another time (an id reused after a
        # rollback) is not taken for this message.
        payloads.remember_routed(again)
        stale = payloads.routed_message(
            message.pk, created_at=message.created_at + timedelta(seconds=1)
        )
        assert stale is not None
        assert loads == [message.pk, message.pk]


class _SlowLayer:
    """A channel layer whose sends take varying time, so unordered sends would interleave."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def group_send(self, group: str, message: dict[str, object]) -> None:
        await asyncio.sleep(0.002 * (len(group) % 3))
        self.sent.append(group)


@pytest.mark.asyncio
async def test_pushes_handed_to_the_loop_are_sent_in_publish_order():
    layer = _SlowLayer()
    groups = [f"g{'x' * i}" for i in range(12)]

    def commit_many() -> None:
        loop = publish._calling_loop()
        assert loop is not None  # a thread working for this loop
        for group in groups:
            publish._Outbox.of(loop).put(layer, [(group, {"type": "rt.push"})])

    await sync_to_async(commit_many)()
    for _ in range(200):
        if len(layer.sent) == len(groups):
            break
        await asyncio.sleep(0.01)
    assert layer.sent == groups


def test_without_a_loop_pushes_are_sent_before_publish_returns():
    assert publish._calling_loop() is None


def test_plain_sync_code_sends_on_one_kept_loop_before_returning():
    layer = _SlowLayer()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publish, "get_channel_layer", lambda: layer)
        publish._send_now([("gx", {"type": "rt.push"})])
        assert layer.sent == ["gx"]  # sent before returning
        first = publish._own_loop()
        publish._send_now([("gxx", {"type": "rt.push"})])
        assert layer.sent == ["gx", "gxx"]
        assert publish._own_loop() is first  # not a new loop (and thread) per push
        assert not first.is_running()


def test_a_forked_child_does_not_use_its_parents_loop(monkeypatch):
    parent = publish._own_loop()
    monkeypatch.setattr(publish.os, "getpid", lambda: -1)  # as if in a child process
    child = publish._own_loop()
    assert child is not parent
