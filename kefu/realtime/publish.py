"""Publish events after the transaction that caused them commits (only services call this)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from kefu.core import policy_cache
from kefu.realtime import audiences, coalesce
from kefu.realtime.events import Event

if TYPE_CHECKING:
    from kefu.conversations.models import Message

log = logging.getLogger(__name__)


def publish(event: Event, *, message: Message | None = None) -> None:
    """Deliver ``event`` to its audiences once the current transaction commits.

    ``message`` (for ``MessageCreated``): the row the service just wrote, with its
    conversation (and the conversation's contact) and its attachments cached, so the payloads
    are built from it after the commit instead of reloading it. Its payload fields are fixed
    when it is written. Delivery is best effort: a failure is logged and clients catch up
    from the database.
    """
    transaction.on_commit(partial(_deliver, event, message))


class _Scope:
    """Deliveries and events committed inside ``batched()``, sent when it ends."""

    def __init__(self) -> None:
        self.deliveries: list[audiences.Delivery] = []
        self.events: list[Event] = []


_scope = threading.local()


@contextmanager
def batched() -> Iterator[None]:
    """Within the block, hold this thread's committed events and send them when it ends: all
    their pushes in one hand-over to the channel layer and one webhook-endpoint look-up for
    all of them (instead of one of each per event), in the order they committed.

    For a worker that runs several short transactions for one unit of work (an inbound event:
    identity, conversation, message). Events are routed (payloads built) as each transaction
    commits, as without the block; only the sending waits for its end, including when the
    block raises (what committed is still sent). Nested blocks send with the outermost one.
    """
    if getattr(_scope, "current", None) is not None:
        yield
        return
    scope = _scope.current = _Scope()
    try:
        yield
    finally:
        _scope.current = None
        _send_now(scope.deliveries)
        if scope.events:
            from kefu.integrations.emit import on_committed_events

            on_committed_events(scope.events)


def _deliver(event: Event, message: Message | None = None) -> None:
    scope: _Scope | None = getattr(_scope, "current", None)
    if scope is not None:
        try:
            scope.deliveries += audiences.route(event, message=message)
        except Exception:  # the write already committed; never fail the caller over a push
            log.warning("real-time delivery of %s failed", event.name, exc_info=True)
        scope.events.append(event)
        return
    _push(event, message)
    # Outbound webhooks hear the same committed events (docs/subsystems/webhooks.md). Imported
    # here: integrations reads conversations, which publish through this module.
    from kefu.integrations.emit import on_committed_event

    on_committed_event(event)


_UNREAD: Any = object()


def deliver_committed(
    events: list[Event],
    *,
    messages: dict[int, Message] | None = None,
    policy_token: str | None = _UNREAD,
) -> None:
    """``publish``'s after-commit delivery for several events of one committed transaction
    (a batch of chat messages), with one webhook look-up.

    ``messages``: the ``MessageCreated`` rows as the transaction wrote them, by id, held as
    ``publish``'s ``message`` is (conversation with contact and assignee, attachments cached);
    those not given are loaded in one query. ``policy_token``: the policy-cache token read in
    the transaction (``policy_cache.token_subquery``), pinned for the webhook look-up instead of
    reading it again (docs/adr/0028-policy-cache.md)."""
    from kefu.integrations.emit import on_committed_events
    from kefu.realtime import payloads
    from kefu.realtime.events import MessageCreated

    held = messages or {}

    def row(event: Event) -> Message | None:
        return held.get(event.message_id) if isinstance(event, MessageCreated) else None

    ids = [e.message_id for e in events if isinstance(e, MessageCreated) and row(e) is None]
    # Every event routed, then all the pushes handed over at once (in the same order), as
    # ``batched()`` does: one hand-over to the loop's outbox per batch instead of one per event.
    deliveries: list[audiences.Delivery] = []
    try:
        with payloads.preloaded(ids):
            for event in events:
                deliveries += _route(event, row(event))
    except Exception:  # the preload itself failed: deliver as publish would
        log.warning("batched real-time delivery failed", exc_info=True)
        deliveries = [d for event in events for d in _route(event, row(event))]
    _send_now(deliveries)
    if policy_token is _UNREAD:
        on_committed_events(events)
        return
    with policy_cache.pinned(policy_token):
        on_committed_events(events)


def _push(event: Event, message: Message | None = None) -> None:
    _send_now(_route(event, message))


def _route(event: Event, message: Message | None = None) -> list[audiences.Delivery]:
    try:
        return audiences.route(event, message=message)
    except Exception:  # the write already committed; never fail the caller over a push
        log.warning("real-time delivery of %s failed", event.name, exc_info=True)
        return []


def _send_now(deliveries: list[audiences.Delivery]) -> None:
    try:
        layer = get_channel_layer()
        if layer is None or not deliveries:
            return
        loop = _calling_loop()
        if loop is not None:
            _Outbox.of(loop).put(layer, deliveries)
        elif _in_running_loop():
            async_to_sync(_send_all)(layer, deliveries)  # it says why it cannot be done here
        else:
            _own_loop().run_until_complete(_send_all(layer, deliveries))
    except Exception:  # the write already committed; never fail the caller over a push
        log.warning("real-time delivery failed", exc_info=True)


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_loops = threading.local()


def _own_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop for sending pushes from plain sync code (workers, commands),
    kept between calls: ``async_to_sync`` starts a thread and a loop for every call, and the
    Redis layer connects again for every new loop. Sent before returning, as before. A forked
    child makes its own (the parent's loop and connections are not its to use)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed() or getattr(_loops, "pid", None) != os.getpid():
        loop = _loops.loop = asyncio.new_event_loop()
        _loops.pid = os.getpid()
    return loop


def _calling_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this thread's code was called from (``sync_to_async``), if it still runs.

    Consumers' and ASGI views' database work runs in threads on behalf of the server's loop;
    their pushes are handed to that loop without waiting for the channel layer, so the
    (single) database thread of a process never idles while the loop is busy sending frames.
    """
    loop: asyncio.AbstractEventLoop | None = getattr(
        SyncToAsync.threadlocal, "main_event_loop", None
    )
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop  # a worker thread, as expected
    return None  # called on a loop's own thread: let async_to_sync decide


class _Outbox:
    """Pushes waiting for one event loop, sent by one task in the order they were published
    (per process, as before: the consumers' gap filling covers the order between processes)."""

    _boxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = (
        weakref.WeakKeyDictionary()
    )
    _boxes_lock = threading.Lock()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_ref = weakref.ref(loop)  # not a strong reference: the loop is the box's key
        self.lock = threading.Lock()
        # (layer, deliveries, throttle): a throttle's own flush is not throttled again.
        self.items: deque[tuple[object, list[audiences.Delivery], bool]] = deque()
        self.draining = False
        # Touched only on the loop's thread (in ``_drain`` and its timer).
        self.inbox = coalesce.InboxThrottle(settings.KEFU_REALTIME_INBOX_SECONDS)
        self.inbox_layer: object = None
        self.inbox_timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Outbox:
        with cls._boxes_lock:
            box = cls._boxes.get(loop)
            if box is None:
                box = cls._boxes[loop] = cls(loop)
            return box

    def put(
        self, layer: object, deliveries: list[audiences.Delivery], *, throttle: bool = True
    ) -> None:
        with self.lock:
            self.items.append((layer, deliveries, throttle))
            if self.draining:
                return
            self.draining = True
        loop = self.loop_ref()
        try:
            if loop is None:
                raise RuntimeError("the event loop is gone")
            loop.call_soon_threadsafe(self._start, loop)
        except RuntimeError:  # closed meanwhile: nothing will send these
            with self.lock:
                self.items.clear()
                self.draining = False
            raise

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        task = loop.create_task(self._drain())
        _draining.add(task)
        task.add_done_callback(_draining.discard)

    async def _drain(self) -> None:
        while True:
            with self.lock:
                if not self.items:
                    self.draining = False
                    return
                layer, deliveries, throttle = self.items.popleft()
            if throttle:
                deliveries = self.inbox.admit(deliveries)
                self.inbox_layer = layer
                self._schedule_inbox()
            try:
                await _send_all(layer, deliveries)
            except Exception:  # best effort, as before: clients catch up from the database
                log.warning("real-time delivery failed", exc_info=True)

    def _schedule_inbox(self) -> None:
        due = self.inbox.next_due()
        if due is None or self.inbox_timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, due - self.inbox.clock())
        self.inbox_timer = loop.call_later(delay, self._flush_inbox)

    def _flush_inbox(self) -> None:
        """The held ``inbox.changed`` frames whose interval ended, sent in publish order."""
        self.inbox_timer = None
        due = self.inbox.flush()
        if due:
            try:
                self.put(self.inbox_layer, due, throttle=False)
            except RuntimeError:  # the loop is closing: clients refetch when they reconnect
                return
        if self.inbox.next_due() is not None:
            self._schedule_inbox()


_draining: set[asyncio.Task[None]] = set()  # strong references while they run


async def _send_all(layer: object, deliveries: list[audiences.Delivery]) -> None:
    for group, payload in deliveries:
        await layer.group_send(group, {"type": "rt.push", "payload": payload})  # type: ignore[attr-defined]


async def publish_ephemeral(event: Event) -> None:
    """Send a transient signal (typing, viewing) now; nothing is stored."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await _send_all(layer, audiences.route(event))
    except Exception:
        log.warning("real-time signal %s failed", event.name, exc_info=True)
