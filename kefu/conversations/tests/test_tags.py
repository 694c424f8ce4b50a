"""conversation_set_tags: replace a conversation's tags with existing ones."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.models import TimelineKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.testing import factories


@pytest.fixture
def tags(db):
    return {name: factories.TagFactory(name=name) for name in ("VIP", "withdrawal", "提现")}


def _names(conversation):
    return sorted(conversation.tags.values_list("name", flat=True))


def test_agent_sets_tags_case_insensitively_with_timeline_and_audit(
    conversation_a, agent_a, actor_of, snapshot, tags
):
    snap = snapshot()
    services.conversation_set_tags(
        conversation=conversation_a,
        names=["vip", " WITHDRAWAL ", "", "  ", "提现"],
        actor=actor_of(agent_a),
    )
    assert _names(conversation_a) == ["VIP", "withdrawal", "提现"]
    assert snap.timeline() == [
        (
            TimelineKind.TAGS,
            "agent",
            agent_a.pk,
            None,
            {"from": [], "to": ["VIP", "withdrawal", "提现"]},
            False,
        ),
    ]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "conversation.tags_changed",
            "conversation",
            str(conversation_a.pk),
            {"from": [], "to": ["VIP", "withdrawal", "提现"]},
        ),
    ]


def test_tags_are_replaced_and_can_be_cleared(conversation_a, agent_a, actor_of, snapshot, tags):
    actor = actor_of(agent_a)
    services.conversation_set_tags(
        conversation=conversation_a, names=["VIP", "withdrawal"], actor=actor
    )
    snap = snapshot()
    services.conversation_set_tags(conversation=conversation_a, names=["提现"], actor=actor)
    assert _names(conversation_a) == ["提现"]
    services.conversation_set_tags(conversation=conversation_a, names=[], actor=actor)
    assert _names(conversation_a) == []
    assert [t[4] for t in snap.timeline()] == [
        {"from": ["VIP", "withdrawal"], "to": ["提现"]},
        {"from": ["提现"], "to": []},
    ]
    assert [a[5] for a in snap.audit()] == [
        {"from": ["VIP", "withdrawal"], "to": ["提现"]},
        {"from": ["提现"], "to": []},
    ]


def test_setting_the_same_tags_records_nothing(conversation_a, agent_a, actor_of, snapshot, tags):
    actor = actor_of(agent_a)
    services.conversation_set_tags(conversation=conversation_a, names=["VIP"], actor=actor)
    snap = snapshot()
    services.conversation_set_tags(conversation=conversation_a, names=["vip"], actor=actor)
    snap.assert_nothing_written()


def test_unknown_tags_are_refused_and_nothing_changes(
    conversation_a, agent_a, actor_of, snapshot, tags
):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_set_tags(
            conversation=conversation_a,
            names=["VIP", "Nope", "also-missing"],
            actor=actor_of(agent_a),
        )
    assert excinfo.value.fields == {"tags": ["Unknown tags: also-missing, nope"]}
    snap.assert_nothing_written()
    assert _names(conversation_a) == []


def test_customer_cannot_tag(conversation_a, customer_1, actor_of, snapshot, tags):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_set_tags(
            conversation=conversation_a, names=["VIP"], actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()
    assert _names(conversation_a) == []


def test_audit_failure_rolls_back_the_tags(
    conversation_a, agent_a, actor_of, snapshot, monkeypatch, tags
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_set_tags(
            conversation=conversation_a, names=["VIP"], actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    assert _names(conversation_a) == []
