"""Escalation tiers (L1 -> L2 senior -> L3 management), customers' escalation requests and
complaints (docs/subsystems/routing.md).

Agents escalate with ``conversations.services.conversation_escalate`` (a reason; tier + 1;
the tier's team from routing policy). Customers *ask*: ``escalation_request`` records a
pending request (one at a time, rate-limited, audited) that a supervisor or the L2 team
accepts (the conversation is escalated) or declines with a note the customer sees.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.conversations.models import (
    Conversation,
    ConversationType,
    Status,
    TimelineKind,
)
from kefu.conversations.timeline import timeline_add
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied, RateLimited
from kefu.core.validation import field_error
from kefu.realtime import events
from kefu.realtime.publish import publish
from kefu.routing.models import EscalationRequest, EscalationSource, EscalationState
from kefu.routing.services import policy_get

MAX_REASON = 2000
MAX_RESOLUTION = 10_000


def escalation_team(tier: int) -> Team | None:
    """The team that takes conversations escalated to ``tier`` (None: keep the team)."""
    policy = policy_get()
    if tier == 2:
        return policy.l2_team
    if tier >= 3:
        return policy.l3_team
    return None


def _timeline(conversation: Conversation, actor: Actor, data: dict[str, object]) -> None:
    timeline_add(conversation.pk, TimelineKind.ESCALATION, actor, data=dict(data))


def _publish(conversation: Conversation) -> None:
    publish(
        events.ConversationUpdated(
            conversation_id=conversation.pk,
            reason="tier",
            team_id=conversation.team_id,
            assignee_id=conversation.assignee_id,
            previous_team_id=conversation.team_id,
            previous_assignee_id=conversation.assignee_id,
            customer_visible=True,
        )
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise field_error("reason", _("Say why this needs escalating."))
    if len(reason) > MAX_REASON:
        raise field_error("reason", _("The reason is too long."))
    return reason


def escalation_available(conversation: Conversation, *, source: str = "") -> str:
    """Why the customer may not ask to escalate now ("" when they may). Used by the portal and
    the widget to show or hide the button, and by ``escalation_request`` to refuse."""
    if conversation.status == Status.CLOSED:
        return _("This conversation is closed.")
    if conversation.tier >= 3:
        return _("This conversation is already with our management team.")
    policy = policy_get()
    if source != EscalationSource.CSAT:
        waited = clock.now() - conversation.created_at
        if waited < timedelta(hours=policy.customer_escalation_after_hours):
            return _(
                "You can ask to escalate if your request is not solved within %(hours)d hours."
            ) % {"hours": policy.customer_escalation_after_hours}
    if EscalationRequest.objects.filter(
        conversation=conversation, state=EscalationState.PENDING
    ).exists():
        return _("Your escalation request is being reviewed.")
    cooldown = clock.now() - timedelta(hours=policy.customer_escalation_cooldown_hours)
    if EscalationRequest.objects.filter(
        conversation=conversation, created_at__gte=cooldown
    ).exists():
        return _("You asked recently; please wait before asking again.")
    return ""


def escalation_request(
    *,
    conversation: Conversation,
    reason: str,
    actor: Actor,
    source: str = EscalationSource.PORTAL,
) -> EscalationRequest:
    """Record a customer's request to escalate ``conversation`` (pending a staff decision).

    The customer must own the conversation; a system actor (the email link handler, the CSAT
    service after a negative rating) may ask on their behalf. Allowed once the conversation has
    waited the policy's hours unsolved, or at once with ``source="csat"``. One pending request
    at a time (Conflict), at most one per cooldown (RateLimited). Audited; staff hear it live.
    """
    if source not in EscalationSource.values:
        raise field_error("source", _("Unknown source."))
    if actor.kind == ActorKind.CUSTOMER:
        if actor.contact_id != conversation.contact_id:
            raise PermissionDenied(_("You do not have permission to do that."))
        if source == EscalationSource.CSAT:  # only the CSAT service vouches for a rating
            raise PermissionDenied(_("You do not have permission to do that."))
    elif actor.kind != ActorKind.SYSTEM:
        raise PermissionDenied(_("Only the customer can ask to escalate."))
    reason = _clean_reason(reason)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        refusal = escalation_available(conversation, source=source)
        if refusal:
            pending = EscalationRequest.objects.filter(
                conversation=conversation, state=EscalationState.PENDING
            ).exists()
            if pending:
                raise Conflict(refusal)
            if conversation.status == Status.CLOSED or conversation.tier >= 3:
                raise InvalidTransition(refusal)
            raise RateLimited(refusal)
        try:
            with transaction.atomic():
                request = EscalationRequest.objects.create(
                    conversation=conversation,
                    reason=reason,
                    source=source,
                    created_at=clock.now(),
                )
        except IntegrityError:  # a concurrent request won the one pending slot
            raise Conflict(_("Your escalation request is being reviewed.")) from None
        _timeline(
            conversation,
            actor,
            {"requested": True, "request": request.pk, "source": source, "reason": reason},
        )
        audit_record(
            actor=actor,
            action="escalation.requested",
            object_type="conversation",
            object_id=conversation.pk,
            data={"request": request.pk, "source": source},
        )
        _publish(conversation)
    return request


def _require_decider(actor: Actor, conversation: Conversation) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    # Senior agents (L2) and above decide: they are the ones who take the escalated work.
    if user is None or not user.is_agent or permissions.max_tier(user) < 2:
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def escalation_request_decide(
    *, request: EscalationRequest, accept: bool, note: str = "", actor: Actor
) -> EscalationRequest:
    """Accept (the conversation is escalated one tier with the customer's reason) or decline
    (``note`` is required and shown to the customer) a pending request. L2 agents and above.
    Accepting a request on a solved conversation reopens it first (audited and on the timeline
    as a status change), so the new tier's queue has it."""
    from kefu.conversations.services import conversation_escalate, conversation_set_status

    note = (note or "").strip()
    if not accept and len(note) < 3:
        raise field_error("note", _("Tell the customer why it is not escalated."))
    if len(note) > MAX_REASON:
        raise field_error("note", _("The note is too long."))
    with transaction.atomic():
        row = EscalationRequest.objects.select_for_update().get(pk=request.pk)
        conversation = Conversation.objects.get(pk=row.conversation_id)
        user = _require_decider(actor, conversation)
        if row.state != EscalationState.PENDING:
            raise InvalidTransition(_("This request was already decided."))
        if accept:
            if conversation.status == Status.SOLVED:
                # Asked after the solve (a negative rating, or a late request): the new tier
                # works on it again, so it must not stay solved (and then close unanswered).
                conversation = conversation_set_status(
                    conversation=conversation, status=Status.OPEN, actor=actor
                )
            conversation_escalate(
                conversation=conversation,
                reason=_("Customer asked: %(reason)s") % {"reason": row.reason},
                actor=actor,
            )
        row.state = EscalationState.ACCEPTED if accept else EscalationState.DECLINED
        row.decided_at = clock.now()
        row.decided_by = user
        row.decision_note = note
        row.save(update_fields=["state", "decided_at", "decided_by", "decision_note"])
        audit_record(
            actor=actor,
            action="escalation.accepted" if accept else "escalation.declined",
            object_type="conversation",
            object_id=conversation.pk,
            data={"request": row.pk},
        )
        if not accept:
            _timeline(conversation, actor, {"requested": True, "declined": True, "reason": note})
            _publish(conversation)
    return row


def escalation_requests_for_customer(
    conversation: Conversation, contact: Contact
) -> list[EscalationRequest]:
    """The customer's own requests on their own conversation (newest first)."""
    if conversation.contact_id != contact.pk:
        return []
    return list(EscalationRequest.objects.filter(conversation=conversation)[:10])


def escalation_state_for_customer(conversation: Conversation) -> dict[str, object]:
    """What the customer sees (widget, API): may they ask now (else why not) and the state
    of their latest request. The caller has checked that the conversation is theirs."""
    latest = EscalationRequest.objects.filter(conversation=conversation).first()
    refusal = escalation_available(conversation)
    return {
        "can_request": not refusal,
        "refusal": refusal,
        "latest": None
        if latest is None
        else {
            "state": latest.state,
            "state_label": str(latest.get_state_display()),
            "note": latest.decision_note,
            "created_at": latest.created_at.isoformat(),
        },
    }


# --- complaints ------------------------------------------------------------------------------


def complaint_resolve(*, conversation: Conversation, resolution: str, actor: Actor) -> Conversation:
    """Write the resolution of a complaint and mark it solved (agents). The customer sees the
    resolution; without one a complaint cannot be solved."""
    from kefu.conversations.services import conversation_set_status

    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.SYSTEM and (user is None or not user.is_agent):
        raise PermissionDenied(_("You do not have permission to do that."))
    resolution = (resolution or "").strip()
    if len(resolution) < 10:
        raise field_error("resolution", _("Write the resolution the customer will read."))
    if len(resolution) > MAX_RESOLUTION:
        raise field_error("resolution", _("The resolution is too long."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.conversation_type != ConversationType.COMPLAINT:
            raise InvalidTransition(_("Only complaints have a resolution."))
        old = conversation.resolution
        conversation.resolution = resolution
        conversation.save(update_fields=["resolution"])
        audit_record(
            actor=actor,
            action="complaint.resolved",
            object_type="conversation",
            object_id=conversation.pk,
            data={"chars": len(resolution), "rewritten": bool(old)},
        )
        if conversation.status != Status.SOLVED:
            conversation = conversation_set_status(
                conversation=conversation, status=Status.SOLVED, actor=actor
            )
    return conversation
