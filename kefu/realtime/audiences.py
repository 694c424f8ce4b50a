"""Who hears what. The only module that maps events to Channels groups and payload shapes.

Customer groups only ever receive payloads built by the customer-shape functions in
``payloads``; internal notes, agent activity and internal fields never reach them.
"""

from __future__ import annotations

from typing import Any

from kefu.conversations.models import Conversation, Message
from kefu.core.prepared import Prepared
from kefu.realtime import coalesce, payloads
from kefu.realtime.events import (
    ConversationCreated,
    ConversationUpdated,
    Event,
    MessageCreated,
    MessageDeliveryChanged,
    PresenceChanged,
    ReadMarked,
    SlaAlertsCreated,
    TrendAlertsRaised,
    Typing,
    Viewing,
)

Delivery = tuple[str, dict[str, Any]]

PRESENCE = "presence"
INBOX_ALL = "inbox.all"
INBOX_UNROUTED = "inbox.unrouted"


def customer_group(conversation_id: int) -> str:
    return f"conv.{conversation_id}.customer"


def staff_group(conversation_id: int) -> str:
    return f"conv.{conversation_id}.staff"


def team_group(team_id: int) -> str:
    return f"inbox.team.{team_id}"


def agent_group(user_id: int) -> str:
    return f"inbox.agent.{user_id}"


def staff_user_group(user_id: int) -> str:
    """One staff member's own sockets, whatever their role (personal notices)."""
    return f"staff.user.{user_id}"


def inbox_groups(
    *, team_ids: tuple[int | None, ...], assignee_ids: tuple[int | None, ...]
) -> list[str]:
    """Inbox groups for a conversation owned by any of these teams / assignees (old and new)."""
    groups = [INBOX_ALL]
    for team_id in dict.fromkeys(team_ids):
        groups.append(INBOX_UNROUTED if team_id is None else team_group(team_id))
    groups.extend(agent_group(a) for a in dict.fromkeys(assignee_ids) if a is not None)
    return groups


def _inbox(conversation_id: int, reason: str, groups: list[str]) -> list[Delivery]:
    payload = coalesce.inbox_payload({conversation_id: reason})
    return [(g, payload) for g in groups]


def route(event: Event, *, message: Message | None = None) -> list[Delivery]:
    """Every (group, payload) pair this event is delivered as. Runs after commit.

    ``message``: a ``MessageCreated``'s row as its service wrote it (else it is loaded)."""
    if isinstance(event, MessageCreated):
        return _route_message(event, message)
    if isinstance(event, ConversationCreated):
        return _inbox(
            event.conversation_id,
            "created",
            inbox_groups(team_ids=(event.team_id,), assignee_ids=(event.assignee_id,)),
        )
    if isinstance(event, ConversationUpdated):
        return _route_update(event)
    if isinstance(event, MessageDeliveryChanged):
        payload = {
            "type": "message.delivery",
            "conversation_id": event.conversation_id,
            "message_id": event.message_id,
            "status": event.status,
        }
        return [(staff_group(event.conversation_id), payload)]  # never to the customer
    if isinstance(event, ReadMarked):
        payload = {
            "type": "read",
            "conversation_id": event.conversation_id,
            "who": event.who,
            "seq": event.seq,
        }
        out = [(staff_group(event.conversation_id), payload)]
        if event.who == "agent":
            out.append((customer_group(event.conversation_id), payload))
        return out
    if isinstance(event, Typing):
        return _route_typing(event)
    if isinstance(event, Viewing):
        payload = {
            "type": "viewing",
            "conversation_id": event.conversation_id,
            "agent": {"id": event.agent_id, "name": event.name_shown},
            "state": event.state,
            "sender": event.sender,
        }
        return [(staff_group(event.conversation_id), payload)]  # never to the customer
    if isinstance(event, PresenceChanged):
        payload = {"type": "presence.changed", "agent_id": event.agent_id, "status": event.status}
        return [(PRESENCE, payload)]
    if isinstance(event, SlaAlertsCreated):
        payload = {"type": "sla.alerts", "unread": event.unread}
        return [(staff_user_group(event.recipient_id), payload)]  # that staff member only
    if isinstance(event, TrendAlertsRaised):
        payload = {"type": "trends.alerts", "open": event.open}
        return [(staff_user_group(event.recipient_id), payload)]  # that manager only
    raise TypeError(f"no audience for {type(event).__name__}")


def _route_message(event: MessageCreated, held: Message | None) -> list[Delivery]:
    message = held if held is not None and held.pk == event.message_id else None
    if message is None:
        message = payloads.load_message(event.message_id)
    if message is None:  # deleted before delivery: nothing to say
        return []
    payloads.remember_routed(message)  # the sender's ack reuses it (chat)
    out: list[Delivery] = [
        (
            staff_group(event.conversation_id),
            {
                "type": "message.created",
                "conversation_id": event.conversation_id,
                "message": payloads.message_for_staff(message),
            },
        )
    ]
    if message.public_seq is not None and message.kind == "reply":
        out.append(
            (
                customer_group(event.conversation_id),
                {
                    "type": "message.created",
                    "conversation_id": event.conversation_id,
                    "message": payloads.message_for_customer(message),
                },
            )
        )
    out += _inbox(
        event.conversation_id,
        "message",
        inbox_groups(team_ids=(event.team_id,), assignee_ids=(event.assignee_id,)),
    )
    return out


# Read for every conversation change (a first reply's NEW -> OPEN, each assignment): compiled
# once per connection (kefu.core.prepared, ADR 0033). One row by its key: no ORDER BY.
_UPDATED = Prepared(
    lambda pk: Conversation.objects.select_related("assignee").filter(pk=pk).order_by()[:1],
    ids=1,
    name="route_update",
)


def _route_update(event: ConversationUpdated) -> list[Delivery]:
    found = _UPDATED(event.conversation_id)
    if not found:
        return []
    conversation = found[0]
    out: list[Delivery] = [
        (
            staff_group(event.conversation_id),
            {"type": "conversation.updated", **payloads.conversation_for_staff(conversation)},
        )
    ]
    if event.customer_visible:
        out.append(
            (
                customer_group(event.conversation_id),
                {
                    "type": "conversation.updated",
                    "conversation": payloads.conversation_for_customer(conversation),
                },
            )
        )
    out += _inbox(
        event.conversation_id,
        event.reason,
        inbox_groups(
            team_ids=(event.previous_team_id, event.team_id),
            assignee_ids=(event.previous_assignee_id, event.assignee_id),
        ),
    )
    return out


def _route_typing(event: Typing) -> list[Delivery]:
    staff_payload: dict[str, Any] = {
        "type": "typing",
        "conversation_id": event.conversation_id,
        "who": event.who,
        "name": event.name_shown,
        "state": event.state,
        "mode": event.mode,
        "sender": event.sender,
    }
    if event.agent_id is not None:
        staff_payload["agent"] = {"id": event.agent_id, "name": event.name_shown}
    out: list[Delivery] = [(staff_group(event.conversation_id), staff_payload)]
    if event.who == "agent" and event.mode == "reply":
        out.append(
            (
                customer_group(event.conversation_id),
                {
                    "type": "typing",
                    "conversation_id": event.conversation_id,
                    "who": "agent",
                    "name": event.name_shown,
                    "state": event.state,
                },
            )
        )
    return out
