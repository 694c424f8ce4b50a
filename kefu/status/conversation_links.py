"""Support conversations linked to a status-page incident, and the one reply to all of them.

Agents link conversations (any they can see) to an incident, and unlink them again; when it
is resolved, a supervisor or admin answers every linked conversation that is still open at
once: one reply each, through ``message_reply`` so each goes out on its own channel (chat,
email, Telegram, ...), optionally solving it. Each link, unlink and the bulk reply are
audited; each conversation's timeline shows them and its reply as usual. A link already
answered is skipped by a later bulk reply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.conversations.models import Conversation, Status, TimelineKind
from kefu.conversations.services import message_reply
from kefu.conversations.timeline import timeline_add
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import InvalidTransition, KefuError, PermissionDenied
from kefu.status.models import Incident, IncidentConversation, IncidentState

DONE_STATES = (IncidentState.RESOLVED, IncidentState.COMPLETED)


def _staff(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not user.is_agent:
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def incident_link_conversations(
    *, incident: Incident, conversations: Iterable[Conversation], actor: Actor
) -> int:
    """Link conversations (the caller checked the agent sees them) to ``incident``; the number
    newly linked. Idempotent: a conversation already linked is left as it is."""
    user = _staff(actor)
    linked = 0
    for conversation in conversations:
        try:
            with transaction.atomic():
                IncidentConversation.objects.create(
                    incident=incident,
                    conversation=conversation,
                    linked_by=user,
                    created_at=clock.now(),
                )
                timeline_add(
                    conversation.pk,
                    TimelineKind.INCIDENT,
                    actor,
                    data={"event": "linked", "incident": incident.pk, "title": incident.title_en},
                )
                audit_record(
                    actor=actor,
                    action="incident.conversation_linked",
                    object_type="incident",
                    object_id=incident.pk,
                    data={"conversation": conversation.pk},
                )
        except IntegrityError:
            continue  # already linked
        linked += 1
    return linked


def incident_unlink_conversation(
    *, incident: Incident, conversation: Conversation, actor: Actor
) -> bool:
    """Remove the link between ``conversation`` (the caller checked the agent sees it) and
    ``incident``: a later bulk reply no longer answers it. False (and nothing written) when it
    was not linked. Audited (``incident.conversation_unlinked``, with whether it had been
    answered) and on the conversation's timeline; the link's history stays there."""
    _staff(actor)
    with transaction.atomic():
        link = (
            IncidentConversation.objects.select_for_update()
            .filter(incident=incident, conversation=conversation)
            .first()
        )
        if link is None:
            return False
        answered = link.replied_at is not None
        link.delete()
        timeline_add(
            conversation.pk,
            TimelineKind.INCIDENT,
            actor,
            data={"event": "unlinked", "incident": incident.pk, "title": incident.title_en},
        )
        audit_record(
            actor=actor,
            action="incident.conversation_unlinked",
            object_type="incident",
            object_id=incident.pk,
            data={"conversation": conversation.pk, "answered": answered},
        )
    return True


@dataclass
class BulkReplyResult:
    replied: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # closed, solved or already answered
    failed: dict[int, str] = field(default_factory=dict)


def incident_reply_all(
    *, incident: Incident, body: str, solve: bool, actor: Actor
) -> BulkReplyResult:
    """Reply once to every open conversation linked to a resolved incident (supervisors and
    admins). Each reply is its own ``message_reply`` (own transaction, own channel, audited);
    a conversation that refuses (e.g. closed meanwhile) is reported and the rest still go.
    The secret guard refuses the text before anything is sent (same text for all)."""
    user = _staff(actor)
    if not permissions.can_manage_workspace(user):
        raise PermissionDenied(
            _("Only supervisors and admins can answer all linked conversations.")
        )
    if incident.state not in DONE_STATES:
        raise InvalidTransition(_("Reply to everyone once the incident is resolved."))
    from kefu.conversations.services import _clean_body, _outbound_guard

    body = _clean_body(body)
    _outbound_guard(body, "", actor)  # GuardBlocked before the first reply, not halfway
    result = BulkReplyResult()
    links = list(
        IncidentConversation.objects.filter(incident=incident)
        .select_related("conversation")
        .order_by("conversation_id")
    )
    for link in links:
        conversation = link.conversation
        if link.replied_at is not None or conversation.status in (Status.CLOSED, Status.SOLVED):
            result.skipped.append(conversation.pk)
            continue
        try:
            with transaction.atomic():
                # Claim the link first: two bulk replies at once answer each conversation once.
                claimed = IncidentConversation.objects.filter(
                    pk=link.pk, replied_at__isnull=True
                ).update(replied_at=clock.now())
                if not claimed:
                    result.skipped.append(conversation.pk)
                    continue
                message_reply(
                    conversation=conversation,
                    body=body,
                    actor=actor,
                    set_status=Status.SOLVED if solve else None,
                )
        except KefuError as exc:
            result.failed[conversation.pk] = exc.message
            continue
        result.replied.append(conversation.pk)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="incident.bulk_replied",
            object_type="incident",
            object_id=incident.pk,
            data={
                "replied": result.replied,
                "skipped": result.skipped,
                "failed": sorted(result.failed),
                "solve": solve,
            },
        )
    return result
