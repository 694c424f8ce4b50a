"""WebSocket consumers: thin. They authenticate, forward audience payloads in sequence order and
hand every write to the same service functions as the HTTP views.

``SequencedConsumer`` is the delivery machinery both protocols share: per conversation it keeps
the last sequence number sent, drops duplicates and fills gaps from the database, so a socket
gets each message once and in order even when processes publish out of order.

It also outlives the channel layer: when Redis goes away, the socket stays open (the database
resync keeps delivering), the layer is polled with backoff, and once Redis answers again every
group the socket had joined is joined again — a restarted Redis has forgotten them — so live
delivery resumes by itself (tests/faults/test_redis_restart.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import StringConstraints

from kefu.core import unavailable
from kefu.core.errors import KefuError, NotFound
from kefu.core.observability import metrics
from kefu.core.observability.context import accept_or_new, request_id_var
from kefu.core.prepared import Prepared
from kefu.core.unavailable import CLOSE_TRY_AGAIN_LATER, DATABASE_ERRORS
from kefu.realtime import audiences, payloads
from kefu.realtime.db import database_sync_to_async
from kefu.realtime.events import Event, Typing, Viewing
from kefu.realtime.protocol import (
    AGENT_MAX_FRAME_BYTES,
    CLOSE_FLOOD,
    CLOSE_PROTOCOL,
    CLOSE_UNAUTHORIZED,
    MAX_FRAME_BYTES,
    ConvId,
    Frame,
    Key,
    ProtocolError,
    Seq,
    frame_ref,
    parse,
    service_error,
)
from kefu.realtime.publish import publish_ephemeral

log = logging.getLogger(__name__)

try:
    from redis import RedisError
except ImportError:  # pragma: no cover - the embedded default has no Redis
    LAYER_ERRORS: tuple[type[BaseException], ...] = (OSError,)
else:
    LAYER_ERRORS = (OSError, RedisError)
# While the channel layer is down, try it again after 0.2 s, 0.4 s, ... at most every 2 s.
LAYER_RETRY_FIRST = 0.2
LAYER_RETRY_MAX = 2.0

RATE_PER_SECOND = 10.0
RATE_BURST = 20.0
MAX_DROPS = 50
MAX_ERRORS_IN_A_ROW = 10
HEARTBEAT_SECONDS = 30.0


def _active_user(pk: int) -> Any:
    from kefu.accounts.models import User

    # One row by primary key: no ORDER BY (``first()`` would compile one).
    return User.objects.filter(pk=pk, is_active=True).order_by()[:1]


# Read again before every write from the socket: compiled once per connection.
_ACTIVE_USER = Prepared(_active_user, ids=1, name="active_user")


class TokenBucket:
    """Per-connection flood control: ``rate`` frames a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = burst, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class SequencedConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Shared delivery: ordered, de-duplicated message frames; flood and error limits."""

    groups: list[str] = []
    layer_lost = False
    max_frame_bytes = MAX_FRAME_BYTES

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' consumer loop, with a channel-layer receive that survives a Redis outage
        (``_layer_receive``) instead of ending the socket with an internal error."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            sources.append(self._layer_receive)
        try:
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass
        finally:
            self.closed = True
            background = getattr(self, "background", None)
            if background is not None:  # never leave a resync loop behind a dead socket
                background.cancel()

    async def _layer_receive(self) -> dict[str, Any]:
        delay = LAYER_RETRY_FIRST
        while True:
            try:
                message: dict[str, Any] = await self.channel_layer.receive(self.channel_name)
                return message
            except LAYER_ERRORS as exc:
                if not self.layer_lost:
                    log.warning("channel layer unavailable, delivering from the database: %s", exc)
                self.layer_lost = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAYER_RETRY_MAX)
            if await self._rejoin():
                delay = LAYER_RETRY_FIRST

    async def _rejoin(self) -> bool:
        """Join every group again after an outage; False while the layer is still down."""
        try:
            for group in list(self.joined):
                await self.channel_layer.group_add(group, self.channel_name)
        except LAYER_ERRORS:
            return False
        if self.layer_lost:
            log.info("channel layer back; %d groups joined again", len(self.joined))
        self.layer_lost = False
        await self.resync()  # what was published while the groups were missing
        return True

    async def connect(self) -> None:
        # One id for the connection's lifetime (this consumer's task): the client's or the
        # load balancer's X-Request-ID when well-formed, so its log lines can be followed.
        headers = dict(self.scope.get("headers") or [])
        self.connection_id = accept_or_new(headers.get(b"x-request-id", b"").decode("latin-1"))
        request_id_var.set(self.connection_id)
        self.counted = False
        self.last_sent: dict[int, int] = {}
        self.joined: set[str] = set()
        self.lock = asyncio.Lock()
        self.bucket = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        self.drops = 0
        self.errors_in_a_row = 0
        self.closed = False
        self.language = "en"
        self.background: asyncio.Task[None] | None = None
        await self.accept()
        consumer = type(self).__name__
        metrics.WEBSOCKET_CONNECTIONS.labels(consumer=consumer).inc()
        metrics.WEBSOCKET_OPENED.labels(consumer=consumer).inc()
        self.counted = True
        await self.opened()

    async def opened(self) -> None:
        """Subclass hook, after accept."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first hops to the shared database thread to close stale
        # connections, before every handler. Every database call of these consumers goes
        # through ``database_sync_to_async`` (kefu/realtime/db.py), which does that itself in
        # that thread, so the hop only made each received frame and each push wait behind
        # other sockets' database work (a chat message queued behind the batch being written
        # before it was even parsed).
        if message.get("type") == "rt.push":
            await self.rt_push(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message.get('type')}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if getattr(self, "counted", False):
            self.counted = False
            metrics.WEBSOCKET_CONNECTIONS.labels(consumer=type(self).__name__).dec()
        if self.background is not None:
            self.background.cancel()
        for group in list(self.joined):
            with contextlib.suppress(*LAYER_ERRORS):  # Redis down: its groups expire anyway
                await self.channel_layer.group_discard(group, self.channel_name)
        self.joined.clear()
        await self.closing()

    async def closing(self) -> None:
        """Subclass hook, after disconnect."""

    # -- sending -----------------------------------------------------------------------------

    async def send_json(self, frame: dict[str, Any]) -> None:
        if not self.closed:
            await self.send(text_data=json.dumps(frame, ensure_ascii=False, default=str))

    async def fail(self, error: ProtocolError) -> None:
        await self.send_json(error.frame())
        if error.close is not None:
            self.closed = True
            await self.close(code=error.close)

    async def join(self, group: str) -> None:
        if group not in self.joined:
            self.joined.add(group)  # joined again after an outage even if this add fails
            try:
                await self.channel_layer.group_add(group, self.channel_name)
            except LAYER_ERRORS as exc:
                self.layer_lost = True
                log.warning("channel layer unavailable, joining %s later: %s", group, exc)

    async def track(self, conversation_id: int, last_seq: int) -> None:
        """Start delivering a conversation's messages after ``last_seq``."""
        async with self.lock:
            self.last_sent[conversation_id] = max(last_seq, self.last_sent.get(conversation_id, 0))

    def fetch_after(self, conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
        """Messages (this audience's shape) after ``after_seq``; runs in a thread."""
        raise NotImplementedError

    async def deliver_messages(self, conversation_id: int, messages: list[dict[str, Any]]) -> None:
        """Send messages in order, once: assumes ``self.lock`` is held."""
        last = self.last_sent.get(conversation_id, 0)
        for message in messages:
            if message["seq"] <= last:
                continue
            await self.send_json(
                {"type": "message.created", "conversation_id": conversation_id, "message": message}
            )
            last = message["seq"]
        self.last_sent[conversation_id] = last

    async def rt_push(self, event: dict[str, Any]) -> None:
        """A payload from the channel layer (see audiences)."""
        payload = event["payload"]
        kind = payload.get("type")
        if kind in ("typing", "viewing"):
            if payload.get("sender") == self.channel_name:
                return  # no echo of one's own signal
            payload = {k: v for k, v in payload.items() if k != "sender"}
        if kind == "message.created":
            await self._on_message(payload)
            return
        await self.send_json(payload)

    async def _on_message(self, payload: dict[str, Any]) -> None:
        conversation_id = payload["conversation_id"]
        seq = payload["message"]["seq"]
        async with self.lock:
            last = self.last_sent.get(conversation_id)
            if last is None:
                return  # not subscribed to this conversation's messages
            if seq <= last:
                return  # a duplicate
            if seq == last + 1:
                await self.deliver_messages(conversation_id, [payload["message"]])
                return
            # A gap: earlier messages were published after this one. Read them first.
            missing = await database_sync_to_async(self.fetch_after)(conversation_id, last)
            await self.deliver_messages(conversation_id, missing)

    async def resync_forever(self) -> None:
        """Catch up from the database now and then: covers events lost between processes.

        Each socket waits a random part of the interval, so thousands of sockets opened together
        do not all query at the same moment.
        """
        interval = settings.KEFU_REALTIME_RESYNC_SECONDS
        await asyncio.sleep(random.uniform(0, interval))  # noqa: S311 - jitter, not security
        while not self.closed:
            if self.layer_lost:  # a group_add failed while the receive loop stayed healthy
                await self._rejoin()
            await self.resync()
            if self.closed:
                break
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))  # noqa: S311

    def latest_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        """The newest sequence number of each conversation (this audience's numbering)."""
        raise NotImplementedError

    async def resync(self) -> None:
        tracked = list(self.last_sent)
        if not tracked:
            return
        try:
            # One cheap query for every tracked conversation; messages only where behind.
            latest = await database_sync_to_async(self.latest_seqs)(tracked)
            for conversation_id, newest in latest.items():
                async with self.lock:
                    last = self.last_sent.get(conversation_id)
                    if last is None or newest <= last:
                        continue
                    missing = await database_sync_to_async(self.fetch_after)(conversation_id, last)
                    await self.deliver_messages(conversation_id, missing)
        except Exception:
            if not self.closed:  # a socket that closed meanwhile is not worth a warning
                log.warning("real-time resync failed", exc_info=True)

    def start_background(self) -> None:
        if settings.KEFU_REALTIME_RESYNC_SECONDS > 0:
            self.background = asyncio.ensure_future(self.resync_forever())

    # -- receiving ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        data = text_data if text_data is not None else (bytes_data or b"")
        if not self.bucket.take():
            self.drops += 1
            if self.drops > MAX_DROPS:
                await self.fail(
                    ProtocolError(
                        "rate_limited", _("Too many messages. Slow down."), close=CLOSE_FLOOD
                    )
                )
            else:
                # The ref tells the client which frame was dropped, so it can send it again.
                error = ProtocolError(
                    "rate_limited",
                    _("Too many messages. Slow down."),
                    ref=frame_ref(data, self.max_frame_bytes),
                )
                await self.send_json(error.frame())
            return
        with translation.override(self.language):
            try:
                await self.on_frame(data)
            except ProtocolError as exc:
                self.errors_in_a_row += 1
                if exc.close is None and self.errors_in_a_row >= MAX_ERRORS_IN_A_ROW:
                    exc.close = CLOSE_PROTOCOL
                await self.fail(exc)
                return
            except DATABASE_ERRORS as exc:
                # The database is down: say so and close "try again later"; the client
                # reconnects with backoff, resumes from its last seq and resends what was
                # not acknowledged (same idempotency keys: nothing is stored twice).
                log.warning("socket frame failed: database unavailable: %s", exc)
                await self.fail(
                    ProtocolError("unavailable", unavailable.message(), close=CLOSE_TRY_AGAIN_LATER)
                )
                return
        self.errors_in_a_row = 0

    async def on_frame(self, data: str | bytes) -> None:
        raise NotImplementedError


# --- the agent workspace's socket ---------------------------------------------------------


class Subscribe(Frame):
    type: Literal["subscribe", "unsubscribe"]
    conversation_id: ConvId


class AgentSync(Frame):
    type: Literal["sync"]
    conversation_id: ConvId
    after_seq: Seq


class AgentTyping(Frame):
    type: Literal["typing"]
    conversation_id: ConvId
    state: bool
    mode: Literal["reply", "note"] = "reply"


class AgentViewing(Frame):
    type: Literal["viewing"]
    conversation_id: ConvId
    state: bool


class AgentRead(Frame):
    type: Literal["read"]
    conversation_id: ConvId
    seq: Seq


class PresenceSet(Frame):
    type: Literal["presence.set"]
    status: Annotated[str, StringConstraints(pattern=r"^(online|away|offline)$")]


class AgentPing(Frame):
    type: Literal["ping"]


class AgentMessageSend(Frame):
    """A reply or an internal note, written as the HTTP form would (attachments, a status to
    set and the secret guard's override stay on the form). ``id`` is the idempotency key; the
    body's limits are the service's, so both paths say the same."""

    type: Literal["message.send"]
    id: Key
    conversation_id: ConvId
    body: str
    kind: Literal["reply", "note"]


AGENT_FRAMES: dict[str, type[Frame]] = {
    "subscribe": Subscribe,
    "unsubscribe": Subscribe,
    "sync": AgentSync,
    "typing": AgentTyping,
    "viewing": AgentViewing,
    "read": AgentRead,
    "presence.set": PresenceSet,
    "ping": AgentPing,
    "message.send": AgentMessageSend,
}


class AgentConsumer(SequencedConsumer):
    """``/ws/agent/v1``: a signed-in agent's workspace (session cookie, same origin)."""

    max_frame_bytes = AGENT_MAX_FRAME_BYTES  # a reply as long as the form takes

    async def opened(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not getattr(user, "is_agent", False):
            await self.fail(
                ProtocolError(
                    "unauthorized", _("Sign in to the workspace."), close=CLOSE_UNAUTHORIZED
                )
            )
            return
        self.user = user
        self.language = user.language or "en"
        self.last_heartbeat = 0.0
        for group in await database_sync_to_async(self._groups)():
            await self.join(group)
        status = await database_sync_to_async(self._heartbeat)()
        await self.send_json(
            {
                "type": "hello",
                "v": 1,
                "agent": {"id": user.pk, "name": str(user)},
                "presence": {"status": status},
            }
        )
        self.start_background()

    def _groups(self) -> list[str]:
        from kefu.accounts import permissions

        if permissions.sees_all(self.user):
            return [
                audiences.PRESENCE,
                audiences.INBOX_ALL,
                audiences.staff_user_group(self.user.pk),
            ]
        teams = list(self.user.teams.values_list("pk", flat=True))
        return [
            audiences.PRESENCE,
            audiences.INBOX_UNROUTED,
            audiences.agent_group(self.user.pk),
            audiences.staff_user_group(self.user.pk),
            *(audiences.team_group(t) for t in teams),
        ]

    def _heartbeat(self) -> str:
        from kefu.accounts.models import AgentPresence
        from kefu.accounts.services import presence_touch

        presence_touch(user_id=self.user.pk)
        self.last_heartbeat = time.monotonic()
        row = AgentPresence.objects.filter(user_id=self.user.pk).values_list("status", flat=True)
        return row.first() or "offline"

    def fetch_after(self, conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
        return payloads.staff_messages_after(conversation_id, after_seq)

    def latest_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        return payloads.latest_seqs(conversation_ids, public=False)

    def _conversation(self, conversation_id: int) -> Any:
        from kefu.conversations.selectors import conversation_get_for_agent

        return conversation_get_for_agent(user=self.user, pk=conversation_id)

    def _subscribe(self, conversation_id: int) -> int:
        return int(self._conversation(conversation_id).last_seq)

    async def on_frame(self, data: str | bytes) -> None:
        frame = parse(data, AGENT_FRAMES, self.max_frame_bytes)
        try:
            await self._dispatch(frame)
        except NotFound:
            raise ProtocolError(
                "not_found", _("That conversation was not found."), ref=None
            ) from None
        except KefuError as exc:
            raise ProtocolError("validation", exc.message) from None

    async def _dispatch(self, frame: Frame) -> None:
        if isinstance(frame, Subscribe):
            await self._toggle(frame)
        elif isinstance(frame, AgentSync):
            await self._require_subscribed(frame.conversation_id)
            async with self.lock:
                self.last_sent[frame.conversation_id] = frame.after_seq
                missing = await database_sync_to_async(self.fetch_after)(
                    frame.conversation_id, frame.after_seq
                )
                await self.deliver_messages(frame.conversation_id, missing)
            await self.send_json(
                {
                    "type": "sync.done",
                    "conversation_id": frame.conversation_id,
                    "last_seq": self.last_sent[frame.conversation_id],
                }
            )
        elif isinstance(frame, AgentTyping):
            await self._require_subscribed(frame.conversation_id)
            await self._signal(
                Typing(
                    conversation_id=frame.conversation_id,
                    who="agent",
                    name_shown=payloads.agent_public_name(self.user)[:120],
                    state=frame.state,
                    mode=frame.mode,
                    agent_id=self.user.pk,
                    sender=self.channel_name,
                )
            )
        elif isinstance(frame, AgentViewing):
            await self._require_subscribed(frame.conversation_id)
            await self._signal(
                Viewing(
                    conversation_id=frame.conversation_id,
                    agent_id=self.user.pk,
                    name_shown=str(self.user)[:120],
                    state=frame.state,
                    sender=self.channel_name,
                )
            )
        elif isinstance(frame, AgentRead):
            await database_sync_to_async(self._mark_read)(frame.conversation_id, frame.seq)
        elif isinstance(frame, PresenceSet):
            await database_sync_to_async(self._set_presence)(frame.status)
        elif isinstance(frame, AgentMessageSend):
            try:
                stored = await database_sync_to_async(self._send_message)(frame)
            except KefuError as exc:
                raise service_error(exc, frame.id, transition="conversation_closed") from None
            await self.send_json(
                {
                    "type": "message.ack",
                    "ref": frame.id,
                    "conversation_id": frame.conversation_id,
                    "message": stored,
                }
            )
        elif isinstance(frame, AgentPing):
            if time.monotonic() - self.last_heartbeat > HEARTBEAT_SECONDS:
                await database_sync_to_async(self._heartbeat)()
            await self.send_json({"type": "pong"})

    async def _toggle(self, frame: Subscribe) -> None:
        group = audiences.staff_group(frame.conversation_id)
        if frame.type == "unsubscribe":
            if group in self.joined:
                self.joined.discard(group)
                with contextlib.suppress(*LAYER_ERRORS):
                    await self.channel_layer.group_discard(group, self.channel_name)
            async with self.lock:
                self.last_sent.pop(frame.conversation_id, None)
            return
        # Permission first; join before reading the sequence so nothing falls in between.
        await database_sync_to_async(self._conversation)(frame.conversation_id)
        await self.join(group)
        last_seq = await database_sync_to_async(self._subscribe)(frame.conversation_id)
        await self.track(frame.conversation_id, last_seq)
        await self.send_json(
            {"type": "subscribed", "conversation_id": frame.conversation_id, "last_seq": last_seq}
        )

    async def _require_subscribed(self, conversation_id: int) -> None:
        if audiences.staff_group(conversation_id) not in self.joined:
            raise ProtocolError("not_subscribed", _("Subscribe to the conversation first."))

    async def _signal(self, event: Event) -> None:
        await publish_ephemeral(event)

    def _mark_read(self, conversation_id: int, seq: int) -> None:
        from kefu.accounts.services import actor_for_user
        from kefu.conversations.services import conversation_mark_read

        conversation_mark_read(
            conversation=self._conversation(conversation_id),
            seq=seq,
            actor=actor_for_user(self.user),
        )

    def _send_message(self, frame: AgentMessageSend) -> dict[str, Any]:
        """Store the frame's reply or note as the HTTP views do: the same selector, the same
        service (audit, timeline, SLA, secret guard, delivery to the customer)."""
        from kefu.accounts.services import actor_for_user
        from kefu.conversations.services import message_reply, note_add

        self.user = self._still_signed_in(ref=frame.id)
        conversation = self._conversation(frame.conversation_id)
        client = self.scope.get("client") or (None,)
        actor = actor_for_user(self.user, ip=client[0])
        if frame.kind == "reply":
            message = message_reply(
                conversation=conversation, body=frame.body, client_key=frame.id, actor=actor
            )
        else:
            message = note_add(
                conversation=conversation, body=frame.body, client_key=frame.id, actor=actor
            )
        return {"id": message.pk, "seq": message.seq, "public_seq": message.public_seq}

    def _still_signed_in(self, *, ref: str) -> Any:
        """The agent's row as it is now, if the session would still let the form through:
        active, still staff, same password (Django's session hash). A socket opened before a
        deactivation or a password change must not keep writing."""
        from django.contrib.auth import HASH_SESSION_KEY
        from django.utils.crypto import constant_time_compare

        user = next(iter(_ACTIVE_USER(self.user.pk)), None)
        session = self.scope.get("session")
        stored = session.get(HASH_SESSION_KEY) if session is not None else None
        if (
            user is None
            or not user.is_agent
            or (stored and not constant_time_compare(stored, user.get_session_auth_hash()))
        ):
            raise ProtocolError(
                "unauthorized", _("Sign in to the workspace."), ref=ref, close=CLOSE_UNAUTHORIZED
            )
        return user

    def _set_presence(self, status: str) -> None:
        from kefu.accounts.services import actor_for_user, presence_set

        presence_set(user=self.user, status=status, actor=actor_for_user(self.user))

    async def closing(self) -> None:
        # Tell other agents this one is no longer viewing anything it had open.
        if not hasattr(self, "user"):
            return
        for conversation_id in list(self.last_sent):
            await publish_ephemeral(
                Viewing(
                    conversation_id=conversation_id,
                    agent_id=self.user.pk,
                    name_shown=str(self.user)[:120],
                    state=False,
                    sender=self.channel_name,
                )
            )
