"""conversation_record_view: opening a conversation is a sensitive read and is audited."""

from __future__ import annotations

from kefu.audit.models import AuditEntry
from kefu.conversations import services


def test_viewing_a_conversation_writes_one_audit_row_and_nothing_else(
    conversation_a, agent_a, actor_of, snapshot
):
    snap = snapshot()
    services.conversation_record_view(
        conversation=conversation_a, actor=actor_of(agent_a, ip="192.0.2.10")
    )
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "conversation.viewed",
            "conversation",
            str(conversation_a.pk),
            {"contact": conversation_a.contact_id},
        ),
    ]
    [row] = snap.new(AuditEntry)
    assert row.ip == "192.0.2.10"
    assert snap.timeline() == []
