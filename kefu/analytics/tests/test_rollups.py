"""The incremental rollups equal a from-scratch computation, over random event sequences made
through the real conversation, survey and assistant services."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.accounts.services import actor_for_user
from kefu.analytics import services
from kefu.analytics.facts import FACT_FIELDS, aggregate, compute
from kefu.analytics.models import ConversationFact, DailyRollup
from kefu.analytics.sources import Calendars, load_inputs
from kefu.assistant.models import AssistantSession
from kefu.conversations import services as conv
from kefu.conversations.models import Conversation
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import KefuError
from kefu.csat.models import Survey
from kefu.csat.services import survey_answer
from kefu.sla.models import SlaPolicy

CHANNELS = ["web", "email", "chat", "telegram"]
CATEGORIES = ["withdrawal", "deposit", "account", "other"]
LANGUAGES = ["en", "zh-hans"]


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def stored_facts() -> dict[int, dict[str, Any]]:
    return {f.conversation_id: services.fact_values(f) for f in ConversationFact.objects.all()}


def scratch_facts() -> dict[int, dict[str, Any]]:
    ids = list(Conversation.objects.values_list("pk", flat=True))
    return {inp.conversation_id: compute(inp) for inp in load_inputs(ids, Calendars())}


def stored_rollups() -> dict[tuple[str, Any, str, str], Counter[str]]:
    return {
        (r.span, r.day, r.dimension, r.value): Counter(r.counts) for r in DailyRollup.objects.all()
    }


def assert_rollups_equal_scratch() -> None:
    facts = scratch_facts()
    assert stored_facts() == facts
    expected = {key: +c for key, c in aggregate(facts.values()).items()}
    assert stored_rollups() == expected


action = st.one_of(
    st.tuples(
        st.just("create"),
        st.sampled_from(CHANNELS),
        st.sampled_from(CATEGORIES),
        st.sampled_from(LANGUAGES),
        st.integers(0, 1),
    ),
    st.tuples(st.just("agent_reply"), st.integers(0, 30), st.integers(0, 1)),
    st.tuples(st.just("customer_reply"), st.integers(0, 30)),
    st.tuples(st.just("status"), st.integers(0, 30), st.sampled_from(["solved", "open", "closed"])),
    st.tuples(st.just("assign"), st.integers(0, 30), st.integers(0, 1)),
    st.tuples(
        st.just("survey"), st.integers(0, 30), st.integers(1, 5), st.sampled_from([True, False])
    ),
    st.tuples(
        st.just("assistant"), st.integers(0, 30), st.sampled_from(["resolved", "handed_off"])
    ),
    st.tuples(st.just("wait"), st.integers(1, 60 * 36)),
    st.tuples(st.just("refresh")),
)


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, min_size=5, max_size=40))
def test_incremental_rollups_equal_a_from_scratch_computation(
    actions, monkeypatch, team_a, team_b, agent_a, senior, customer_1
):
    now = Clock()
    monkeypatch.setattr(clock, "now", now)
    SlaPolicy.objects.get_or_create(
        name="Any",
        defaults={
            "first_response_minutes": 60,
            "resolution_minutes": 24 * 60,
            "business_time": False,
        },
    )
    teams = [team_a, team_b]
    agents = [agent_a, senior]
    customer = actor_for_user(customer_1)
    convs: list[Conversation] = list(Conversation.objects.order_by("pk"))
    for step in actions:
        kind = step[0]
        try:
            if kind == "create":
                _, channel, category, language, team = step
                convs.append(
                    conv.conversation_create(
                        contact=customer_1.contact,
                        subject="Help",
                        body="My withdrawal is late",
                        channel=channel,
                        category=category,
                        language=language,
                        team=teams[team],
                        author="customer",
                        actor=customer,
                    )
                )
            elif kind == "wait":
                now.at += timedelta(minutes=step[1])
            elif kind == "refresh":
                services.analytics_refresh()
            elif convs:
                target = Conversation.objects.get(pk=convs[step[1] % len(convs)].pk)
                if kind == "agent_reply":
                    conv.message_reply(
                        conversation=target,
                        body="We are checking.",
                        actor=actor_for_user(agents[step[2]]),
                    )
                elif kind == "customer_reply":
                    conv.message_reply(conversation=target, body="Any news?", actor=customer)
                elif kind == "status":
                    conv.conversation_set_status(
                        conversation=target, status=step[2], actor=actor_for_user(senior)
                    )
                elif kind == "assign":
                    conv.conversation_assign(
                        conversation=target,
                        assignee=agents[step[2]],
                        actor=actor_for_user(senior),
                    )
                elif kind == "survey":
                    survey = Survey.objects.filter(conversation=target, superseded=False).first()
                    if survey is not None:
                        survey_answer(
                            survey=survey, rating=step[2], resolved=step[3], actor=customer
                        )
                elif kind == "assistant":
                    AssistantSession.objects.update_or_create(
                        conversation=target,
                        defaults={
                            "outcome": step[2],
                            "last_intent": "withdrawal_status",
                            "created_at": now.at,
                            "updated_at": now.at,
                        },
                    )
        except KefuError:
            continue  # a transition the services refuse: nothing happened
    services.analytics_refresh()
    assert_rollups_equal_scratch()


@pytest.mark.django_db
def test_refresh_subtracts_the_old_contribution_when_a_conversation_changes(
    monkeypatch, team_a, agent_a, customer_1
):
    now = Clock()
    monkeypatch.setattr(clock, "now", now)
    conversation = conv.conversation_create(
        contact=customer_1.contact,
        subject="Help",
        body="Late deposit",
        team=team_a,
        author="customer",
        actor=actor_for_user(customer_1),
    )
    services.analytics_refresh()
    all_row = DailyRollup.objects.get(dimension="all", span="day")
    assert all_row.counts["n"] == 1
    assert all_row.counts["open"] == 1
    assert "frt_n" not in all_row.counts
    now.at += timedelta(minutes=10)
    conv.message_reply(conversation=conversation, body="Done.", actor=actor_for_user(agent_a))
    conv.conversation_set_status(
        conversation=conversation, status="solved", actor=actor_for_user(agent_a)
    )
    result = services.analytics_refresh()
    assert result.changed == 1
    all_row.refresh_from_db()
    assert all_row.counts["n"] == 1
    assert "open" not in all_row.counts
    assert all_row.counts["resolved"] == 1
    assert all_row.counts["frt_sum"] == 600
    assert all_row.counts["fcr"] == 1
    # A second run with nothing new changes nothing.
    assert services.analytics_refresh().changed == 0
    assert_rollups_equal_scratch()


@pytest.mark.django_db
def test_rebuild_gives_the_same_rollups_as_the_incremental_path(team_a, customer_1):
    for _ in range(3):
        conv.conversation_create(
            contact=customer_1.contact,
            subject="Help",
            body="Late deposit",
            team=team_a,
            author="customer",
            actor=Actor.system("test"),
        )
    services.analytics_refresh()
    incremental = stored_rollups()
    assert services.analytics_rebuild() == 3
    assert stored_rollups() == incremental
    assert set(FACT_FIELDS) <= {f.name for f in ConversationFact._meta.fields}
