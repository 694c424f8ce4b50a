"""Turn committed real-time events into webhook deliveries.

``kefu.realtime.publish`` calls ``on_committed_event`` after the transaction that caused an
event has committed (the one place every service already reports its changes), so services
need no second call and a rolled-back change never reaches a receiver. Payloads carry public
facts only: internal notes, staff emails and contact details other than the contact's id and
exchange account id never leave. An endpoint that is off, or not subscribed, gets nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from kefu.conversations.models import (
    Conversation,
    Message,
    MessageKind,
    Priority,
    TimelineEntry,
    TimelineKind,
)
from kefu.core import clock, policy_cache
from kefu.integrations import services
from kefu.integrations.models import EventType, WebhookEndpoint
from kefu.realtime import events

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    """The public description of a conversation that every conversation event carries."""
    return {
        "id": conversation.pk,
        "reference": conversation.reference,
        "subject": conversation.subject,
        "status": conversation.status,
        "priority": Priority(conversation.priority).name.lower(),
        "category": conversation.category,
        "channel": conversation.channel,
        "language": conversation.language,
        "tier": conversation.tier,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
        "contact": {"id": conversation.contact_id, "uid": conversation.contact.uid},
        "created_at": _iso(conversation.created_at),
        "last_activity_at": _iso(conversation.last_activity_at),
        "closed_at": _iso(conversation.closed_at),
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "conversation": conversation_data(message.conversation),
        "author": message.author_kind,
        "channel": message.channel,
        "body": message.body,
        "public_seq": message.public_seq,
        "created_at": _iso(message.created_at),
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments.all()
        ],
    }


def _conversation(pk: int) -> Conversation | None:
    return Conversation.objects.select_related("contact").filter(pk=pk).first()


def _describe(event: events.Event) -> tuple[str, int, dict[str, Any]] | None:
    """(event type, conversation id, payload) for events integrators hear about, else None."""
    data: dict[str, Any]
    if isinstance(event, events.ConversationCreated):
        conversation = _conversation(event.conversation_id)
        if conversation is None:
            return None
        first = (
            conversation.messages.filter(kind=MessageKind.REPLY)
            .select_related("conversation__contact")
            .prefetch_related("attachments")
            .order_by("seq", "pk")
            .first()
        )
        data = {"conversation": conversation_data(conversation)}
        if first is not None:
            message = message_data(first)
            del message["conversation"]
            data["first_message"] = message
        return EventType.CONVERSATION_CREATED, conversation.pk, data
    if isinstance(event, events.MessageCreated):
        if event.public_seq is None:  # an internal note
            return None
        reply = (
            Message.objects.select_related("conversation__contact")
            .prefetch_related("attachments")
            .filter(pk=event.message_id, kind=MessageKind.REPLY)
            .first()
        )
        if reply is None:
            return None
        return EventType.MESSAGE_CREATED, reply.conversation_id, {"message": message_data(reply)}
    if isinstance(event, events.ConversationUpdated) and event.reason in ("status", "assignee"):
        conversation = _conversation(event.conversation_id)
        if conversation is None:
            return None
        data = {"conversation": conversation_data(conversation)}
        if event.reason == "status":
            change = (
                TimelineEntry.objects.filter(conversation=conversation, kind=TimelineKind.STATUS)
                .order_by("-created_at", "-id")
                .values_list("data", flat=True)
                .first()
            ) or {}
            data["previous_status"] = change.get("from")
            return EventType.CONVERSATION_STATUS_CHANGED, conversation.pk, data
        data["previous_assignee_id"] = event.previous_assignee_id
        assignee = conversation.assignee
        data["assignee"] = (
            {"id": assignee.pk, "name": assignee.display_name} if assignee is not None else None
        )
        return EventType.CONVERSATION_ASSIGNED, conversation.pk, data
    return None


def active_endpoints() -> list[WebhookEndpoint]:
    """The active endpoints (per-process cache, ADR 0028; read-only: callers never save them)."""
    return list(policy_cache.cached("webhooks.active", _load_endpoints))


def _load_endpoints() -> tuple[WebhookEndpoint, ...]:
    return tuple(WebhookEndpoint.objects.filter(is_active=True))


_WATCHED = (events.ConversationCreated, events.MessageCreated, events.ConversationUpdated)


def on_committed_events(batch: list[events.Event]) -> None:
    """``on_committed_event`` for each event of one committed transaction, with one look-up
    of the endpoints (none, usually) for all of them."""
    watched = [e for e in batch if isinstance(e, _WATCHED)]
    if not watched:
        return
    try:
        endpoints = active_endpoints()
    except Exception:
        log.exception("webhook endpoints could not be read")
        return
    if endpoints:
        for event in watched:
            on_committed_event(event, endpoints=endpoints)


def on_committed_event(
    event: events.Event, *, endpoints: list[WebhookEndpoint] | None = None
) -> None:
    """Queue deliveries of ``event`` to every active endpoint subscribed to its type.

    Runs after commit; a failure here is logged and never reaches the service that changed
    the data (the change is already saved).
    """
    if not isinstance(event, _WATCHED):
        return
    try:
        if endpoints is None:
            endpoints = active_endpoints()
        if not endpoints:
            return
        described = _describe(event)
        if described is None:
            return
        event_type, conversation_id, payload = described
        subscribed = [e for e in endpoints if event_type in e.events]
        if subscribed:
            services.deliveries_create_for_event(
                event_type=event_type,
                payload=payload,
                occurred_at=clock.now(),
                conversation_id=conversation_id,
                endpoints=subscribed,
            )
    except Exception:
        log.exception("webhook deliveries for %s could not be queued", event.name)
