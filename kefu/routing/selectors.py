"""Routing reads for the workspace: the supervisors' live queue board and the L3 list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min

from kefu.accounts import permissions
from kefu.accounts.models import Language, Team, User
from kefu.conversations.models import Conversation, Status, Tier
from kefu.core import clock
from kefu.core.errors import PermissionDenied
from kefu.routing.models import AgentRoutingProfile, EscalationRequest, EscalationState
from kefu.routing.services import OPEN_STATUSES, agent_load, policy_get
from kefu.sla.display import Deadline, deadline


@dataclass(frozen=True, slots=True)
class QueueRow:
    team: str
    language: str  # the code ("zh-hans")
    language_label: str  # as the supervisor reads it ("Simplified Chinese")
    count: int
    oldest: datetime
    wait_seconds: int
    deadline: Deadline | None  # the most urgent SLA deadline in the queue (None: untimed)


@dataclass(frozen=True, slots=True)
class BoardConversation:
    """A conversation listed on the board (the L3 list), with its SLA time left."""

    conversation: Conversation
    deadline: Deadline | None


@dataclass(frozen=True, slots=True)
class BoardRequest:
    """A pending escalation request on the board, with its conversation's SLA time left."""

    request: EscalationRequest
    deadline: Deadline | None


def _require_manager(user: User) -> None:
    if not permissions.sees_all(user):
        raise PermissionDenied("supervisors and admins only")


def queue_board(*, user: User) -> dict[str, Any]:
    """Waiting (unassigned, open) conversations by team and language with count and oldest
    wait; online agents with load and capacity; pending escalation requests; the L3 list.
    Supervisors and admins only."""
    from kefu.accounts.services import agents_online

    _require_manager(user)
    now = clock.now()
    teams = {t.pk: t.name for t in Team.objects.all()}
    languages = {code: str(label) for code, label in Language.choices}
    rows = (
        Conversation.objects.filter(assignee__isnull=True, status__in=OPEN_STATUSES)
        # A chat the assistant is still answering is not waiting for a person (as in routing).
        .exclude(assistant_session__active=True)
        .values("team_id", "language")
        .annotate(n=Count("id"), oldest=Min("created_at"), due=Min("sla_due_at"))
        .order_by("oldest", "team_id", "language")
    )
    queues = [
        QueueRow(
            team=teams.get(r["team_id"], "—") if r["team_id"] else "—",
            language=r["language"],
            language_label=languages.get(r["language"], r["language"]),
            count=r["n"],
            oldest=r["oldest"],
            wait_seconds=max(0, int((now - r["oldest"]).total_seconds())),
            deadline=deadline(r["due"], now),
        )
        for r in rows
    ]
    online = agents_online()
    channels = policy_get().auto_assign_channels
    load = agent_load([a.pk for a in online], channels)
    skills = {
        p.user_id: p.languages
        for p in AgentRoutingProfile.objects.filter(user__in=[a.pk for a in online])
    }
    agent_teams: dict[int, list[str]] = {}
    for member in User.teams.through.objects.filter(user_id__in=[a.pk for a in online]):
        agent_teams.setdefault(member.user_id, []).append(teams.get(member.team_id, ""))
    agents = [
        {
            "agent": a,
            "load": load[a.pk],
            "capacity": a.chat_capacity,
            "languages": skills.get(a.pk, []),
            "teams": sorted(agent_teams.get(a.pk, [])),
        }
        for a in online
    ]
    pending = list(
        EscalationRequest.objects.filter(state=EscalationState.PENDING)
        .select_related("conversation")
        .order_by("created_at")[:100]
    )
    l3 = [
        BoardConversation(conversation=c, deadline=deadline(c.sla_due_at, now))
        for c in Conversation.objects.filter(tier=Tier.L3)
        .exclude(status__in=(Status.SOLVED, Status.CLOSED))
        .select_related("team", "assignee")
        .order_by("-priority", "created_at")[:100]
    ]
    return {
        "queues": queues,
        "agents": agents,
        "pending": [
            BoardRequest(request=r, deadline=deadline(r.conversation.sla_due_at, now))
            for r in pending
        ],
        "l3": l3,
    }
