"""Routing writes: which team a conversation goes to, which agent gets it, re-offers, and the
waiting queue served when agents come online or free capacity (docs/subsystems/routing.md).

Decisions are made by the pure functions in ``kefu.routing.selection``; these functions gather
the facts, lock what they change and write through the conversations services (which record
the timeline, audit and real-time events)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User, UserKind
from kefu.audit.services import audit_record
from kefu.conversations.models import Category, Channel, Conversation, Status
from kefu.core import clock, policy_cache
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied
from kefu.core.validation import field_error
from kefu.routing import selection
from kefu.routing.models import AgentRoutingProfile, Offer, RoutingPolicy, RoutingRule

OPEN_STATUSES = (Status.NEW, Status.OPEN)
WAITING_BATCH = 50
REOFFER_BATCH = 50
CLAIM_SECONDS = 60


# --- policy ----------------------------------------------------------------------------------


def policy_get() -> RoutingPolicy:
    """The routing policy row, created with the defaults on first read (a copy of the
    per-process cached row, ADR 0028)."""
    cached = policy_cache.cached("routing.policy", _policy_load)
    if cached is not None:
        return copy.copy(cached)
    # Not cached: a loader never writes (the entry is tagged with the token read before it).
    policy, _created = RoutingPolicy.objects.get_or_create(
        pk=1, defaults={"auto_assign_channels": [Channel.CHAT.value]}
    )
    return policy


def _policy_load() -> RoutingPolicy | None:
    return RoutingPolicy.objects.filter(pk=1).first()


def _require_manager(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if user is None or not (user.is_superuser or permissions.can_manage_workspace(user)):
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def _clean_codes(values: Iterable[Any], allowed: Iterable[Any] | None, field: str) -> list[Any]:
    out = list(dict.fromkeys(v for v in values if v not in ("", None)))
    if allowed is not None:
        allowed_set = set(allowed)
        bad = [v for v in out if v not in allowed_set]
        if bad:
            raise field_error(field, _("Unknown value: %(value)s.") % {"value": bad[0]})
    return out


def routing_rule_save(
    *,
    rule: RoutingRule | None = None,
    name: str,
    position: int,
    team: Team,
    intents: Sequence[str] = (),
    languages: Sequence[str] = (),
    channels: Sequence[str] = (),
    vip_tiers: Sequence[int] = (),
    conversation_types: Sequence[str] = (),
    priority: int | None = None,
    active: bool = True,
    actor: Actor,
) -> RoutingRule:
    """Create or update a routing rule (supervisors and admins). Audited with the change."""
    from kefu.assistant.intents import INTENTS
    from kefu.contacts.models import VipTier
    from kefu.conversations.models import ConversationType, Priority

    _require_manager(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise field_error("name", _("Give the rule a short name."))
    values = {
        "name": name,
        "position": int(position),
        "team": team,
        "intents": _clean_codes(intents, [*Category.values, *INTENTS], "intents"),
        "languages": _clean_codes([v.lower() for v in languages], None, "languages"),
        "channels": _clean_codes(channels, Channel.values, "channels"),
        "vip_tiers": _clean_codes([int(v) for v in vip_tiers], VipTier.values, "vip_tiers"),
        "conversation_types": _clean_codes(
            conversation_types, ConversationType.values, "conversation_types"
        ),
        "priority": priority if priority in Priority.values else None,
        "active": bool(active),
    }
    with transaction.atomic():
        created = rule is None
        row = (
            RoutingRule()
            if rule is None
            else RoutingRule.objects.select_for_update().get(pk=rule.pk)
        )
        for key, value in values.items():
            setattr(row, key, value)
        row.save()
        data = {k: (v.pk if isinstance(v, Team) else v) for k, v in values.items()}
        audit_record(
            actor=actor,
            action="routing_rule.created" if created else "routing_rule.updated",
            object_type="routing_rule",
            object_id=row.pk,
            data=data,
        )
    return row


def routing_rule_delete(*, rule: RoutingRule, actor: Actor) -> None:
    """Delete a routing rule (supervisors and admins). Audited."""
    _require_manager(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="routing_rule.deleted",
            object_type="routing_rule",
            object_id=rule.pk,
            data={"name": rule.name, "team": rule.team_id},
        )
        RoutingRule.objects.filter(pk=rule.pk).delete()


def routing_policy_save(*, actor: Actor, **values: Any) -> RoutingPolicy:
    """Change the routing policy (supervisors and admins). Audited with old and new values."""
    _require_manager(actor)
    allowed = {
        "auto_assign_channels",
        "reoffer_after_seconds",
        "l2_team",
        "l3_team",
        "customer_escalation_after_hours",
        "customer_escalation_cooldown_hours",
    }
    unknown = set(values) - allowed
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown setting."))
    if "auto_assign_channels" in values:
        values["auto_assign_channels"] = _clean_codes(
            values["auto_assign_channels"], Channel.values, "auto_assign_channels"
        )
    with transaction.atomic():
        policy_get()
        policy = RoutingPolicy.objects.select_for_update().get(pk=1)
        changes: dict[str, list[Any]] = {}
        for key, value in values.items():
            old = getattr(policy, key)
            if old != value:
                changes[key] = [
                    old.pk if isinstance(old, Team) else old,
                    value.pk if isinstance(value, Team) else value,
                ]
                setattr(policy, key, value)
        if changes:
            policy.save()
            audit_record(
                actor=actor,
                action="routing_policy.updated",
                object_type="routing_policy",
                object_id=1,
                data=changes,
            )
    return policy


# --- which team ------------------------------------------------------------------------------


def rule_matches(
    rule: RoutingRule,
    *,
    intents: set[str],
    language: str,
    channel: str,
    vip_tier: int,
    conversation_type: str,
) -> bool:
    """Every non-empty condition of ``rule`` holds (an empty list matches anything)."""
    language = language.lower()
    return (
        (not rule.intents or bool(intents & set(rule.intents)))
        and (not rule.languages or selection.speaks(frozenset(rule.languages), language))
        and (not rule.channels or channel in rule.channels)
        and (not rule.vip_tiers or vip_tier in rule.vip_tiers)
        and (not rule.conversation_types or conversation_type in rule.conversation_types)
    )


def rule_for(conversation: Conversation, *, intent: str = "") -> RoutingRule | None:
    """The first active rule (by position) that matches the conversation."""
    intents = {conversation.category, *([intent] if intent else [])}
    vip = conversation.contact.vip_tier if conversation.contact_id else 0
    for rule in policy_cache.cached("routing.rules", _active_rules):
        if rule_matches(
            rule,
            intents=intents,
            language=conversation.language,
            channel=conversation.channel,
            vip_tier=vip,
            conversation_type=conversation.conversation_type,
        ):
            # A copy: its team is loaded fresh (a team is not a policy row) and never cached.
            return copy.copy(rule)
    return None


def _active_rules() -> tuple[RoutingRule, ...]:
    return tuple(RoutingRule.objects.filter(active=True))


def team_for(conversation: Conversation, *, intent: str = "") -> Team | None:
    """The team routing policy picks: the first matching rule; on an assistant hand-off (an
    intent is given) the assistant's hand-off routes come next (ADR 0020); else None."""
    rule = rule_for(conversation, intent=intent)
    if rule is not None:
        return rule.team
    if intent:
        from kefu.assistant.services import handoff_team

        return handoff_team(intent, conversation.language)
    return None


def _raise_priority(
    conversation: Conversation, rule: RoutingRule | None, actor: Actor
) -> Conversation:
    """The rule's "raise priority to" (never lowers it)."""
    from kefu.conversations import services as conversation_services

    if rule is not None and rule.priority is not None and rule.priority > conversation.priority:
        return conversation_services.conversation_set_priority(
            conversation=conversation, priority=rule.priority, actor=actor
        )
    return conversation


def route_conversation(
    *, conversation: Conversation, actor: Actor, intent: str = "", assign: bool = True
) -> Conversation:
    """Apply routing policy: move the conversation to the matching rule's team (raising its
    priority when the rule says so), then assign it to an agent of that team when its channel
    is assigned automatically and ``assign`` is set.

    Called on creation (all channels). A conversation no rule matches keeps its team. Safe to
    repeat: nothing changes when the team is already right."""
    from kefu.conversations import services as conversation_services

    rule = rule_for(conversation, intent=intent)
    team: Team | None = rule.team if rule is not None else None
    if team is None and intent:
        from kefu.assistant.services import handoff_team

        team = handoff_team(intent, conversation.language)
    with transaction.atomic():
        if team is not None and team.pk != conversation.team_id:
            conversation = conversation_services.conversation_set_team(
                conversation=conversation, team=team, actor=actor
            )
        conversation = _raise_priority(conversation, rule, actor)
        if assign and conversation.assignee_id is None:
            assign_conversation(conversation=conversation, actor=actor)
    conversation.refresh_from_db()
    return conversation


def handoff_route(
    *, conversation: Conversation, intent: str, fallback: Team | None, actor: Actor
) -> Team | None:
    """Route an assistant hand-off (no assignment: the chat pipeline assigns): the first
    matching rule's team **and its priority raise**, else the assistant's hand-off routes,
    else ``fallback`` (the chat site's team). Returns the team. The caller holds a
    transaction."""
    from kefu.conversations import services as conversation_services

    rule = rule_for(conversation, intent=intent)
    team = rule.team if rule is not None else None
    if team is None and intent:
        from kefu.assistant.services import handoff_team

        team = handoff_team(intent, conversation.language)
    if team is None:
        team = fallback
    conversation = conversation_services.conversation_set_team(
        conversation=conversation, team=team, actor=actor
    )
    conversation = _raise_priority(conversation, rule, actor)
    # The SLA policy may select on the intent the assistant recognised (its session holds it):
    # re-match now even when neither the team nor the priority changed. The row is locked
    # (conversation_set_team) for the rest of the caller's transaction.
    from kefu.sla.services import sla_on_event

    sla_on_event(conversation=conversation, event="attributes_changed")
    return team


# --- which agent -----------------------------------------------------------------------------


def _online_agents(team_id: int | None) -> list[User]:
    from kefu.accounts.services import agents_online

    return agents_online(team_id)


def agent_load(agent_ids: Sequence[int], channels: Sequence[str]) -> dict[int, int]:
    """Open conversations (new or open) of the automatically assigned channels per agent."""
    rows = (
        Conversation.objects.filter(
            assignee_id__in=list(agent_ids), channel__in=list(channels), status__in=OPEN_STATUSES
        )
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    load = dict.fromkeys(agent_ids, 0)
    load.update({r["assignee_id"]: r["n"] for r in rows})
    return load


def candidates_for(team_id: int | None, channels: Sequence[str]) -> list[selection.Candidate]:
    """The online agents of a team (every online agent without a team) as Candidates."""
    agents = _online_agents(team_id)
    load = agent_load([a.pk for a in agents], channels)
    profiles = {p.user_id: p for p in AgentRoutingProfile.objects.filter(user__in=agents)}
    out = []
    for agent in agents:
        profile = profiles.get(agent.pk)
        out.append(
            selection.Candidate(
                agent_id=agent.pk,
                online=True,
                languages=frozenset(profile.languages if profile else ()),
                capacity=agent.chat_capacity,
                load=load[agent.pk],
                max_tier=permissions.max_tier(agent),
                last_assigned_at=profile.last_assigned_at if profile else None,
            )
        )
    return out


def _need(conversation: Conversation, exclude: Iterable[int] = ()) -> selection.Need:
    return selection.Need(
        language=conversation.language, tier=conversation.tier, exclude=frozenset(exclude)
    )


def assign_conversation(
    *, conversation: Conversation, actor: Actor, exclude: Iterable[int] = ()
) -> User | None:
    """Give an unassigned open conversation to the best online agent of its team (or None).

    The chosen agent's routing profile is locked and their load recounted before assigning,
    so two concurrent assignments never take an agent over capacity."""
    from kefu.conversations import services as conversation_services

    channels = policy_get().auto_assign_channels
    excluded = set(exclude)
    for _attempt in range(5):
        with transaction.atomic():
            current = Conversation.objects.select_for_update().get(pk=conversation.pk)
            if (
                current.assignee_id is not None
                or current.status not in OPEN_STATUSES
                or current.channel not in channels
            ):
                return None
            need = _need(current, excluded)
            agent_id = selection.select_agent(need, candidates_for(current.team_id, channels))
            if agent_id is None:
                return None
            profile, _created = AgentRoutingProfile.objects.get_or_create(user_id=agent_id)
            profile = AgentRoutingProfile.objects.select_for_update().get(pk=profile.pk)
            agent = User.objects.get(pk=agent_id)
            if agent_load([agent_id], channels)[agent_id] >= agent.chat_capacity:
                excluded.add(agent_id)  # filled up meanwhile: try the next one
                continue
            now = clock.now()
            conversation_services.conversation_assign(
                conversation=current, assignee=agent, actor=actor
            )
            profile.last_assigned_at = now
            profile.save(update_fields=["last_assigned_at"])
            previous = Offer.objects.filter(conversation=current).first()
            declined = list(previous.declined_by) if previous else []
            Offer.objects.update_or_create(
                conversation=current,
                defaults={
                    "agent": agent,
                    "offered_at": now,
                    "declined_by": declined,
                    "claimed_until": None,
                },
            )
            return agent
    return None


def _waiting(team_id: int | None, channels: Sequence[str]) -> list[Conversation]:
    team = Q(team__isnull=True) if team_id is None else Q(team_id=team_id)
    qs = (
        Conversation.objects.filter(
            team,
            assignee__isnull=True,
            status__in=OPEN_STATUSES,
            channel__in=list(channels),
        )
        # A chat the assistant is still answering is not waiting for a person.
        .exclude(assistant_session__active=True)
        .select_related("contact")
        # The batch is taken in queue order (selection.queue_order: VIP tier, priority, longest
        # wait), so a VIP behind more than a batch of older conversations is still served first.
        .order_by(F("contact__vip_tier").desc(nulls_last=True), "-priority", "created_at", "id")[
            :WAITING_BATCH
        ]
    )
    return list(qs)


def declined_by(conversation_id: int) -> list[int]:
    """The agents this conversation was re-offered away from (not offered it again)."""
    offer = Offer.objects.filter(conversation_id=conversation_id).first()
    return list(offer.declined_by) if offer else []


def assign_waiting(*, team_ids: Iterable[int | None], actor: Actor) -> int:
    """Serve the waiting queues of ``team_ids`` (VIP first, then priority, then the longest
    wait) while someone can take them. Returns how many were assigned. Bounded per call."""
    channels = policy_get().auto_assign_channels
    assigned = 0
    for team_id in dict.fromkeys(team_ids):
        if not _online_agents(team_id):
            continue  # nobody to offer to: skip the queue (the periodic job runs often)
        waiting = {c.pk: c for c in _waiting(team_id, channels)}
        order = selection.queue_order(
            [
                selection.Waiting(
                    conversation_id=c.pk,
                    vip_tier=c.contact.vip_tier,
                    priority=c.priority,
                    waiting_since=c.created_at,
                )
                for c in waiting.values()
            ]
        )
        for item in order:
            conversation = waiting[item.conversation_id]
            if assign_conversation(
                conversation=conversation, actor=actor, exclude=declined_by(conversation.pk)
            ):
                assigned += 1
    return assigned


def assign_waiting_for_agent(*, agent_id: int, actor: Actor) -> int:
    """An agent came online or freed capacity: serve the queues of their teams, then the
    queue of conversations without a team (every online agent may take those)."""
    team_ids = list(Team.objects.filter(members=agent_id).values_list("pk", flat=True))
    return assign_waiting(team_ids=[*team_ids, None], actor=actor)


# --- re-offer --------------------------------------------------------------------------------


def _answered(offer: Offer) -> bool:
    from kefu.conversations.models import AuthorKind, Message

    return Message.objects.filter(
        conversation_id=offer.conversation_id,
        author_kind=AuthorKind.AGENT,
        created_at__gte=offer.offered_at,
    ).exists()


def claim_offer(offer: Offer, now: Any) -> bool:
    """Take the re-offer of ``offer`` for CLAIM_SECONDS (a conditional UPDATE: only one
    worker wins)."""
    return (
        Offer.objects.filter(pk=offer.pk, offered_at=offer.offered_at, agent_id=offer.agent_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        == 1
    )


def reoffer_stale(*, actor: Actor, limit: int = REOFFER_BATCH) -> int:
    """Take conversations back from agents who have not answered within the policy's time and
    offer them to another agent of the team (or leave them waiting in the queue).

    Each offer is claimed atomically first, so overlapping runs never re-offer twice."""
    from kefu.conversations import services as conversation_services

    policy = policy_get()
    now = clock.now()
    cutoff = now - timedelta(seconds=policy.reoffer_after_seconds)
    stale = list(
        Offer.objects.filter(offered_at__lt=cutoff)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("offered_at")[:limit]
    )
    moved = 0
    for offer in stale:
        if not claim_offer(offer, now):
            continue
        conversation = Conversation.objects.filter(pk=offer.conversation_id).first()
        if (
            conversation is None
            or conversation.assignee_id != offer.agent_id
            or conversation.status not in OPEN_STATUSES
            or _answered(offer)
        ):
            Offer.objects.filter(pk=offer.pk).delete()  # answered or moved on: nothing to do
            continue
        with transaction.atomic():
            declined = [*offer.declined_by, offer.agent_id]
            Offer.objects.filter(pk=offer.pk).update(declined_by=declined)
            conversation_services.conversation_assign(
                conversation=conversation, assignee=None, actor=actor
            )
            audit_record(
                actor=actor,
                action="conversation.reoffered",
                object_type="conversation",
                object_id=conversation.pk,
                data={"from": offer.agent_id, "waited_seconds": policy.reoffer_after_seconds},
            )
        conversation.refresh_from_db()
        assign_conversation(conversation=conversation, actor=actor, exclude=declined)
        moved += 1
    return moved


def on_agent_freed(*, agent_id: int | None) -> None:
    """Schedule serving the queues of ``agent_id``'s teams after commit (a conversation of
    theirs was solved, or they came online)."""
    if agent_id is None:
        return
    from kefu.core.jobs import enqueue_on_commit
    from kefu.routing.tasks import assign_waiting_for_agent_task

    enqueue_on_commit(assign_waiting_for_agent_task, agent_id=agent_id)


def on_conversation_waiting(*, conversation_id: int) -> None:
    """Offer this conversation to an agent after commit (it lost its agent on escalation)."""
    from kefu.core.jobs import enqueue_on_commit
    from kefu.routing.tasks import assign_conversation_task

    enqueue_on_commit(assign_conversation_task, conversation_id=conversation_id)


def agent_languages_set(*, user: User, languages: Sequence[str], actor: Actor) -> None:
    """Set an agent's language skills (supervisors and admins, or the agent themself)."""
    acting = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.SYSTEM and (
        acting is None or not (acting.pk == user.pk or permissions.can_manage_staff(acting))
    ):
        raise PermissionDenied(_("You do not have permission to do that."))
    if user.kind != UserKind.STAFF:
        raise field_error("languages", _("Only staff have language skills."))
    codes = _clean_codes([c.strip().lower() for c in languages], None, "languages")
    with transaction.atomic():
        profile, _created = AgentRoutingProfile.objects.select_for_update().get_or_create(user=user)
        old = list(profile.languages)
        if old == codes:
            return
        profile.languages = codes
        profile.save(update_fields=["languages"])
        audit_record(
            actor=actor,
            action="agent.languages_changed",
            object_type="user",
            object_id=user.pk,
            data={"from": old, "to": codes},
        )
