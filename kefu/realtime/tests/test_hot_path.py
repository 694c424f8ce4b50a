"""The live chat hot path's shortcuts: one SQLite connection for the consumers' database thread,
and the chat ack built from the message row routed on commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import TestCase

from kefu.conversations import services as conv
from kefu.realtime import payloads
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
        assert loads == [message.pk]  # routed on commit
        routed = payloads.routed_message(message.pk)
        assert routed is not None
        assert routed.pk == message.pk
        assert loads == [message.pk]  # the ack took the routed row: no second read
        again = payloads.routed_message(message.pk)  # taken once: the next one reads again
        assert again is not None
        assert again.pk == message.pk
        assert loads == [message.pk, message.pk]
