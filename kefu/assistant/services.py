"""Writes for the assistant acting in live chat: sessions, turns, hand-offs and outcomes.

Every function is keyword-only with an explicit actor, runs in one transaction, locks the
session row it changes and writes an audit row. Messages and notes go through the
conversations services (same sequence numbers, timeline, events and secret guard as any reply).
See docs/subsystems/assistant.md, "Acting in live chat".
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kefu.accounts.models import Team
from kefu.assistant.intents import INTENTS
from kefu.assistant.models import ANY, AssistantSession, HandoffRoute, Outcome
from kefu.audit.services import audit_record
from kefu.conversations import services as conversation_services
from kefu.conversations.models import Conversation, Message, Priority, Status
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import KefuError, PermissionDenied, ValidationFailed
from kefu.core.prepared import Prepared

if TYPE_CHECKING:
    from kefu.assistant.dialogue import Turn
    from kefu.inbox.models import ChatSite

IDLE_AFTER = timedelta(minutes=30)
IDLE_BATCH = 500


def _audit(session: AssistantSession, action: str, actor: Actor, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="assistant_session",
        object_id=session.pk,
        data={"conversation": session.conversation_id, **data},
    )


# One row at most (one session per conversation): no ORDER BY; read on every agent reply, so
# compiled once per connection (kefu.core.prepared).
_LOCKED = Prepared(
    lambda conversation_id: (
        AssistantSession.objects.select_for_update()
        .filter(conversation_id=conversation_id)
        .order_by()[:1]
    ),
    ids=1,
    name="assistant_session_lock",
)


def _lock(conversation_id: int) -> AssistantSession | None:
    rows = _LOCKED(conversation_id)
    return rows[0] if rows else None


def _close(session: AssistantSession, outcome: str, now: Any) -> None:
    session.active = False
    session.outcome = outcome
    session.outcome_at = now
    session.updated_at = now


# --- sessions ------------------------------------------------------------------------------


def assistant_session_start(*, conversation: Conversation, actor: Actor) -> AssistantSession:
    """Put the assistant in front of a new chat. Idempotent: one session per conversation."""
    now = clock.now()
    with transaction.atomic():
        session, created = AssistantSession.objects.get_or_create(
            conversation=conversation, defaults={"created_at": now, "updated_at": now}
        )
        if created:
            _audit(session, "assistant_session.started", actor)
    return session


def assistant_agent_took_over(*, conversation: Conversation, actor: Actor) -> bool:
    """Stop the assistant because an agent answered in person (outcome: handed off).

    Called by ``message_reply`` inside its transaction; a no-op (one query) when the assistant
    is not handling the conversation. Returns whether a session was stopped.
    """
    # No savepoint: an error here fails the caller's whole transaction anyway (it does not
    # catch it), and the savepoint was two more statements on every agent reply.
    with transaction.atomic(savepoint=False):
        session = _lock(conversation.pk)
        if session is None or not session.active:
            return False
        _close(session, Outcome.HANDED_OFF, clock.now())
        session.handoff_reason = "agent"
        session.save(
            update_fields=["active", "outcome", "outcome_at", "updated_at", "handoff_reason"]
        )
        _audit(session, "assistant_session.agent_took_over", actor, reason="agent")
    return True


# --- turns ---------------------------------------------------------------------------------


def _metadata(turn: Turn) -> dict[str, Any]:
    return {
        "actions": [{"label": b.label, "payload": b.payload} for b in turn.buttons],
        "citations": [{"title": c.title, "url": c.url} for c in turn.citations],
        "link": turn.link or "",
        "intent": turn.intent,
    }


def assistant_turn_record(
    *, message: Message, turn: Turn, site: ChatSite | None, actor: Actor
) -> Message | None:
    """Store the dialogue's new state and post its reply to the customer's ``message``.

    Hands the chat to people when the turn asks for it (``turn.handoff``) or the reply cannot
    be posted. Idempotent per customer message: under the session's lock, a message at or
    below ``last_message_id`` is skipped, so a retried job posts nothing. Returns the
    assistant's message (None when nothing was posted).
    """
    now = clock.now()
    with transaction.atomic():
        session = _lock(message.conversation_id)
        if session is None or not session.active:
            return None
        if session.last_message_id is not None and session.last_message_id >= message.pk:
            return None
        conversation = Conversation.objects.get(pk=message.conversation_id)
        session.state = dict(turn.state)
        session.turns += 1
        session.last_intent = turn.intent[:64]
        session.last_message_id = message.pk
        session.last_turn_at = now
        session.updated_at = now
        clarifying = any(b.payload.startswith("intent:") for b in turn.buttons)
        if clarifying:
            session.clarifications += 1
        session.save()
        data = {"message": message.pk, "intent": turn.intent, "confidence": turn.confidence}
        if conversation.status == Status.CLOSED:
            _close(session, Outcome.ABANDONED, now)
            session.save()
            _audit(session, "assistant_session.abandoned", actor, **data, reason="closed")
            return None
        if turn.handoff is not None:
            _audit(session, "assistant.turn", actor, **data, handoff=turn.handoff.reason)
            return _handoff(
                session,
                conversation,
                site=site,
                intent=turn.handoff.intent or turn.intent,
                language=turn.handoff.language or turn.language,
                urgent=turn.handoff.urgent,
                summary=turn.handoff.summary,
                reason=turn.handoff.reason,
                lead_text=turn.text,
                actor=actor,
            )
        reply = None
        if turn.text:
            try:
                with transaction.atomic():
                    reply = conversation_services.message_reply(
                        conversation=conversation,
                        body=turn.text,
                        actor=actor,
                        metadata=_metadata(turn),
                    )
            except KefuError as exc:  # e.g. the secret guard refused the text: people take over
                _audit(session, "assistant.turn", actor, **data, refused=type(exc).__name__)
                with translation.override(settings.LANGUAGE_CODE):  # for staff
                    refused = _("The assistant's answer could not be sent (%(error)s).") % {
                        "error": type(exc).__name__
                    }
                return _handoff(
                    session,
                    conversation,
                    site=site,
                    intent=turn.intent,
                    language=turn.language,
                    urgent=False,
                    summary=refused,
                    reason="reply_refused",
                    lead_text="",
                    actor=actor,
                )
            if not clarifying:
                session.answered = True
        if turn.outcome == Outcome.RESOLVED:
            _close(session, Outcome.RESOLVED, now)
            _solve(conversation, actor)
        session.save()
        _audit(
            session,
            "assistant.turn",
            actor,
            **data,
            reply=reply.pk if reply else None,
            outcome=session.outcome,
        )
    return reply


def _solve(conversation: Conversation, actor: Actor) -> None:
    """Mark the conversation solved (it leaves the agents' open queues; a new customer
    message reopens it and goes to a person)."""
    conversation.refresh_from_db(fields=["status"])
    if conversation.status in (Status.NEW, Status.OPEN, Status.PENDING):
        conversation_services.conversation_set_status(
            conversation=conversation, status=Status.SOLVED, actor=actor
        )


# --- hand-off ------------------------------------------------------------------------------


def handoff_team(intent: str, language: str) -> Team | None:
    """The team for a hand-off: the most specific ``HandoffRoute`` (intent beats language)."""
    rows = HandoffRoute.objects.select_related("team").filter(
        intent__in=[intent, ANY], language__in=[language, ANY]
    )
    best = max(rows, key=lambda r: (r.intent != ANY, r.language != ANY), default=None)
    return best.team if best is not None else None


def site_of(conversation: Conversation) -> ChatSite | None:
    """The chat site the conversation's visitor wrote from (None outside live chat)."""
    from kefu.inbox.models import ChatVisitor

    visitor = (
        ChatVisitor.objects.select_related("site__team")
        .filter(contact_id=conversation.contact_id)
        .order_by("-last_seen_at", "-pk")
        .first()
    )
    return visitor.site if visitor is not None else None


def wait_text(*, agent_name: str, service: dict[str, Any] | None, passed: bool) -> str:
    """What the customer is told after a hand-off, in the active language. ``passed``: say
    that the chat was handed over (when the dialogue's own text did not already)."""
    if agent_name:
        wait = _("%(name)s will reply here shortly.") % {"name": agent_name}
    elif service is None or service.get("expected_wait_seconds") is None:
        wait = _(
            "Nobody is available right now: we will reply here, or by email if you leave, "
            "as soon as we can."
        )
    else:
        minutes = max(1, round(service["expected_wait_seconds"] / 60))
        wait = ngettext(
            "Expected wait: about %(minutes)d minute.",
            "Expected wait: about %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if not passed:
        return wait
    return _("I have passed your conversation to our support team.") + " " + wait


def _note_body(
    *, intent: str, language: str, urgent: bool, reason: str, summary: str, turns: int
) -> str:
    lines = [
        "**" + _("Assistant hand-off summary") + "**",
        "",
        summary.strip() or _("(no summary)"),
        "",
        _("Intent: %(intent)s") % {"intent": intent},
        _("Language: %(language)s") % {"language": language},
        _("Reason: %(reason)s") % {"reason": reason},
        _("Assistant turns: %(turns)d") % {"turns": turns},
    ]
    if urgent:
        lines.append(_("Urgent: yes"))
    return "\n".join(lines)


def _handoff(
    session: AssistantSession,
    conversation: Conversation,
    *,
    site: ChatSite | None,
    intent: str,
    language: str,
    urgent: bool,
    summary: str,
    reason: str,
    lead_text: str,
    actor: Actor,
) -> Message | None:
    """The caller holds the session's lock inside a transaction."""
    from kefu.inbox.adapters.webchat.availability import availability
    from kefu.inbox.adapters.webchat.services import assign_new_chat
    from kefu.realtime.payloads import agent_public_name

    now = clock.now()
    site = site if site is not None else site_of(conversation)
    from kefu.routing.services import handoff_route

    # Routing rules (team and priority raise), then hand-off routes, then the site's team.
    team = handoff_route(
        conversation=conversation,
        intent=intent,
        fallback=site.team if site is not None and site.team_id else conversation.team,
        actor=actor,
    )
    conversation.refresh_from_db()
    if urgent:
        conversation_services.conversation_set_priority(
            conversation=conversation, priority=Priority.URGENT, actor=actor
        )
    with translation.override(settings.LANGUAGE_CODE):  # staff text: the site's language
        note_body = _note_body(
            intent=intent,
            language=language,
            urgent=urgent,
            reason=reason,
            summary=summary,
            turns=session.turns,
        )
    note = conversation_services.note_add(
        conversation=conversation,
        body=note_body,
        actor=actor,
        metadata={"pinned": True, "assistant_handoff": {"reason": reason, "intent": intent}},
    )
    _close(session, Outcome.HANDED_OFF, now)
    session.handoff_reason = reason[:32]
    session.handoff_summary = summary
    session.save()
    _audit(
        session,
        "assistant_session.handed_off",
        actor,
        reason=reason,
        intent=intent,
        team=team.pk if team is not None else None,
        urgent=urgent,
        note=note.pk,
    )
    conversation.refresh_from_db()
    # The same rule as a new chat: an online agent of the team with room, least loaded first.
    agent = assign_new_chat(conversation) if conversation.assignee_id is None else None
    conversation.refresh_from_db()
    if conversation.status == Status.CLOSED:
        return None
    lang = "zh-hans" if language.startswith("zh") else "en"
    with translation.override(lang):
        service = availability(site, lang, team=team) if site is not None else None
        told = wait_text(
            agent_name=agent_public_name(agent) if agent else "",
            service=service,
            passed=not lead_text.strip(),
        )
    body = f"{lead_text.strip()}\n\n{told}" if lead_text.strip() else told
    wait = service.get("expected_wait_seconds") if service else None
    return conversation_services.message_reply(
        conversation=conversation,
        body=body,
        actor=actor,
        metadata={"handoff": {"expected_wait_seconds": wait, "agent": bool(agent)}},
    )


def assistant_handoff(
    *,
    conversation: Conversation,
    intent: str,
    language: str,
    urgent: bool,
    summary: str,
    reason: str,
    site: ChatSite | None = None,
    actor: Actor,
) -> Message | None:
    """Hand a chat the assistant handled (or closed) to people: team by ``HandoffRoute``,
    urgent priority when asked, the summary as an internal note, the session closed, an online
    agent of the team assigned when one has room, and the customer told the expected wait.

    Idempotent: a conversation already handed off is left alone (returns None).
    """
    with transaction.atomic():
        session = _lock(conversation.pk)
        if session is None or session.outcome == Outcome.HANDED_OFF:
            return None
        conversation = Conversation.objects.get(pk=conversation.pk)
        return _handoff(
            session,
            conversation,
            site=site,
            intent=intent,
            language=language,
            urgent=urgent,
            summary=summary,
            reason=reason,
            lead_text="",
            actor=actor,
        )


# --- outcomes ------------------------------------------------------------------------------


def assistant_sessions_close_idle(
    *, idle: timedelta = IDLE_AFTER, limit: int = IDLE_BATCH, actor: Actor
) -> dict[str, int]:
    """Close sessions whose chat has been quiet for ``idle``: resolved when the assistant had
    answered (the customer did not come back), abandoned when it never did.

    Bounded per run; each session is re-checked under its lock, so overlapping runs are safe.
    """
    cutoff = clock.now() - idle
    ids = list(
        AssistantSession.objects.filter(
            active=True, updated_at__lt=cutoff, conversation__last_activity_at__lt=cutoff
        )
        .order_by("updated_at")
        .values_list("conversation_id", flat=True)[:limit]
    )
    counts = {Outcome.RESOLVED.value: 0, Outcome.ABANDONED.value: 0}
    for conversation_id in ids:
        with transaction.atomic():
            session = _lock(conversation_id)
            if session is None or not session.active:
                continue
            conversation = Conversation.objects.get(pk=conversation_id)
            if conversation.last_activity_at >= cutoff or session.updated_at >= cutoff:
                continue
            outcome = Outcome.RESOLVED if session.answered else Outcome.ABANDONED
            _close(session, outcome, clock.now())
            session.save()
            _audit(session, f"assistant_session.{outcome}", actor, reason="idle")
            if outcome == Outcome.RESOLVED:
                _solve(conversation, actor)
            counts[outcome.value] += 1
    return counts


# --- hand-off routes (policy edited by admins) ---------------------------------------------


def _require_admin(actor: Actor) -> None:
    from kefu.accounts import permissions
    from kefu.accounts.models import User

    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    # Routing chats to teams is workspace policy: the same people who manage teams.
    if user is None or not (user.is_superuser or permissions.can_manage_workspace(user)):
        raise PermissionDenied(_("You do not have permission to do that."))


def handoff_route_save(
    *, route: HandoffRoute | None = None, intent: str, language: str, team: Team, actor: Actor
) -> HandoffRoute:
    """Create or change a hand-off route (supervisors and admins). The intent must be one the
    assistant knows (or ``*``), the language ``en``, ``zh-hans`` or ``*``, the team must exist,
    and there is at most one route per (intent, language)."""
    _require_admin(actor)
    intent = (intent or ANY).strip() or ANY
    language = (language or ANY).strip().lower() or ANY
    fields: dict[str, list[str]] = {}
    if intent not in ROUTE_INTENTS:
        fields["intent"] = [_("Choose one of the assistant's intents, or * for any.")]
    if language not in ROUTE_LANGUAGES:
        fields["language"] = [_("Choose en, zh-hans, or * for any.")]
    if team is None or team.pk is None or not Team.objects.filter(pk=team.pk).exists():
        fields["team"] = [_("Choose an existing team.")]
    if fields:
        raise ValidationFailed(_("Check the hand-off route."), fields=fields)
    with transaction.atomic():
        created = route is None
        route = (
            HandoffRoute()
            if route is None
            else HandoffRoute.objects.select_for_update().get(pk=route.pk)
        )
        clash = HandoffRoute.objects.filter(intent=intent, language=language)
        if route.pk is not None:
            clash = clash.exclude(pk=route.pk)
        if clash.exists():
            message = _(
                "There is already a route for intent %(intent)s and language %(language)s: "
                "edit that one instead."
            ) % {"intent": intent, "language": language}
            raise ValidationFailed(message, fields={"intent": [message]})
        route.intent = intent
        route.language = language
        route.team = team
        route.save()
        audit_record(
            actor=actor,
            action="assistant_route.created" if created else "assistant_route.updated",
            object_type="assistant_route",
            object_id=route.pk,
            data={"intent": route.intent, "language": route.language, "team": team.pk},
        )
    return route


def handoff_route_delete(*, route: HandoffRoute, actor: Actor) -> None:
    """Delete a hand-off route (supervisors and admins)."""
    _require_admin(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="assistant_route.deleted",
            object_type="assistant_route",
            object_id=route.pk,
            data={"intent": route.intent, "language": route.language, "team": route.team_id},
        )
        route.delete()


# --- hand-off routes: what the back office shows -------------------------------------------

ROUTE_INTENTS: tuple[str, ...] = (ANY, *INTENTS)
ROUTE_LANGUAGES: tuple[str, ...] = (ANY, "en", "zh-hans")


def handoff_route_list() -> list[HandoffRoute]:
    """Every hand-off route with its team, most general first within an intent."""
    return list(HandoffRoute.objects.select_related("team").order_by("intent", "language"))


def handoff_route_matrix(routes: list[HandoffRoute]) -> list[tuple[str, list[HandoffRoute | None]]]:
    """For each intent, the route that wins for each concrete language (``en``, ``zh-hans``),
    or None when no route matches (the chat site's own team takes the hand-off). Same rule as
    ``handoff_team``, computed from ``routes`` without further queries."""
    languages = [code for code in ROUTE_LANGUAGES if code != ANY]
    rows: list[tuple[str, list[HandoffRoute | None]]] = []
    for intent in INTENTS:
        cells: list[HandoffRoute | None] = []
        for language in languages:
            matches = [
                r for r in routes if r.intent in (intent, ANY) and r.language in (language, ANY)
            ]
            cells.append(
                max(matches, key=lambda r: (r.intent != ANY, r.language != ANY), default=None)
            )
        rows.append((intent, cells))
    return rows
