"""conversation_assign: only active agents who work on the conversation's tier."""

from __future__ import annotations

import pytest

from kefu.accounts.models import Role
from kefu.conversations import services
from kefu.conversations.models import Conversation, Tier, TimelineKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.testing import factories


def _on_tier(conversation: Conversation, tier: int) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(tier=tier)
    conversation.refresh_from_db()
    return conversation


def test_supervisor_assigns_agent_with_timeline_and_audit(
    conversation_a, agent_a, supervisor, actor_of, snapshot
):
    snap = snapshot()
    result = services.conversation_assign(
        conversation=conversation_a, assignee=agent_a, actor=actor_of(supervisor)
    )
    result.refresh_from_db()
    assert result.assignee == agent_a
    assert snap.timeline() == [
        (
            TimelineKind.ASSIGNMENT,
            "agent",
            supervisor.pk,
            None,
            {"from": None, "to": agent_a.pk, "to_name": str(agent_a)},
            False,
        ),
    ]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{supervisor.pk}",
            "conversation.assigned",
            "conversation",
            str(conversation_a.pk),
            {"from": None, "to": agent_a.pk},
        ),
    ]


def test_agent_takes_a_conversation_and_hands_it_over_then_unassigns(
    conversation_a, agent_a, senior, actor_of, snapshot
):
    actor = actor_of(agent_a)
    services.conversation_assign(conversation=conversation_a, assignee=agent_a, actor=actor)
    snap = snapshot()
    services.conversation_assign(conversation=conversation_a, assignee=senior, actor=actor)
    services.conversation_assign(conversation=conversation_a, assignee=None, actor=actor)
    conversation_a.refresh_from_db()
    assert conversation_a.assignee is None
    assert [t[4] for t in snap.timeline()] == [
        {"from": agent_a.pk, "to": senior.pk, "to_name": str(senior)},
        {"from": senior.pk, "to": None, "to_name": ""},
    ]
    assert [a[5] for a in snap.audit()] == [
        {"from": agent_a.pk, "to": senior.pk},
        {"from": senior.pk, "to": None},
    ]


def test_assigning_the_current_assignee_records_nothing(
    conversation_a, agent_a, actor_of, snapshot
):
    services.conversation_assign(
        conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a)
    )
    snap = snapshot()
    services.conversation_assign(
        conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a)
    )
    snap.assert_nothing_written()


def test_unassigning_an_unassigned_conversation_records_nothing(
    conversation_a, agent_a, actor_of, snapshot
):
    snap = snapshot()
    services.conversation_assign(
        conversation=conversation_a, assignee=None, actor=actor_of(agent_a)
    )
    snap.assert_nothing_written()


@pytest.mark.parametrize(
    ("role", "tier", "eligible"),
    [
        (Role.AGENT_L1, Tier.L1, True),
        (Role.AGENT_L1, Tier.L2, False),
        (Role.AGENT_L1, Tier.L3, False),
        (Role.AGENT_L2, Tier.L1, True),
        (Role.AGENT_L2, Tier.L2, True),
        (Role.AGENT_L2, Tier.L3, False),
        (Role.SUPERVISOR, Tier.L3, True),
        (Role.ADMIN, Tier.L3, True),
    ],
)
def test_assignee_must_work_on_the_conversations_tier(
    conversation_a, supervisor, actor_of, snapshot, role, tier, eligible
):
    _on_tier(conversation_a, tier)
    agent = factories.StaffFactory(role=role)
    snap = snapshot()
    if eligible:
        services.conversation_assign(
            conversation=conversation_a, assignee=agent, actor=actor_of(supervisor)
        )
        conversation_a.refresh_from_db()
        assert conversation_a.assignee == agent
        assert [a[2] for a in snap.audit()] == ["conversation.assigned"]
    else:
        with pytest.raises(ValidationFailed) as excinfo:
            services.conversation_assign(
                conversation=conversation_a, assignee=agent, actor=actor_of(supervisor)
            )
        assert excinfo.value.fields == {"assignee": ["This agent does not work on this tier."]}
        snap.assert_nothing_written()
        conversation_a.refresh_from_db()
        assert conversation_a.assignee is None


@pytest.mark.parametrize("who", ["customer", "inactive", "no_role"])
def test_only_active_staff_with_a_role_can_be_assigned(
    conversation_a, supervisor, customer_1, actor_of, snapshot, who
):
    assignee = {
        "customer": lambda: customer_1,
        "inactive": lambda: factories.StaffFactory(role=Role.AGENT_L2, is_active=False),
        "no_role": lambda: factories.StaffFactory(role=""),
    }[who]()
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_assign(
            conversation=conversation_a, assignee=assignee, actor=actor_of(supervisor)
        )
    assert excinfo.value.fields == {"assignee": ["Only active staff can be assigned."]}
    snap.assert_nothing_written()


def test_customer_cannot_assign(conversation_a, customer_1, agent_a, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_assign(
            conversation=conversation_a, assignee=agent_a, actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.assignee is None


def test_audit_failure_rolls_back_the_assignment(
    conversation_a, agent_a, actor_of, snapshot, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_assign(
            conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.assignee is None
