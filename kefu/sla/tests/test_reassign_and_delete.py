"""Giving a team another calendar, moving the default calendar, deleting or deactivating a
policy: the running (and paused) timers of the conversations concerned move in the same
transaction, keeping the business time they have used."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Status
from kefu.sla.models import SlaTimer, TimerKind, TimerState
from kefu.sla.services import calendar_save, policy_delete, policy_save, team_calendar_set
from kefu.sla.tests.test_edits_move_deadlines import conv_actor
from kefu.sla.tests.test_timers import MONDAY_9, WEEKDAYS_9_TO_17, create, timers

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
# A late shift: Monday-Friday 13:00-21:00 UTC.
LATE = {d: [["13:00", "21:00"]] for d in WEEKDAYS_9_TO_17}


@pytest.fixture
def late(manager, office):
    return calendar_save(
        name="Late shift",
        timezone="UTC",
        always_open=False,
        weekly_hours=LATE,
        is_default=False,
        actor=manager,
    )


@pytest.fixture
def policy(manager, office):
    """First response in 4 business hours, resolution in 16; warning at 50 %."""
    return policy_save(
        name="Business",
        position=1,
        first_response_minutes=240,
        resolution_minutes=16 * 60,
        business_time=True,
        warn_percent=50,
        actor=manager,
    )


def test_a_team_given_another_calendar_moves_its_running_deadlines(
    now, office, late, policy, manager, customer_1, customer_2, team_a, team_b
):
    mine = create(customer_1, team=team_a)  # Monday 09:00, first response due 13:00
    other = create(customer_2, team=team_b)
    other_before = {
        t.pk: (t.due_at, t.warn_at) for t in SlaTimer.objects.filter(conversation=other)
    }
    now.advance(hours=1)  # 10:00: 3 business hours left, 1 before the warning
    team_calendar_set(team=team_a, calendar=late, actor=manager)
    first = timers(mine)[TimerKind.FIRST_RESPONSE]
    assert first.calendar_id == late.pk
    # 3 h left counted from 10:00 in the late shift: 13:00-16:00
    assert first.due_at == MONDAY_9 + 7 * HOUR
    assert first.warn_at == MONDAY_9 + 5 * HOUR  # 1 h left before the warning: 14:00
    assert first.state == TimerState.RUNNING
    resolution = timers(mine)[TimerKind.RESOLUTION]  # 15 h left: 8 today, 7 on Tuesday
    assert resolution.due_at == MONDAY_9 + timedelta(days=1, hours=11)
    assert Conversation.objects.get(pk=mine.pk).sla_due_at == first.due_at
    # Another team's conversation does not move.
    assert {
        t.pk: (t.due_at, t.warn_at) for t in SlaTimer.objects.filter(conversation=other)
    } == other_before
    # Back to the default calendar: the time left (still 3 h at 10:00) counts 10:00-13:00.
    team_calendar_set(team=team_a, calendar=None, actor=manager)
    first.refresh_from_db()
    assert (first.calendar_id, first.due_at) == (office.pk, MONDAY_9 + 4 * HOUR)


def test_a_paused_timer_keeps_its_time_left_and_resumes_in_the_teams_new_calendar(
    now, office, late, policy, manager, customer_1, team_a, agent_a, actor_of
):
    conversation = create(customer_1, team=team_a)
    now.advance(hours=1)
    conv.message_reply(conversation=conversation, body="Hi", actor=actor_of(agent_a))
    conv.conversation_set_status(
        conversation=conversation, status=Status.PENDING, actor=actor_of(agent_a)
    )
    resolution = timers(conversation)[TimerKind.RESOLUTION]
    assert (resolution.state, resolution.remaining_seconds) == (TimerState.PAUSED, 15 * 3600)
    team_calendar_set(team=team_a, calendar=late, actor=manager)
    resolution.refresh_from_db()
    assert resolution.state == TimerState.PAUSED
    assert resolution.remaining_seconds == 15 * 3600
    assert resolution.calendar_id == late.pk
    conv.message_reply(conversation=conversation, body="Still", actor=conv_actor(conversation))
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    # Resumed Monday 10:00 in the late shift: 8 h today (13-21), 7 h Tuesday (13-20).
    assert resolution.due_at == MONDAY_9 + timedelta(days=1, hours=11)


def test_a_policy_with_its_own_calendar_ignores_the_team_calendar(
    now, office, late, manager, customer_1, team_a
):
    policy_save(
        name="Office hours always",
        first_response_minutes=240,
        business_time=True,
        calendar=office,
        actor=manager,
    )
    conversation = create(customer_1, team=team_a)
    before = timers(conversation)[TimerKind.FIRST_RESPONSE].due_at
    now.advance(hours=1)
    team_calendar_set(team=team_a, calendar=late, actor=manager)
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert (first.calendar_id, first.due_at) == (office.pk, before)


def test_making_another_calendar_the_default_moves_timers_without_a_team_calendar(
    now, office, late, policy, manager, customer_1, customer_2, team_a
):
    no_team = create(customer_1)
    pinned = create(customer_2, team=team_a)
    team_calendar_set(team=team_a, calendar=office, actor=manager)  # explicitly the office
    now.advance(hours=1)
    calendar_save(
        calendar=late,
        name=late.name,
        timezone="UTC",
        always_open=False,
        weekly_hours=LATE,
        is_default=True,
        actor=manager,
    )
    moved = timers(no_team)[TimerKind.FIRST_RESPONSE]
    assert (moved.calendar_id, moved.due_at) == (late.pk, MONDAY_9 + 7 * HOUR)
    kept = timers(pinned)[TimerKind.FIRST_RESPONSE]
    assert (kept.calendar_id, kept.due_at) == (office.pk, MONDAY_9 + 4 * HOUR)


def test_deleting_a_policy_rematches_its_conversations(now, office, policy, manager, customer_1):
    fallback = policy_save(
        name="Fallback",
        position=5,
        first_response_minutes=120,
        business_time=True,
        actor=manager,
    )
    conversation = create(customer_1)  # under "Business" (position 1)
    assert timers(conversation)[TimerKind.FIRST_RESPONSE].policy_id == policy.pk
    now.advance(hours=1)
    policy_delete(policy=policy, actor=manager)
    rows = timers(conversation)
    first = rows[TimerKind.FIRST_RESPONSE]
    assert (first.policy_id, first.target_seconds) == (fallback.pk, 7200)
    assert first.due_at == MONDAY_9 + 2 * HOUR  # 1 h used of the fallback's 2 h
    # The fallback times no resolution: that timer is cancelled.
    assert rows[TimerKind.RESOLUTION].state == TimerState.CANCELLED
    assert Conversation.objects.get(pk=conversation.pk).sla_due_at == first.due_at


def test_deleting_the_only_policy_cancels_its_timers_but_keeps_breaches(
    now, office, policy, manager, customer_1
):
    from kefu.sla.worker import sla_evaluate

    conversation = create(customer_1)
    now.advance(hours=5)
    sla_evaluate(now=now.at)  # the 4 h first response is breached
    policy_delete(policy=policy, actor=manager)
    rows = timers(conversation)
    assert rows[TimerKind.FIRST_RESPONSE].state == TimerState.BREACHED
    assert rows[TimerKind.RESOLUTION].state == TimerState.CANCELLED
    # The breach stays the most urgent deadline until the customer is answered.
    assert Conversation.objects.get(pk=conversation.pk).sla_due_at == MONDAY_9 + 4 * HOUR


def test_deactivating_a_policy_hands_its_conversations_to_the_next_match(
    now, office, policy, manager, customer_1
):
    calendar_time = policy_save(
        name="Calendar time",
        position=5,
        first_response_minutes=60 * 24,
        business_time=False,
        actor=manager,
    )
    conversation = create(customer_1)
    now.advance(hours=1)
    policy_save(
        policy=policy,
        name="Business",
        position=1,
        active=False,
        first_response_minutes=240,
        resolution_minutes=16 * 60,
        business_time=True,
        warn_percent=50,
        actor=manager,
    )
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert (first.policy_id, first.business_time) == (calendar_time.pk, False)
    assert first.due_at == MONDAY_9 + 24 * HOUR  # 1 h used of 24 calendar hours
