"""Appending to a conversation's timeline: the one writer of ``TimelineEntry`` rows.

Services of this app and of others (surveys, escalation requests, merges, incident links) call
``timeline_add`` inside their own transaction, next to their audit row.
"""

from __future__ import annotations

from typing import Any

from kefu.conversations.models import Message, TimelineEntry
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.inserts import insert_new


def timeline_add(
    conversation_id: int,
    kind: str,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
    public: bool = False,
) -> TimelineEntry:
    """One timeline row by ``actor``; ``public`` rows are shown to the customer too."""
    entry = TimelineEntry(
        conversation_id=conversation_id,
        kind=kind,
        actor_kind=str(actor.kind),
        actor_user_id=actor.user_id,
        actor_label=actor.label[:120],
        message=message,
        data=data or {},
        public=public,
        created_at=clock.now(),
    )
    # The same row ``objects.create`` writes, without compiling the INSERT each time: every
    # reply, note and status change adds one (kefu.core.inserts).
    insert_new(TimelineEntry, [entry])
    return entry
