"""Load the raw rows that ``facts.compute`` needs, for a batch of conversations, in a fixed
number of queries (one per table), never per conversation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from kefu.analytics.facts import FactInput
from kefu.assistant.models import AssistantSession
from kefu.conversations.models import (
    Conversation,
    Message,
    MessageKind,
    TimelineEntry,
    TimelineKind,
)
from kefu.csat.models import Survey
from kefu.sla.hours import CalendarSpec, HoursError
from kefu.sla.models import SlaTimer, TeamCalendar
from kefu.sla.selectors import default_calendar


class Calendars:
    """Each team's business calendar (the default calendar for teams without one), loaded once
    per refresh."""

    def __init__(self) -> None:
        self.default = default_calendar()
        self.by_team: dict[int, CalendarSpec] = {}
        for row in TeamCalendar.objects.select_related("calendar"):
            try:
                self.by_team[row.team_id] = row.calendar.spec()
            except HoursError:
                continue

    def for_team(self, team_id: int | None) -> CalendarSpec:
        return self.by_team.get(team_id or 0, self.default)


def load_inputs(ids: Iterable[int], calendars: Calendars) -> list[FactInput]:
    """The ``FactInput`` of every existing conversation in ``ids``."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    messages: dict[int, list[tuple[object, str]]] = defaultdict(list)
    for conv_id, at, author in (
        Message.objects.filter(conversation_id__in=wanted, kind=MessageKind.REPLY)
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "created_at", "author_kind")
    ):
        messages[conv_id].append((at, author))
    changes: dict[int, list[tuple[object, str, str]]] = defaultdict(list)
    for conv_id, at, data in (
        TimelineEntry.objects.filter(conversation_id__in=wanted, kind=TimelineKind.STATUS)
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "created_at", "data")
    ):
        if isinstance(data, dict):
            changes[conv_id].append((at, str(data.get("from", "")), str(data.get("to", ""))))
    surveys: dict[int, list[tuple[object, int, bool | None]]] = defaultdict(list)
    for conv_id, at, rating, yes in Survey.objects.filter(
        conversation_id__in=wanted, rating__isnull=False
    ).values_list("conversation_id", "created_at", "rating", "resolved"):
        if rating is not None:
            surveys[conv_id].append((at, rating, yes))
    timers: dict[int, list[str]] = defaultdict(list)
    for conv_id, state in SlaTimer.objects.filter(conversation_id__in=wanted).values_list(
        "conversation_id", "state"
    ):
        timers[conv_id].append(state)
    sessions = {
        conv_id: (intent, outcome)
        for conv_id, intent, outcome in AssistantSession.objects.filter(
            conversation_id__in=wanted
        ).values_list("conversation_id", "last_intent", "outcome")
    }
    inputs = []
    for row in Conversation.objects.filter(pk__in=wanted).values(
        "id",
        "created_at",
        "status",
        "channel",
        "category",
        "language",
        "team_id",
        "assignee_id",
        "closed_at",
        "last_activity_at",
    ):
        pk = row["id"]
        inputs.append(
            FactInput(
                conversation_id=pk,
                created_at=row["created_at"],
                status=row["status"],
                channel=row["channel"],
                category=row["category"],
                language=row["language"],
                team_id=row["team_id"],
                agent_id=row["assignee_id"],
                closed_at=row["closed_at"],
                last_activity_at=row["last_activity_at"],
                messages=tuple(messages.get(pk, ())),  # type: ignore[arg-type]
                status_changes=tuple(changes.get(pk, ())),  # type: ignore[arg-type]
                surveys=tuple(surveys.get(pk, ())),  # type: ignore[arg-type]
                timer_states=tuple(timers.get(pk, ())),
                session=sessions.get(pk),
                spec=calendars.for_team(row["team_id"]),
            )
        )
    return inputs
