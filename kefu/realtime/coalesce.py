"""``inbox.changed`` throttled per group (docs/adr/0031-inbox-changed-throttled-per-group.md).

Every message, assignment and status change tells the inbox groups (``inbox.all``, the team's,
the assignee's) that a conversation changed. With ten agents watching and hundreds of messages
a second that was ten frames per message, each one making the workspace refetch its list.
Agents need to know *that* their list changed, not every step, so per group the first change
goes out at once and the ones that follow within ``interval`` seconds are merged into one frame
sent when the interval ends. The merged frame lists the changed conversations (``changes``,
newest last, at most ``MAX_CHANGES``); ``conversation_id`` and ``reason`` are the newest
change's, as a single change's frame always had.

Nothing is lost: a held change is sent at most ``interval`` after the previous frame of its
group, and always after the change committed, so the refetch it causes sees it. ``interval``
0 turns throttling off. The class is plain (no event loop): ``publish._Outbox`` feeds it on the
loop's thread and schedules ``flush`` at ``next_due``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Delivery = tuple[str, dict[str, Any]]

INBOX_CHANGED = "inbox.changed"
MAX_CHANGES = 100  # per frame; older ones are dropped and the frame says ``truncated``
_FORGET_AFTER = 1024  # groups remembered before quiet ones are forgotten


def inbox_payload(changes: dict[int, str], *, truncated: bool = False) -> dict[str, Any]:
    """One ``inbox.changed`` frame for ``changes`` (conversation id -> reason, oldest first)."""
    newest = next(reversed(changes))
    payload: dict[str, Any] = {
        "type": INBOX_CHANGED,
        "conversation_id": newest,
        "reason": changes[newest],
        "changes": [{"conversation_id": c, "reason": r} for c, r in changes.items()],
    }
    if truncated:
        payload["truncated"] = True
    return payload


class InboxThrottle:
    """Per group: the first ``inbox.changed`` at once, the next ones merged per ``interval``."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.last: dict[str, float] = {}  # group -> when its last frame went out
        self.held: dict[str, dict[int, str]] = {}  # group -> conversation id -> reason
        self.truncated: set[str] = set()
        self.due: dict[str, float] = {}  # group -> when its held changes go out

    def admit(self, deliveries: list[Delivery]) -> list[Delivery]:
        """What to send now, in order; ``inbox.changed`` to a busy group is held instead."""
        if self.interval <= 0:
            return deliveries
        now = self.clock()
        send: list[Delivery] = []
        for group, payload in deliveries:
            if payload.get("type") != INBOX_CHANGED:
                send.append((group, payload))
                continue
            last = self.last.get(group)
            if group not in self.held and (last is None or now - last >= self.interval):
                self.last[group] = now
                send.append((group, payload))
                continue
            self._hold(group, payload)
            if group not in self.due:
                self.due[group] = (last if last is not None else now) + self.interval
        if len(self.last) > _FORGET_AFTER:
            self.last = {
                g: t for g, t in self.last.items() if now - t < self.interval or g in self.held
            }
        return send

    def _hold(self, group: str, payload: dict[str, Any]) -> None:
        held = self.held.setdefault(group, {})
        changes = payload.get("changes") or [
            {"conversation_id": payload["conversation_id"], "reason": payload.get("reason", "")}
        ]
        for change in changes:
            conversation_id = change["conversation_id"]
            held.pop(conversation_id, None)  # newest last
            held[conversation_id] = change["reason"]
        while len(held) > MAX_CHANGES:
            del held[next(iter(held))]
            self.truncated.add(group)
        if payload.get("truncated"):
            self.truncated.add(group)

    def next_due(self) -> float | None:
        """When the earliest held group is due (this throttle's clock), None when none is."""
        return min(self.due.values(), default=None)

    def flush(self) -> list[Delivery]:
        """One merged frame for each group whose interval has ended."""
        now = self.clock()
        out: list[Delivery] = []
        for group, due in list(self.due.items()):
            if due > now:
                continue
            del self.due[group]
            changes = self.held.pop(group)
            truncated = group in self.truncated
            self.truncated.discard(group)
            self.last[group] = now
            out.append((group, inbox_payload(changes, truncated=truncated)))
        return out
