"""The audiences module is the only place that decides who hears what: check every event type."""

from __future__ import annotations

import json

import pytest

from kefu.conversations import services as conv
from kefu.realtime import audiences, events
from kefu.testing.callbacks import published

CUSTOMER_MESSAGE_KEYS = {
    "id", "seq", "conversation_id", "author", "name", "initials", "body", "html",
    "created_at", "attachments", "actions", "citations", "link",
}  # fmt: skip
STAFF_ONLY = ("kind", "author_user_id", "priority", "team_id", "tier", "assignee_id", "public_seq")


def _customer_payloads(deliveries):
    return [p for g, p in deliveries if g.endswith(".customer")]


@pytest.fixture
def events_of(django_capture_on_commit_callbacks):
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            fn(**kwargs)
        return published(callbacks)

    return run


def test_notes_have_no_customer_audience(conversation_a, agent_a, actor_of, events_of):
    (event,) = events_of(
        conv.note_add, conversation=conversation_a, body="secret plan", actor=actor_of(agent_a)
    )
    deliveries = audiences.route(event)
    assert _customer_payloads(deliveries) == []
    assert "secret plan" in json.dumps([p for _, p in deliveries])  # staff do get it


def test_every_event_type_keeps_customer_payloads_to_the_customer_shape(
    conversation_a, agent_a, team_b, actor_of, events_of
):
    actor = actor_of(agent_a)
    produced = []
    produced += events_of(
        conv.message_reply, conversation=conversation_a, body="public answer", actor=actor
    )
    produced += events_of(conv.note_add, conversation=conversation_a, body="internal", actor=actor)
    produced += events_of(
        conv.conversation_assign, conversation=conversation_a, assignee=agent_a, actor=actor
    )
    produced += events_of(
        conv.conversation_set_priority, conversation=conversation_a, priority=3, actor=actor
    )
    produced += events_of(
        conv.conversation_escalate, conversation=conversation_a, reason="needs L2", actor=actor
    )
    produced += events_of(
        conv.conversation_set_team, conversation=conversation_a, team=team_b, actor=actor
    )
    produced += events_of(
        conv.conversation_mark_read, conversation=conversation_a, seq=2, actor=actor
    )
    produced += [
        events.Typing(conversation_id=conversation_a.pk, who="agent", state=True, mode="note"),
        events.Typing(conversation_id=conversation_a.pk, who="agent", state=True, mode="reply"),
        events.Viewing(conversation_id=conversation_a.pk, agent_id=agent_a.pk, state=True),
        events.PresenceChanged(agent_id=agent_a.pk, status="online"),
        events.MessageDeliveryChanged(
            conversation_id=conversation_a.pk,
            message_id=conversation_a.messages.first().pk,
            status="failed",
        ),
        events.SlaAlertsCreated(recipient_id=agent_a.pk, unread=2),
        events.TrendAlertsRaised(recipient_id=agent_a.pk, open=1),
    ]
    seen_types = {type(e) for e in produced}
    assert seen_types >= set(events.EVENT_TYPES) - {events.ConversationCreated}
    for event in produced:
        for payload in _customer_payloads(audiences.route(event)):
            text = json.dumps(payload)
            assert "internal" not in text
            assert agent_a.email not in text
            assert "sender" not in payload
            if payload["type"] == "message.created":
                assert set(payload["message"]) == CUSTOMER_MESSAGE_KEYS
            if payload["type"] == "typing":
                assert payload["who"] == "agent"
            for key in STAFF_ONLY:
                assert key not in payload
    # Note-mode typing, viewing, presence, delivery states, priority, team and tag changes have
    # no customer side.
    silent = [
        e
        for e in produced
        if isinstance(
            e,
            events.Viewing
            | events.PresenceChanged
            | events.MessageDeliveryChanged
            | events.SlaAlertsCreated
            | events.TrendAlertsRaised,
        )
        or (isinstance(e, events.Typing) and e.mode == "note")
        or (isinstance(e, events.ConversationUpdated) and e.reason in ("priority", "team", "tags"))
    ]
    assert silent
    for event in silent:
        assert _customer_payloads(audiences.route(event)) == []


def test_inbox_routing_covers_old_and_new_owners(
    conversation_a, team_b, agent_a, actor_of, events_of
):
    (event,) = events_of(
        conv.conversation_set_team,
        conversation=conversation_a,
        team=team_b,
        actor=actor_of(agent_a),
    )
    groups = {g for g, _ in audiences.route(event)}
    assert audiences.team_group(conversation_a.team_id) in groups
    assert audiences.team_group(team_b.pk) in groups
    assert audiences.INBOX_ALL in groups


def test_rolled_back_work_publishes_nothing(
    conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                conv.message_reply(
                    conversation=conversation_a, body="oops", actor=actor_of(agent_a)
                )
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert published(callbacks) == []


def test_events_reject_unknown_fields():
    with pytest.raises(ValueError):
        events.PresenceChanged(agent_id=1, status="online", extra=True)
    with pytest.raises(ValueError):
        events.PresenceChanged(agent_id=1, status="asleep")


def test_sla_alerts_go_to_the_recipients_own_staff_group_only():
    from kefu.realtime.events import SlaAlertsCreated

    deliveries = audiences.route(SlaAlertsCreated(recipient_id=7, unread=3))
    assert deliveries == [("staff.user.7", {"type": "sla.alerts", "unread": 3})]


def test_an_agent_reply_keeps_the_name_the_customer_saw_after_a_rename(
    conversation_a, agent_a, actor_of
):
    """A resync or a transcript shows the name an agent had when replying, not a later one."""
    from kefu.realtime import payloads

    agent_a.display_name = "Alice"
    agent_a.save(update_fields=["display_name"])
    first = conv.message_reply(conversation=conversation_a, body="one", actor=actor_of(agent_a))
    agent_a.display_name = "Bob"
    agent_a.save(update_fields=["display_name"])
    second = conv.message_reply(conversation=conversation_a, body="two", actor=actor_of(agent_a))
    first.refresh_from_db()
    second.refresh_from_db()
    assert payloads.message_for_customer(first)["name"] == "Alice"
    assert payloads.message_for_customer(second)["name"] == "Bob"


def test_trend_alerts_go_to_the_recipients_own_staff_group_only():
    from kefu.realtime.events import TrendAlertsRaised

    deliveries = audiences.route(TrendAlertsRaised(recipient_id=9, open=2))
    assert deliveries == [("staff.user.9", {"type": "trends.alerts", "open": 2})]
