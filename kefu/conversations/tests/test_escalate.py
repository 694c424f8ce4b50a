"""conversation_escalate: one tier up with a reason; L1 -> L2 senior -> L3 management."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.models import Conversation, Priority, Tier, TimelineKind
from kefu.conversations.selectors import conversations_visible_to_agent
from kefu.core.errors import InvalidTransition, PermissionDenied, ValidationFailed

REASON = "Customer reports funds missing after a withdrawal to a blacklisted address"


def _update(conversation: Conversation, **fields: object) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    conversation.refresh_from_db()
    return conversation


def test_escalating_to_l2_unassigns_the_l1_agent_and_raises_priority(
    conversation_a, agent_a, actor_of, snapshot
):
    _update(conversation_a, assignee=agent_a)
    snap = snapshot()
    result = services.conversation_escalate(
        conversation=conversation_a, reason=f"  {REASON} ", actor=actor_of(agent_a)
    )
    result.refresh_from_db()
    assert (result.tier, result.assignee_id, result.priority) == (Tier.L2, None, Priority.HIGH)
    assert snap.timeline() == [
        (
            TimelineKind.ESCALATION,
            "agent",
            agent_a.pk,
            None,
            {"from": 1, "to": 2, "reason": REASON, "unassigned": agent_a.pk},
            False,
        ),
    ]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "conversation.escalated",
            "conversation",
            str(conversation_a.pk),
            {"from": 1, "to": 2, "reason": REASON},
        ),
    ]
    # The L1 agent no longer sees it; the senior agent of the same team does.
    assert not conversations_visible_to_agent(agent_a).filter(pk=result.pk).exists()


def test_escalating_to_l2_keeps_a_senior_assignee(conversation_a, senior, actor_of, snapshot):
    _update(conversation_a, assignee=senior)
    snap = snapshot()
    services.conversation_escalate(
        conversation=conversation_a, reason=REASON, actor=actor_of(senior)
    )
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.assignee_id) == (Tier.L2, senior.pk)
    assert [t[4]["unassigned"] for t in snap.timeline()] == [None]
    assert conversations_visible_to_agent(senior).filter(pk=conversation_a.pk).exists()


def test_escalating_to_l3_unassigns_the_senior_but_keeps_a_supervisor(
    conversation_a, conversation_b, senior, supervisor, actor_of, snapshot
):
    _update(conversation_a, tier=Tier.L2, assignee=senior)
    snap = snapshot()
    services.conversation_escalate(
        conversation=conversation_a, reason=REASON, actor=actor_of(senior)
    )
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.assignee_id) == (Tier.L3, None)
    assert [t[4] for t in snap.timeline()] == [
        {"from": 2, "to": 3, "reason": REASON, "unassigned": senior.pk}
    ]

    other = _update(conversation_b, tier=Tier.L2, assignee=supervisor)
    services.conversation_escalate(conversation=other, reason=REASON, actor=actor_of(supervisor))
    other.refresh_from_db()
    assert (other.tier, other.assignee_id) == (Tier.L3, supervisor.pk)


def test_escalation_never_lowers_urgent_priority(conversation_a, agent_a, actor_of):
    _update(conversation_a, priority=Priority.URGENT)
    services.conversation_escalate(
        conversation=conversation_a, reason=REASON, actor=actor_of(agent_a)
    )
    conversation_a.refresh_from_db()
    assert conversation_a.priority == Priority.URGENT


def test_escalation_from_l1_to_l2_then_l3(conversation_a, supervisor, actor_of):
    actor = actor_of(supervisor)
    services.conversation_escalate(conversation=conversation_a, reason="needs L2", actor=actor)
    conversation_a.refresh_from_db()
    assert conversation_a.tier == Tier.L2
    services.conversation_escalate(conversation=conversation_a, reason="needs L3", actor=actor)
    conversation_a.refresh_from_db()
    assert conversation_a.tier == Tier.L3


def test_conversation_at_l3_cannot_be_escalated(conversation_a, supervisor, actor_of, snapshot):
    _update(conversation_a, tier=Tier.L3, priority=Priority.LOW)
    snap = snapshot()
    with pytest.raises(InvalidTransition) as excinfo:
        services.conversation_escalate(
            conversation=conversation_a, reason=REASON, actor=actor_of(supervisor)
        )
    assert excinfo.value.message == "This conversation is already at the highest tier."
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.priority) == (Tier.L3, Priority.LOW)


@pytest.mark.parametrize("reason", ["", "   ", "ab", " x  ", "r" * 2001])
def test_a_reason_is_required(conversation_a, agent_a, actor_of, snapshot, reason):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_escalate(
            conversation=conversation_a, reason=reason, actor=actor_of(agent_a)
        )
    assert list(excinfo.value.fields) == ["reason"]
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.tier == Tier.L1


def test_customer_cannot_escalate(conversation_a, customer_1, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_escalate(
            conversation=conversation_a, reason=REASON, actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()


def test_audit_failure_rolls_back_the_escalation(
    conversation_a, agent_a, actor_of, snapshot, monkeypatch
):
    _update(conversation_a, assignee=agent_a)

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_escalate(
            conversation=conversation_a, reason=REASON, actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.assignee_id, conversation_a.priority) == (
        Tier.L1,
        agent_a.pk,
        Priority.NORMAL,
    )
