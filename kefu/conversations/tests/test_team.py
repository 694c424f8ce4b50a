"""conversation_set_team: routing a conversation to a team (or to none)."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.models import TimelineKind
from kefu.core.errors import PermissionDenied


def test_agent_routes_conversation_to_another_team(
    conversation_a, team_a, team_b, agent_a, actor_of, snapshot
):
    snap = snapshot()
    result = services.conversation_set_team(
        conversation=conversation_a, team=team_b, actor=actor_of(agent_a)
    )
    result.refresh_from_db()
    assert result.team == team_b
    assert snap.timeline() == [
        (
            TimelineKind.ASSIGNMENT,
            "agent",
            agent_a.pk,
            None,
            {"team_from": team_a.pk, "team_to": team_b.pk, "team_name": "Team B"},
            False,
        ),
    ]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "conversation.team_changed",
            "conversation",
            str(conversation_a.pk),
            {"from": team_a.pk, "to": team_b.pk},
        ),
    ]


def test_removing_the_team_unroutes_the_conversation(
    conversation_a, team_a, supervisor, actor_of, snapshot
):
    snap = snapshot()
    services.conversation_set_team(
        conversation=conversation_a, team=None, actor=actor_of(supervisor)
    )
    conversation_a.refresh_from_db()
    assert conversation_a.team is None
    assert [t[4] for t in snap.timeline()] == [
        {"team_from": team_a.pk, "team_to": None, "team_name": ""}
    ]
    assert [a[5] for a in snap.audit()] == [{"from": team_a.pk, "to": None}]


def test_setting_the_same_team_records_nothing(conversation_a, team_a, agent_a, actor_of, snapshot):
    snap = snapshot()
    services.conversation_set_team(
        conversation=conversation_a, team=team_a, actor=actor_of(agent_a)
    )
    snap.assert_nothing_written()


def test_customer_cannot_route(conversation_a, team_b, customer_1, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_set_team(
            conversation=conversation_a, team=team_b, actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()


def test_audit_failure_rolls_back_the_routing(
    conversation_a, team_a, team_b, agent_a, actor_of, snapshot, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_set_team(
            conversation=conversation_a, team=team_b, actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.team == team_a
