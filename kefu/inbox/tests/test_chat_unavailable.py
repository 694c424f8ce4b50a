"""The database is down while a chat socket sends: an ``unavailable`` error frame, then close
1013 (try again later); the client reconnects and resends with the same key."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from kefu.core import unavailable
from kefu.testing.realtime import chat_hello


def _down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_chat_socket_gets_an_unavailable_frame_and_close_1013(chat_site, monkeypatch):
    sock, _welcome = await chat_hello(chat_site.key)
    monkeypatch.setattr("kefu.inbox.adapters.webchat.batch.write_batch", _down)
    monkeypatch.setattr("kefu.inbox.adapters.webchat.session.ChatSession.handle", _down)
    await sock.send({"type": "message.send", "id": "down-key-01", "body": "hello?"})
    error = await sock.recv_type("error")
    assert error["code"] == "unavailable"
    closed = await sock.recv_type("__closed__")
    assert closed["code"] == unavailable.CLOSE_TRY_AGAIN_LATER
