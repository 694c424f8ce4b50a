"""Permission-scoped reads of conversations. A denied read raises NotFound (never 403)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.contacts.models import Contact
from kefu.conversations import search
from kefu.conversations.models import (
    Conversation,
    Message,
    MessageKind,
    TimelineEntry,
    parse_reference,
)
from kefu.core.errors import NotFound, ValidationFailed
from kefu.core.pagination import NULLS_LAST, Page, paginate
from kefu.core.prepared import Prepared

VIEWS = ("mine", "unassigned", "teams", "all")
SORTS = {
    "activity": ["-last_activity_at", "-id"],
    "priority": ["-priority", "-last_activity_at", "-id"],
    "age": ["created_at", "id"],
    # The most urgent SLA deadline first (kefu.sla keeps Conversation.sla_due_at);
    # conversations without a running deadline follow, oldest id first.
    "sla": ["sla_due_at" + NULLS_LAST, "id"],
}


@dataclass
class InboxFilters:
    view: str = "mine"
    status: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    tier: list[int] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    tag: str = ""
    team: int | None = None
    contact: int | None = None
    q: str = ""
    sort: str = "activity"


def conversations_visible_to_agent(user: User) -> QuerySet[Conversation]:
    """Every conversation ``user`` may see: supervisors and admins all of them; agents those on
    their tier (or below) that are assigned to them, routed to one of their teams, or unrouted."""
    if not user.is_agent:
        return Conversation.objects.none()
    qs = Conversation.objects.all()
    if permissions.sees_all(user):
        return qs
    team_ids = user.teams.values("pk")  # a subquery: no extra round trip
    return qs.filter(
        Q(assignee=user)
        | (Q(tier__lte=permissions.max_tier(user)) & (Q(team__isnull=True) | Q(team__in=team_ids)))
    )


def conversation_list_for_agent(
    *, user: User, filters: InboxFilters, cursor: str | None = None, limit: int = 25
) -> Page[Conversation]:
    """One page of an agent's inbox view, filtered, searched and sorted, by keyset cursor."""
    if filters.view not in VIEWS:
        raise ValidationFailed(_("Unknown view."), fields={"view": [_("Unknown view.")]})
    if filters.sort not in SORTS:
        raise ValidationFailed(_("Unknown sort."), fields={"sort": [_("Unknown sort.")]})
    qs = conversations_visible_to_agent(user)
    if filters.view == "mine":
        qs = qs.filter(assignee=user)
    elif filters.view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.view == "teams":
        qs = qs.filter(team__in=user.teams.values("pk"))
    elif filters.view == "all" and not permissions.sees_all(user):
        raise NotFound()
    qs = _apply_filters(qs, filters)
    qs = qs.select_related("contact", "assignee", "team")
    return paginate(qs, ordering=SORTS[filters.sort], cursor=cursor, limit=max(1, min(limit, 100)))


def _apply_filters(qs: QuerySet[Conversation], filters: InboxFilters) -> QuerySet[Conversation]:
    """The inbox filters and search shared by the agent inbox and the REST API."""
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.priority:
        qs = qs.filter(priority__in=filters.priority)
    if filters.channel:
        qs = qs.filter(channel__in=filters.channel)
    if filters.tier:
        qs = qs.filter(tier__in=filters.tier)
    if filters.language:
        qs = qs.filter(language__in=filters.language)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.contact:
        qs = qs.filter(contact_id=filters.contact)
    if filters.tag:
        qs = qs.filter(tags__name__iexact=filters.tag)
    if filters.q:
        ref = parse_reference(filters.q) if filters.q.strip().upper().startswith("KF-") else None
        if ref is not None:
            qs = qs.filter(pk=ref)
        else:
            ids = search.matching_ids(filters.q)
            if ids is not None:
                qs = qs.filter(pk__in=ids)
    return qs


def conversation_list_for_api(
    *, filters: InboxFilters, cursor: str | None = None, limit: int = 25
) -> Page[Conversation]:
    """One page of every conversation (an API key has staff-wide visibility), filtered and
    sorted like the inbox; ``filters.view`` is ignored."""
    if filters.sort not in SORTS:
        raise ValidationFailed(_("Unknown sort."), fields={"sort": [_("Unknown sort.")]})
    qs = _apply_filters(Conversation.objects.all(), filters)
    qs = qs.select_related("contact", "assignee", "team").prefetch_related("tags")
    return paginate(qs, ordering=SORTS[filters.sort], cursor=cursor, limit=max(1, min(limit, 100)))


def conversation_get_for_api(*, pk: int) -> Conversation:
    """Any conversation by id, for an API key (staff-wide visibility)."""
    conversation = (
        Conversation.objects.select_related("contact", "assignee", "team")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
    if conversation is None:
        raise NotFound()
    return conversation


def messages_for_api(
    conversation: Conversation, *, cursor: str | None = None, limit: int = 25
) -> Page[Message]:
    """One page of a conversation's replies and internal notes, oldest first."""
    qs = conversation.messages.select_related("author_user").prefetch_related("attachments")
    limit = max(1, min(limit, 100))
    return paginate(qs, ordering=["created_at", "id"], cursor=cursor, limit=limit)


def conversation_get_for_agent(*, user: User, pk: int) -> Conversation:
    if not user.is_agent:
        raise NotFound()
    rows = _visible_one(user)(pk, user.pk)
    if not rows:
        raise NotFound()
    return rows[0]


# Every workspace action and every socket frame starts with conversation_get_for_agent: its
# query (one per kind of user: the scope depends on the role only, the ids aside) is compiled
# once per connection (kefu.core.prepared), not on every call.
_VISIBLE_ONE: dict[tuple[str, str, bool], Prepared[Conversation]] = {}


def _visible_one(user: User) -> Prepared[Conversation]:
    shape = (user.kind, user.role, user.is_active)
    prepared = _VISIBLE_ONE.get(shape)
    if prepared is None:

        def build(pk: int, user_id: int) -> QuerySet[Conversation]:
            # A stand-in with the same role: the same scope as ``user``'s, for another id.
            stand_in = User(pk=user_id, kind=shape[0], role=shape[1], is_active=shape[2])
            # At most one row: no ORDER BY (``first()`` would add one).
            return (
                conversations_visible_to_agent(stand_in)
                .select_related("contact", "assignee", "team")
                .filter(pk=pk)
                .order_by()[:1]
            )

        prepared = _VISIBLE_ONE.setdefault(
            shape,
            Prepared(build, ids=2, name=f"conversation_for_agent:{':'.join(map(str, shape))}"),
        )
    return prepared


def timeline_for_agent(conversation: Conversation) -> list[TimelineEntry]:
    """The full timeline: messages, internal notes and every change, oldest first."""
    return list(
        conversation.timeline.select_related("message", "actor_user")
        .prefetch_related("message__attachments")
        .order_by("created_at", "id")
    )


def other_conversations_of_contact(
    *, user: User, conversation: Conversation, limit: int = 10
) -> list[Conversation]:
    return list(
        conversations_visible_to_agent(user)
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .order_by("-last_activity_at", "-id")[:limit]
    )


def conversation_list_for_customer(*, contact: Contact) -> QuerySet[Conversation]:
    return Conversation.objects.filter(contact=contact).order_by("-last_activity_at", "-id")


def conversation_get_for_customer(*, contact: Contact, pk: int) -> Conversation:
    conversation = Conversation.objects.filter(contact=contact, pk=pk).first()
    if conversation is None:
        raise NotFound()
    return conversation


def messages_for_customer(conversation: Conversation) -> list[Message]:
    """Public replies only: internal notes never leave the workspace."""
    return list(
        conversation.messages.filter(kind=MessageKind.REPLY)
        .select_related("author_user")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def messages_for_agent(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("author_user").prefetch_related("attachments")
