"""Merge a duplicate conversation into another of the same customer.

The source's messages stay where they are (their sequence numbers are what the customer's
clients hold) and are linked instead: the target gets an internal note with the source's
transcript and a ``merge`` timeline entry pointing at it; the source is closed with
``merged_into`` set and a ``merge`` entry pointing at the target. Both are audited. A new
message on the source's channel then joins the target (``message_receive`` skips closed ones).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.conversations.models import (
    Conversation,
    Message,
    MessageKind,
    Status,
    TimelineKind,
)
from kefu.conversations.timeline import timeline_add
from kefu.core.actor import Actor
from kefu.core.errors import InvalidTransition
from kefu.core.validation import field_error

TRANSCRIPT_MESSAGES = 30
TRANSCRIPT_CHARS = 500


def _transcript(source: Conversation) -> str:
    rows = list(
        Message.objects.filter(conversation=source, kind=MessageKind.REPLY).order_by(
            "created_at", "id"
        )[:TRANSCRIPT_MESSAGES]
    )
    lines = [
        _("Merged from %(ref)s “%(subject)s” (%(count)s messages):")
        % {"ref": source.reference, "subject": source.subject, "count": source.message_count}
    ]
    for message in rows:
        body = (
            message.body
            if len(message.body) <= TRANSCRIPT_CHARS
            else message.body[:TRANSCRIPT_CHARS] + "…"
        )
        lines.append(f"> [{message.created_at:%Y-%m-%d %H:%M}] {message.author_kind}: {body}")
    return "\n".join(lines)


def _entry(conversation: Conversation, actor: Actor, data: dict[str, object]) -> None:
    timeline_add(conversation.pk, TimelineKind.MERGE, actor, data=dict(data))


def conversation_merge(*, source: Conversation, target: Conversation, actor: Actor) -> Conversation:
    """Merge ``source`` into ``target`` (same customer, neither closed nor merged); return the
    target. Staff only; callers check the agent may see both (conversation_get_for_agent).

    Locks both rows in id order (no deadlock with a merge the other way round).
    """
    from kefu.conversations import services

    services._require_staff(actor)
    if source.pk == target.pk:
        raise field_error("target", _("Choose another conversation to merge into."))
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Conversation.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.contact_id != target.contact_id:
            raise field_error("target", _("Only conversations of the same customer can be merged."))
        if source.merged_into_id is not None or target.merged_into_id is not None:
            raise InvalidTransition(_("One of these conversations was already merged."))
        if source.status == Status.CLOSED or target.status == Status.CLOSED:
            raise InvalidTransition(_("Reopen a closed conversation before merging it."))
        note = services._add_message(
            target,
            kind=MessageKind.NOTE,
            body=_transcript(source),
            actor=actor,
            author_kind=services._author_kind(actor, None),
            channel=target.channel,
            files=(),
            external_id=None,
            index=True,
            metadata={"merged_from": source.pk},
        )
        _entry(target, actor, {"from": source.pk, "reference": source.reference, "note": note.pk})
        _entry(source, actor, {"into": target.pk, "reference": target.reference})
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        services._change_status(source, Status.CLOSED, actor)
        services._audit(
            source, "conversation.merged", actor, into=target.pk, messages=source.message_count
        )
        services._audit(target, "conversation.merged_into", actor, source=source.pk)
    return target
