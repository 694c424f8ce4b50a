"""What the widget tells a visitor before the first message: open or not, and the likely wait."""

from __future__ import annotations

import statistics
from typing import Any

from django.core.cache import cache
from django.db.models import Min, OuterRef, Subquery

from kefu.accounts.models import Team
from kefu.accounts.services import agents_online
from kefu.conversations.models import AuthorKind, Channel, Conversation, Message, MessageKind
from kefu.core import clock
from kefu.inbox.models import ChatSite

DEFAULT_WAIT_SECONDS = 120
BUSY_WAIT_PER_CHAT_SECONDS = 180
SAMPLE = 50


def _recent_first_response_seconds() -> int:
    """Median time to the first agent reply over the latest chats (cached for a minute)."""
    cached = cache.get("kefu:chat:median-first-response")
    if cached is not None:
        return int(cached)
    first_reply = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            kind=MessageKind.REPLY,
            author_kind__in=(AuthorKind.AGENT, AuthorKind.ASSISTANT),
        )
        .values("conversation")
        .annotate(at=Min("created_at"))
        .values("at")
    )
    rows = (
        Conversation.objects.filter(channel=Channel.CHAT)
        .order_by("-created_at")
        .annotate(first_reply=Subquery(first_reply))
        .filter(first_reply__isnull=False)
        .values_list("created_at", "first_reply")[:SAMPLE]
    )
    waits = [max(0, int((reply - created).total_seconds())) for created, reply in rows]
    value = int(statistics.median(waits)) if waits else DEFAULT_WAIT_SECONDS
    cache.set("kefu:chat:median-first-response", value, 60)
    return value


def availability(site: ChatSite, language: str, *, team: Team | None = None) -> dict[str, Any]:
    """Service hours, agents online and the expected wait for ``site`` right now.

    ``team`` overrides the site's team (the assistant hands some chats to another team)."""
    from kefu.sla.hours import describe, is_open, next_open
    from kefu.sla.selectors import default_calendar

    now = clock.now()
    calendar = default_calendar()
    open_now = is_open(calendar, now)
    team = site.team if team is None else team
    online = agents_online(team.pk if team is not None else None)
    wait: int | None = None
    if open_now and online:
        from kefu.inbox.adapters.webchat.services import chat_load

        load = chat_load([a.pk for a in online])
        free = sum(max(0, a.chat_capacity - load[a.pk]) for a in online)
        waiting = Conversation.objects.filter(
            channel=Channel.CHAT, status="new", assignee__isnull=True, team=team
        ).count()
        wait = _recent_first_response_seconds()
        if free <= waiting:
            wait += (waiting - free + 1) * BUSY_WAIT_PER_CHAT_SECONDS // max(1, len(online))
    upcoming = None if open_now else next_open(calendar, now)
    return {
        "open_now": open_now,
        "agents_online": len(online) if open_now else 0,
        "expected_wait_seconds": wait,
        "hours": describe(calendar, language),
        "next_open_at": upcoming.isoformat() if upcoming else None,
        "email_followup": not (open_now and online),
    }
