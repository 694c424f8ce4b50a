"""conversation_set_priority: low, normal, high, urgent; staff only."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.models import Priority, TimelineKind
from kefu.core.errors import PermissionDenied, ValidationFailed


@pytest.mark.parametrize("priority", [Priority.LOW, Priority.HIGH, Priority.URGENT])
def test_agent_changes_priority_with_timeline_and_audit(
    conversation_a, agent_a, actor_of, snapshot, priority
):
    snap = snapshot()
    result = services.conversation_set_priority(
        conversation=conversation_a, priority=priority, actor=actor_of(agent_a)
    )
    result.refresh_from_db()
    assert result.priority == priority
    assert snap.timeline() == [
        (
            TimelineKind.PRIORITY,
            "agent",
            agent_a.pk,
            None,
            {"from": Priority.NORMAL, "to": priority},
            False,
        ),
    ]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "conversation.priority_changed",
            "conversation",
            str(conversation_a.pk),
            {"from": 1, "to": int(priority)},
        ),
    ]


def test_setting_the_same_priority_records_nothing(conversation_a, agent_a, actor_of, snapshot):
    snap = snapshot()
    services.conversation_set_priority(
        conversation=conversation_a, priority=Priority.NORMAL, actor=actor_of(agent_a)
    )
    snap.assert_nothing_written()


@pytest.mark.parametrize("priority", [-1, 4, 99])
def test_unknown_priority_is_refused(conversation_a, agent_a, actor_of, snapshot, priority):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_set_priority(
            conversation=conversation_a, priority=priority, actor=actor_of(agent_a)
        )
    assert excinfo.value.fields == {"priority": ["Unknown priority."]}
    snap.assert_nothing_written()


def test_customer_cannot_change_priority(conversation_a, customer_1, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_set_priority(
            conversation=conversation_a, priority=Priority.URGENT, actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.priority == Priority.NORMAL


def test_audit_failure_rolls_back_the_priority_change(
    conversation_a, agent_a, actor_of, snapshot, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_set_priority(
            conversation=conversation_a, priority=Priority.HIGH, actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.priority == Priority.NORMAL
