"""What goes into a transcript, read through the conversation selectors.

A customer gets only their own conversations and only public replies; an agent gets what their
role lets them open, and the internal notes only when they ask for the internal copy. A denied
read raises NotFound, as everywhere else.
"""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, TimelineKind
from kefu.conversations.selectors import (
    conversation_get_for_agent,
    conversation_get_for_customer,
    messages_for_agent,
    messages_for_customer,
)
from kefu.transcripts.build import Audience, StatusChange, TranscriptSource


def _status_changes(conversation: Conversation) -> list[StatusChange]:
    """Public status changes only: the customer sees them on the portal too."""
    rows = conversation.timeline.filter(kind=TimelineKind.STATUS, public=True).order_by(
        "created_at", "id"
    )
    return [
        StatusChange(
            old=str(row.data.get("from", "")), new=str(row.data.get("to", "")), at=row.created_at
        )
        for row in rows
    ]


def transcript_source_for_customer(*, contact: Contact, pk: int) -> TranscriptSource:
    """``contact``'s own conversation with its public replies (never an internal note)."""
    conversation = conversation_get_for_customer(contact=contact, pk=pk)
    return source_for_audience(conversation, Audience.CUSTOMER)


def transcript_source_for_agent(*, user: User, pk: int, audience: Audience) -> TranscriptSource:
    """A conversation ``user`` may open, as the customer sees it or with internal notes."""
    conversation = conversation_get_for_agent(user=user, pk=pk)
    return source_for_audience(conversation, audience)


def source_for_audience(conversation: Conversation, audience: Audience) -> TranscriptSource:
    """The messages of an already permitted ``conversation`` that ``audience`` may read."""
    if audience == Audience.INTERNAL:
        messages = list(messages_for_agent(conversation).order_by("created_at", "id"))
    else:
        messages = messages_for_customer(conversation)
    return TranscriptSource(
        conversation=conversation,
        messages=messages,
        status_changes=_status_changes(conversation),
        audience=audience,
    )
