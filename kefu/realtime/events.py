"""Typed real-time events. Services create them; ``audiences`` decides who hears them.

Events are pydantic models with unknown fields rejected, named with dotted names. They carry ids
and the facts needed to route them, never rendered content: payloads are built per audience on
commit (``kefu.realtime.payloads``), so an audience only ever gets its own shape.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1)]
Seq = Annotated[int, Field(ge=0)]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: ClassVar[str]


class ConversationCreated(Event):
    name: ClassVar[str] = "conversation.created"
    conversation_id: Id
    team_id: int | None = None
    assignee_id: int | None = None


class MessageCreated(Event):
    """A reply or a note was stored. ``public_seq`` is None for notes."""

    name: ClassVar[str] = "message.created"
    conversation_id: Id
    message_id: Id
    seq: Seq
    public_seq: Seq | None
    team_id: int | None = None
    assignee_id: int | None = None


class ConversationUpdated(Event):
    """Status, assignee, team, priority, tier or tags changed; ``previous_*`` route old owners."""

    name: ClassVar[str] = "conversation.updated"
    conversation_id: Id
    reason: Literal["status", "assignee", "team", "priority", "tier", "tags", "call"]
    team_id: int | None = None
    assignee_id: int | None = None
    previous_team_id: int | None = None
    previous_assignee_id: int | None = None
    customer_visible: bool = False


class MessageDeliveryChanged(Event):
    """A reply's delivery to the customer's channel changed state (staff only)."""

    name: ClassVar[str] = "message.delivery"
    conversation_id: Id
    message_id: Id
    status: Literal["queued", "sent", "delivered", "read", "failed"]


class ReadMarked(Event):
    name: ClassVar[str] = "read"
    conversation_id: Id
    who: Literal["customer", "agent"]
    seq: Seq


class Typing(Event):
    """Ephemeral: someone is typing. Agents typing a note are heard by staff only."""

    name: ClassVar[str] = "typing"
    conversation_id: Id
    who: Literal["customer", "agent"]
    name_shown: str = Field(default="", max_length=120)
    state: bool
    mode: Literal["reply", "note"] = "reply"
    agent_id: int | None = None  # who, when an agent types (staff only: lets tabs skip their own)
    sender: str = Field(default="", max_length=200)  # channel name, so the sender hears no echo


class Viewing(Event):
    """Ephemeral: an agent opened (or left) a conversation; warns others against double answers."""

    name: ClassVar[str] = "viewing"
    conversation_id: Id
    agent_id: Id
    name_shown: str = Field(default="", max_length=120)
    state: bool
    sender: str = Field(default="", max_length=200)


class PresenceChanged(Event):
    name: ClassVar[str] = "presence.changed"
    agent_id: Id
    status: Literal["online", "away", "offline"]


class SlaAlertsCreated(Event):
    """The SLA worker left new alerts for one staff member (staff only: their badge)."""

    name: ClassVar[str] = "sla.alerts"
    recipient_id: Id
    unread: Annotated[int, Field(ge=0)]


class TrendAlertsRaised(Event):
    """The trend worker raised spike alerts; ``open`` is how many are unacknowledged (staff
    only: each supervisor's and admin's own badge)."""

    name: ClassVar[str] = "trends.alerts"
    recipient_id: Id
    open: Annotated[int, Field(ge=0)]


EVENT_TYPES: tuple[type[Event], ...] = (
    ConversationCreated,
    MessageCreated,
    ConversationUpdated,
    MessageDeliveryChanged,
    ReadMarked,
    Typing,
    Viewing,
    PresenceChanged,
    SlaAlertsCreated,
    TrendAlertsRaised,
)
