"""note_add: internal notes are staff-only and never notify the customer."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.models import Message, Status, TimelineKind
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.testing.callbacks import jobs, published


def test_agent_adds_internal_note_with_private_timeline_row_and_audit(
    conversation_a, agent_a, actor_of, snapshot, django_capture_on_commit_callbacks, mailoutbox
):
    snap = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = services.note_add(
            conversation=conversation_a,
            body="Checked the **chain**: 0 conf",
            actor=actor_of(agent_a),
        )

    assert snap.new(Message) == [note]
    assert note.kind == "note"
    assert note.is_note
    assert note.author_kind == "agent"
    assert note.author_user_id == agent_a.pk
    assert note.body_html == "<p>Checked the <strong>chain</strong>: 0 conf</p>\n"
    assert snap.timeline() == [(TimelineKind.NOTE, "agent", agent_a.pk, note.pk, {}, False)]
    assert snap.audit() == [
        (
            "agent",
            f"agent:{agent_a.pk}",
            "note.added",
            "conversation",
            str(conversation_a.pk),
            {"message": note.pk},
        ),
    ]
    conversation_a.refresh_from_db()
    # A note neither opens the conversation nor emails the customer.
    assert conversation_a.status == Status.NEW
    assert conversation_a.message_count == 2
    assert jobs(callbacks) == []
    (event,) = published(callbacks)
    assert (event.name, event.public_seq) == ("message.created", None)
    assert mailoutbox == []


def test_note_can_be_added_to_a_closed_conversation(closed_conversation, agent_a, actor_of):
    note = services.note_add(
        conversation=closed_conversation, body="Follow-up: refunded", actor=actor_of(agent_a)
    )
    assert note.kind == "note"
    closed_conversation.refresh_from_db()
    assert closed_conversation.status == Status.CLOSED


def test_customer_cannot_add_a_note_even_to_own_conversation(
    conversation_a, customer_1, actor_of, snapshot
):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.note_add(conversation=conversation_a, body="sneaky", actor=actor_of(customer_1))
    snap.assert_nothing_written()


@pytest.mark.parametrize("body", ["", "   ", "x" * 20_001])
def test_invalid_note_is_refused_and_nothing_is_written(
    conversation_a, agent_a, actor_of, snapshot, body
):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.note_add(conversation=conversation_a, body=body, actor=actor_of(agent_a))
    assert list(excinfo.value.fields) == ["body"]
    snap.assert_nothing_written()


def test_audit_failure_rolls_back_the_note(
    conversation_a, agent_a, actor_of, snapshot, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.note_add(conversation=conversation_a, body="note", actor=actor_of(agent_a))
    snap.assert_nothing_written()
