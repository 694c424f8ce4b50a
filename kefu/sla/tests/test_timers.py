"""SLA timers driven by the ordinary conversation services on a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Priority, Status
from kefu.core.actor import Actor
from kefu.sla.models import SlaTimer, TimerKind, TimerState
from kefu.sla.services import calendar_save, policy_save, sla_on_event, team_calendar_set
from kefu.testing import factories

MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
WEEKDAYS_9_TO_17 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> datetime:
        self.at += timedelta(**kwargs)
        return self.at


def timers(conversation, **filters):
    return {
        t.kind: t
        for t in SlaTimer.objects.filter(conversation=conversation, **filters).order_by("id")
    }


def create(customer, **kwargs):
    return factories.ConversationFactory(contact=customer.contact, **kwargs)


def test_without_a_policy_nothing_is_timed(now, customer_1):
    conversation = create(customer_1)
    assert not SlaTimer.objects.exists()
    assert Conversation.objects.get(pk=conversation.pk).sla_due_at is None


def test_creation_starts_first_response_and_resolution_in_calendar_time(now, manager, customer_1):
    policy_save(
        name="Everyone",
        first_response_minutes=60,
        resolution_minutes=24 * 60,
        business_time=False,
        actor=manager,
    )
    conversation = create(customer_1)
    found = timers(conversation)
    assert set(found) == {TimerKind.FIRST_RESPONSE, TimerKind.RESOLUTION}
    assert found[TimerKind.FIRST_RESPONSE].due_at == MONDAY_9 + timedelta(hours=1)
    assert found[TimerKind.FIRST_RESPONSE].warn_at == MONDAY_9 + timedelta(minutes=48)
    assert found[TimerKind.RESOLUTION].due_at == MONDAY_9 + timedelta(days=1)
    assert {t.state for t in found.values()} == {TimerState.RUNNING}
    conversation.refresh_from_db()
    assert conversation.sla_due_at == MONDAY_9 + timedelta(hours=1)


def test_first_policy_in_order_that_matches_applies(now, manager, customer_1):
    customer_1.contact.vip_tier = 2
    customer_1.contact.save()
    policy_save(name="VIP", position=1, vip_tiers=[2, 3], first_response_minutes=5, actor=manager)
    policy_save(name="Urgent", position=0, priorities=[3], first_response_minutes=10, actor=manager)
    policy_save(name="Rest", position=9, first_response_minutes=240, actor=manager)
    vip = create(customer_1, priority=Priority.NORMAL)
    urgent_vip = create(customer_1, priority=Priority.URGENT)
    plain = factories.ConversationFactory()
    assert timers(vip)[TimerKind.FIRST_RESPONSE].policy.name == "VIP"
    assert timers(urgent_vip)[TimerKind.FIRST_RESPONSE].policy.name == "Urgent"
    assert timers(plain)[TimerKind.FIRST_RESPONSE].policy.name == "Rest"


def test_complaints_get_their_own_policy_and_the_type_is_validated(now, manager, customer_1):
    from kefu.conversations.models import ConversationType
    from kefu.core.errors import ValidationFailed

    policy_save(
        name="Complaints",
        position=0,
        conversation_types=[ConversationType.COMPLAINT],
        first_response_minutes=30,
        resolution_minutes=3 * 24 * 60,
        business_time=False,
        actor=manager,
    )
    policy_save(name="Rest", position=9, first_response_minutes=240, actor=manager)
    complaint = conv.conversation_create(
        contact=customer_1.contact,
        subject="Your fee was wrong",
        body="I was charged twice for one withdrawal.",
        conversation_type=ConversationType.COMPLAINT,
        actor=Actor.system("t"),
    )
    request = create(customer_1)
    first = timers(complaint)[TimerKind.FIRST_RESPONSE]
    assert (first.policy.name, first.due_at) == ("Complaints", MONDAY_9 + timedelta(minutes=30))
    assert timers(complaint)[TimerKind.RESOLUTION].due_at == MONDAY_9 + timedelta(days=3)
    assert timers(request)[TimerKind.FIRST_RESPONSE].policy.name == "Rest"
    with pytest.raises(ValidationFailed):
        policy_save(name="Bad", conversation_types=["grievance"], actor=manager)


def test_channel_and_intent_category_conditions_choose_the_policy(now, manager, customer_1):
    policy_save(
        name="Phone withdrawals",
        position=0,
        channels=["phone"],
        categories=["withdrawal"],
        first_response_minutes=5,
        actor=manager,
    )
    policy_save(
        name="Email", position=1, channels=["email"], first_response_minutes=60, actor=manager
    )
    policy_save(name="Rest", position=9, first_response_minutes=240, actor=manager)
    phone_withdrawal = create(customer_1, channel="phone", category="withdrawal")
    phone_kyc = create(customer_1, channel="phone", category="kyc")
    email = create(customer_1, channel="email", category="withdrawal")
    assert timers(phone_withdrawal)[TimerKind.FIRST_RESPONSE].policy.name == "Phone withdrawals"
    assert timers(phone_kyc)[TimerKind.FIRST_RESPONSE].policy.name == "Rest"
    assert timers(email)[TimerKind.FIRST_RESPONSE].policy.name == "Email"


def test_replies_meet_first_then_start_and_meet_next_response(
    now, manager, customer_1, agent_a, actor_of
):
    policy_save(
        name="All",
        first_response_minutes=60,
        next_response_minutes=30,
        resolution_minutes=600,
        business_time=False,
        actor=manager,
    )
    conversation = create(customer_1)
    # A second customer message before any answer starts no next-response timer.
    conv.message_reply(
        conversation=conversation, body="Any news?", actor=Actor.system("t"), author="customer"
    )
    assert TimerKind.NEXT_RESPONSE not in timers(conversation)
    now.advance(minutes=20)
    conv.message_reply(conversation=conversation, body="Looking", actor=actor_of(agent_a))
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert (first.state, first.stopped_at) == (TimerState.MET, now.at)
    now.advance(minutes=5)
    conv.message_reply(
        conversation=conversation, body="Thanks", actor=Actor.system("t"), author="customer"
    )
    nxt = timers(conversation)[TimerKind.NEXT_RESPONSE]
    assert (nxt.state, nxt.due_at) == (TimerState.RUNNING, now.at + timedelta(minutes=30))
    conversation.refresh_from_db()
    assert conversation.sla_due_at == nxt.due_at  # more urgent than the resolution
    now.advance(minutes=40)  # late
    conv.message_reply(conversation=conversation, body="Done", actor=actor_of(agent_a))
    nxt.refresh_from_db()
    assert (nxt.state, nxt.breached_at) == (TimerState.BREACHED, now.at)
    conversation.refresh_from_db()
    assert conversation.sla_due_at == timers(conversation)[TimerKind.RESOLUTION].due_at


def test_pending_pauses_and_the_customer_reply_resumes_with_the_time_left(
    now, manager, office, customer_1, agent_a, actor_of
):
    policy_save(name="All", resolution_minutes=8 * 60, actor=manager)  # one business day
    conversation = create(customer_1)
    resolution = timers(conversation)[TimerKind.RESOLUTION]
    assert resolution.due_at == MONDAY_9 + timedelta(hours=8)
    now.advance(hours=3)  # Monday 12:00: 5 business hours left
    conv.message_reply(
        conversation=conversation,
        body="Need your ID",
        actor=actor_of(agent_a),
        set_status="pending",
    )
    resolution.refresh_from_db()
    assert resolution.state == TimerState.PAUSED
    assert resolution.remaining_seconds == 5 * 3600
    assert Conversation.objects.get(pk=conversation.pk).sla_due_at is None
    now.at = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # Tuesday 16:00, customer answers
    conv.message_reply(
        conversation=conversation, body="Here", actor=Actor.system("t"), author="customer"
    )
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    # 1 hour on Tuesday, 4 on Wednesday: never earlier than the original Monday 17:00.
    assert resolution.due_at == datetime(2026, 12, 9, 13, 0, tzinfo=UTC)
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_solving_meets_the_resolution_or_records_the_breach(
    now, manager, customer_1, actor_of, agent_a
):
    policy_save(
        name="All",
        first_response_minutes=30,
        resolution_minutes=60,
        business_time=False,
        actor=manager,
    )
    quick = create(customer_1)
    slow = create(customer_1)
    now.advance(minutes=45)
    conv.conversation_set_status(conversation=quick, status="solved", actor=actor_of(agent_a))
    now.advance(minutes=30)
    conv.conversation_set_status(conversation=slow, status="solved", actor=actor_of(agent_a))
    assert timers(quick)[TimerKind.RESOLUTION].state == TimerState.MET
    assert timers(quick)[TimerKind.FIRST_RESPONSE].state == TimerState.CANCELLED
    assert timers(slow)[TimerKind.RESOLUTION].state == TimerState.BREACHED
    assert Conversation.objects.get(pk=quick.pk).sla_due_at is None
    # Reopened: the resolution is timed again.
    conv.conversation_set_status(conversation=quick, status="open", actor=actor_of(agent_a))
    assert timers(quick, state=TimerState.RUNNING)[
        TimerKind.RESOLUTION
    ].due_at == now.at + timedelta(minutes=60)


def test_escalation_moves_the_timers_to_the_new_policy_keeping_elapsed_time(
    now, manager, customer_1, senior, actor_of
):
    policy_save(
        name="High",
        position=0,
        priorities=[2, 3],
        resolution_minutes=120,
        business_time=False,
        actor=manager,
    )
    policy_save(
        name="Normal", position=1, resolution_minutes=600, business_time=False, actor=manager
    )
    conversation = create(customer_1)
    resolution = timers(conversation)[TimerKind.RESOLUTION]
    assert resolution.policy.name == "Normal"
    now.advance(minutes=30)
    conv.conversation_escalate(conversation=conversation, reason="Angry", actor=actor_of(senior))
    resolution.refresh_from_db()
    assert resolution.policy.name == "High"  # escalation raised the priority to high
    assert resolution.due_at == MONDAY_9 + timedelta(minutes=120)  # 30 used, 90 left


def test_team_calendar_counts_business_time_in_the_teams_zone(
    now, manager, office, customer_1, team_b
):
    shanghai = calendar_save(
        name="Shanghai",
        timezone="Asia/Shanghai",
        always_open=False,
        weekly_hours=WEEKDAYS_9_TO_17,
        is_default=False,
        actor=manager,
    )
    team_calendar_set(team=team_b, calendar=shanghai, actor=manager)
    policy_save(name="All", first_response_minutes=60, actor=manager)
    # Monday 09:00 UTC is 17:00 in Shanghai: closed until Tuesday 09:00 there (01:00 UTC).
    conversation = create(customer_1, team=team_b)
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert first.calendar_id == shanghai.pk
    assert first.due_at == datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_unknown_event_is_refused(now, customer_1):
    conversation = create(customer_1)
    with pytest.raises(ValueError, match="unknown SLA event"):
        sla_on_event(conversation=conversation, event="bogus")


def test_reply_and_solve_meets_first_response_and_a_reply_to_a_solved_one_is_timed(
    now, manager, customer_1, agent_a, actor_of
):
    policy_save(
        name="All",
        first_response_minutes=60,
        next_response_minutes=30,
        resolution_minutes=600,
        business_time=False,
        actor=manager,
    )
    conversation = create(customer_1)
    now.advance(minutes=10)
    conv.message_reply(
        conversation=conversation, body="Fixed", actor=actor_of(agent_a), set_status="solved"
    )
    found = timers(conversation)
    assert found[TimerKind.FIRST_RESPONSE].state == TimerState.MET  # not cancelled
    assert found[TimerKind.RESOLUTION].state == TimerState.MET
    now.advance(hours=2)
    conv.message_reply(
        conversation=conversation, body="Still broken", actor=Actor.system("t"), author="customer"
    )
    running = timers(conversation, state=TimerState.RUNNING)
    assert running[TimerKind.NEXT_RESPONSE].due_at == now.at + timedelta(minutes=30)
    assert running[TimerKind.RESOLUTION].due_at == now.at + timedelta(minutes=600)


def test_a_customer_reply_reads_the_conversations_timers_once(now, manager, customer_1, actor_of):
    """Open timers and "was it answered / timed before" come from one locked read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    policy_save(
        name="All", first_response_minutes=60, resolution_minutes=600, business_time=False,
        actor=manager,
    )  # fmt: skip
    conversation = create(customer_1)
    SlaTimer.objects.filter(conversation=conversation, kind=TimerKind.FIRST_RESPONSE).update(
        state=TimerState.MET, stopped_at=now.at
    )  # answered: a customer reply now starts a next-response timer (the policy has none)
    with CaptureQueriesContext(connection) as captured:
        sla_on_event(conversation=conversation, event="customer_replied", at=now.at)
    # Rows or their existence; not the deadline's MIN() that refresh_due takes.
    starts = ('SELECT "sla_slatimer"."id"', 'SELECT 1 AS "a" FROM "sla_slatimer"')
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(starts)]
    assert len(reads) == 1
    assert TimerKind.NEXT_RESPONSE not in timers(conversation)
