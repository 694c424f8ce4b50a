"""``/ws/chat/v1``: the widget's (and mobile apps') socket. Thin: ``session`` does the work."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from django.utils.translation import gettext as _

from kefu.inbox.adapters.webchat import batch, protocol
from kefu.inbox.adapters.webchat.session import (
    ChatSession,
    Result,
    cross_site_origin,
    language_of,
    open_session,
)
from kefu.realtime import audiences, payloads
from kefu.realtime.consumers import SequencedConsumer
from kefu.realtime.db import database_sync_to_async
from kefu.realtime.publish import publish_ephemeral

HELLO_TIMEOUT_SECONDS = 10.0
SEEN_EVERY_SECONDS = 30.0
# After a message the assistant will answer (from the worker, which may share no channel layer
# with this process): a few quick database catch-ups, then the normal resync takes over.
ASSISTANT_CATCH_UP_SECONDS = (0.5, 1.0, 1.0, 1.5, 2.0, 3.0, 5.0)


def _origin(scope: dict[str, Any]) -> str | None:
    """The socket's Origin when it is another site's (Kefu's own pages are always allowed)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    return cross_site_origin(origin, headers.get(b"host", b"").decode("latin-1"))


class ChatConsumer(SequencedConsumer):
    session: ChatSession | None = None
    catch_up: asyncio.Future[None] | None = None
    echo = True  # the hello's choice: send this socket's own messages back as message.created

    async def opened(self) -> None:
        self.session = None
        self.last_seen = 0.0
        self.hello_timer = asyncio.get_running_loop().call_later(
            HELLO_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(self._hello_timeout())
        )

    async def _hello_timeout(self) -> None:
        if self.session is None and not self.closed:
            self.closed = True
            await self.close(code=protocol.CLOSE_HELLO_TIMEOUT)

    async def closing(self) -> None:
        self.hello_timer.cancel()
        if self.catch_up is not None:
            self.catch_up.cancel()

    async def _catch_up_soon(self) -> None:
        for delay in ASSISTANT_CATCH_UP_SECONDS:
            await asyncio.sleep(delay)
            if self.closed:
                return
            await self.resync()  # one cheap query; messages only when behind

    def fetch_after(self, conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
        return payloads.customer_messages_after(conversation_id, after_seq)

    def latest_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        return payloads.latest_seqs(conversation_ids, public=True)

    async def on_frame(self, data: str | bytes) -> None:
        frame = protocol.parse(data)
        if self.session is None:
            if not isinstance(frame, protocol.Hello):
                raise protocol.ProtocolError("hello_required", _("Say hello first."))
            await self._hello(frame)
            return
        if isinstance(frame, protocol.Hello):
            raise protocol.ProtocolError("bad_frame", _("Already said hello."))
        if isinstance(frame, protocol.SyncFrame):
            await self._handle_sync(frame)
            return
        result: Result
        if isinstance(frame, protocol.MessageSend) and batch.ENABLED:
            result = await batch.store_message(self.session, frame)  # group commit
        else:
            result = await database_sync_to_async(self.session.handle)(frame)
        acked: dict[str, Any] | None = None
        for out in result.frames:  # the ack first, then the broadcast (protocol order)
            await self.send_json(out)
            if not self.echo and out["type"] == "message.ack" and out.get("message"):
                acked = out["message"]
        for conversation_id in result.join:
            await self._follow(conversation_id, acked=acked)
        if acked is not None:
            await self._acked(acked)
        if result.signal is not None:
            await publish_ephemeral(result.signal)
        if result.expect_reply:
            self.catch_up = asyncio.ensure_future(self._catch_up_soon())
        if time.monotonic() - self.last_seen > SEEN_EVERY_SECONDS:
            self.last_seen = time.monotonic()
            await database_sync_to_async(self._seen)()

    async def _acked(self, message: dict[str, Any]) -> None:
        """The socket has ``message`` in its ack and asked for no echo: count it as delivered,
        so its broadcast is dropped here as a duplicate. Only when it is the next one: after a
        gap the broadcast still comes, with the messages missing before it (and when the
        broadcast came first, it was sent already)."""
        conversation_id, seq = message["conversation_id"], message["seq"]
        async with self.lock:
            if self.last_sent.get(conversation_id) == seq - 1:
                self.last_sent[conversation_id] = seq

    def _seen(self) -> None:
        from kefu.inbox.adapters.webchat.services import visitor_seen

        assert self.session is not None
        visitor_seen(self.session.visitor)

    async def _hello(self, hello: protocol.Hello) -> None:
        self.language = language_of(hello.language)
        self.echo = hello.echo
        session = await database_sync_to_async(open_session)(hello, origin=_origin(self.scope))
        self.session = session
        self.language = session.language
        self.hello_timer.cancel()
        self.last_seen = time.monotonic()
        conversation_id = await database_sync_to_async(session.current_conversation_id)(
            hello.conversation_id
        )
        if conversation_id is not None:
            # Join before the snapshot: anything published meanwhile is either in the welcome
            # or arrives as an event with a higher sequence number (duplicates are dropped).
            await self.join(audiences.customer_group(conversation_id))
        last_seq = hello.last_seq if hello.conversation_id == conversation_id else None
        welcome = await database_sync_to_async(session.welcome)(conversation_id, last_seq)
        if conversation_id is not None:
            sent = [m["seq"] for m in welcome["messages"]]
            await self.track(conversation_id, max([last_seq or 0, *sent]))
        await self.send_json(welcome)
        self.start_background()

    async def _follow(self, conversation_id: int, *, acked: dict[str, Any] | None = None) -> None:
        """Receive a conversation that is new to this socket (e.g. one it just started): join,
        then deliver everything in it so far (but ``acked``, the message the socket has in its
        ack when it asked for no echo); later messages arrive as events."""
        group = audiences.customer_group(conversation_id)
        if group in self.joined:
            return
        await self.join(group)
        await self.track(conversation_id, 0)
        async with self.lock:
            missing = await database_sync_to_async(self.fetch_after)(conversation_id, 0)
            # The acked one is not sent again; ``_acked`` then counts it as delivered.
            skip = acked["id"] if acked is not None else None
            await self.deliver_messages(conversation_id, [m for m in missing if m["id"] != skip])

    async def _handle_sync(self, frame: protocol.SyncFrame) -> None:
        assert self.session is not None
        group = audiences.customer_group(frame.conversation_id)
        result: Result = await database_sync_to_async(self.session.handle)(frame)
        if result.frames and result.frames[0]["type"] == "error":
            await self.send_json(result.frames[0])
            return
        if group not in self.joined:
            await self.join(group)
        async with self.lock:
            # Everything after after_seq is (re)sent now, in order.
            self.last_sent[frame.conversation_id] = frame.after_seq
            messages = [f["message"] for f in result.frames if f["type"] == "message.created"]
            await self.deliver_messages(frame.conversation_id, messages)
            done = result.frames[-1]
            done["last_seq"] = self.last_sent[frame.conversation_id]
            await self.send_json(done)
