"""Editing a business calendar (hours, dated exceptions, an import) or an SLA policy moves the
running timers' deadlines in the same transaction; paused timers stay paused, overdue and
breached ones are left alone, and other calendars' timers do not move."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Status
from kefu.sla.models import CalendarException, SlaTimer, TimerKind, TimerState
from kefu.sla.services import (
    calendar_exception_delete,
    calendar_exception_save,
    calendar_import_exceptions,
    calendar_save,
    policy_save,
)
from kefu.sla.tests.test_timers import MONDAY_9, WEEKDAYS_9_TO_17, create, timers

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def policy(manager, office):
    """First response in 4 business hours, resolution in 16, warning at 50 %."""
    return policy_save(
        name="Business",
        first_response_minutes=240,
        resolution_minutes=16 * 60,
        business_time=True,
        warn_percent=50,
        actor=manager,
    )


def _edit_hours(office, manager, hours):
    return calendar_save(
        calendar=office,
        name=office.name,
        timezone=office.timezone,
        always_open=False,
        weekly_hours=hours,
        is_default=office.is_default,  # an hours edit only: the default stays where it is
        actor=manager,
    )


def test_shorter_hours_move_the_running_deadline_keeping_the_time_left(
    now, office, policy, manager, customer_1
):
    conversation = create(customer_1)  # Monday 09:00; first response due 13:00
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert first.due_at == MONDAY_9 + 4 * HOUR
    now.advance(hours=1)  # 10:00: 3 business hours left, 1 before the warning (at 11:00)
    _edit_hours(office, manager, {d: [["09:00", "11:00"]] for d in WEEKDAYS_9_TO_17})
    first.refresh_from_db()
    # 1 hour today (10-11), then 2 hours on Tuesday (09-11)
    assert first.due_at == MONDAY_9 + timedelta(days=1, hours=2)
    assert first.warn_at == MONDAY_9 + 2 * HOUR
    assert first.state == TimerState.RUNNING
    conversation.refresh_from_db()
    resolution = timers(conversation)[TimerKind.RESOLUTION]
    assert conversation.sla_due_at == min(first.due_at, resolution.due_at)


def test_longer_hours_bring_the_deadline_forward_never_before_now(
    now, office, policy, manager, customer_1
):
    conversation = create(customer_1)
    now.advance(hours=7)  # Monday 16:00: the first response (due 13:00) is overdue
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert first.due_at < now.at  # overdue: the worker breaches it, the edit leaves it
    before = first.due_at
    resolution = timers(conversation)[TimerKind.RESOLUTION]  # 7 of 16 h used, 9 left
    assert resolution.due_at == MONDAY_9 + timedelta(days=1, hours=8)  # Tuesday 17:00
    _edit_hours(office, manager, {d: [["00:00", "24:00"]] for d in WEEKDAYS_9_TO_17})
    first.refresh_from_db()
    resolution.refresh_from_db()
    assert first.due_at == before
    assert resolution.due_at == now.at + 9 * HOUR  # Tuesday 01:00 with the clock open all day
    assert resolution.due_at > now.at


def test_a_paused_timer_stays_paused_and_resumes_under_the_new_hours(
    now, office, policy, manager, customer_1, agent_a, actor_of
):
    conversation = create(customer_1)
    now.advance(hours=1)
    conv.message_reply(conversation=conversation, body="Hi", actor=actor_of(agent_a))
    conv.conversation_set_status(
        conversation=conversation, status=Status.PENDING, actor=actor_of(agent_a)
    )
    resolution = timers(conversation)[TimerKind.RESOLUTION]
    assert resolution.state == TimerState.PAUSED
    held = (resolution.remaining_seconds, resolution.warn_remaining_seconds, resolution.due_at)
    assert resolution.remaining_seconds == 15 * 3600
    _edit_hours(office, manager, {d: [["09:00", "11:00"]] for d in WEEKDAYS_9_TO_17})
    resolution.refresh_from_db()
    assert resolution.state == TimerState.PAUSED
    assert (
        resolution.remaining_seconds,
        resolution.warn_remaining_seconds,
        resolution.due_at,
    ) == held
    assert Conversation.objects.get(pk=conversation.pk).sla_due_at is None
    now.advance(hours=1)  # Monday 11:00, closed under the new hours
    conv.message_reply(
        conversation=conversation, body="Still broken", actor=conv_actor(conversation)
    )
    resolution.refresh_from_db()
    assert resolution.state == TimerState.RUNNING
    # 15 business hours of 2 a day from Tuesday 09:00: 7 full days and 1 hour
    assert resolution.due_at == MONDAY_9 + timedelta(days=1 + 7 + 2, hours=1)


def conv_actor(conversation):
    from kefu.core.actor import Actor, ActorKind

    return Actor(kind=ActorKind.CUSTOMER, contact_id=conversation.contact_id)


def test_a_holiday_added_today_moves_the_deadline_and_removing_it_moves_it_back(
    now, office, policy, manager, customer_1
):
    conversation = create(customer_1)
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    now.advance(hours=1)  # 3 h left, due Monday 13:00
    calendar_exception_save(
        calendar=office, day=date(2026, 12, 7), kind=CalendarException.Kind.CLOSED, actor=manager
    )
    first.refresh_from_db()
    assert first.due_at == MONDAY_9 + timedelta(days=1, hours=3)  # Tuesday 12:00
    calendar_exception_delete(
        exception=CalendarException.objects.get(calendar=office), actor=manager
    )
    first.refresh_from_db()
    # The holiday took the time between: still 3 business hours left, counted from now.
    assert first.due_at == MONDAY_9 + 4 * HOUR


def test_an_import_moves_the_deadline(now, office, policy, manager, customer_1):
    conversation = create(customer_1)
    now.advance(hours=1)
    calendar_import_exceptions(
        calendar=office, content=b"2026-12-07,closed,,Holiday\n", actor=manager
    )
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert first.due_at == MONDAY_9 + timedelta(days=1, hours=3)


def test_another_calendars_timers_do_not_move(now, office, policy, manager, customer_1):
    other = calendar_save(
        name="Other",
        timezone="UTC",
        always_open=False,
        weekly_hours=WEEKDAYS_9_TO_17,
        is_default=False,
        actor=manager,
    )
    conversation = create(customer_1)
    before = {t.pk: (t.due_at, t.warn_at) for t in SlaTimer.objects.all()}
    now.advance(hours=1)
    _edit_hours(other, manager, {"mon": [["09:00", "10:00"]]})
    assert {t.pk: (t.due_at, t.warn_at) for t in SlaTimer.objects.all()} == before
    assert conversation.sla_timers.count() == 2


def test_policy_target_edit_retargets_running_and_paused_timers(
    now, office, policy, manager, customer_1, customer_2, agent_a, actor_of
):
    running = create(customer_1)
    paused = create(customer_2)
    now.advance(hours=1)
    conv.message_reply(conversation=paused, body="Hi", actor=actor_of(agent_a))
    conv.conversation_set_status(
        conversation=paused, status=Status.PENDING, actor=actor_of(agent_a)
    )
    policy_save(
        policy=policy,
        name="Business",
        first_response_minutes=120,  # 4 h -> 2 h
        resolution_minutes=8 * 60,  # 16 h -> 8 h
        business_time=True,
        warn_percent=50,
        actor=manager,
    )
    first = timers(running)[TimerKind.FIRST_RESPONSE]
    assert (first.target_seconds, first.state) == (7200, TimerState.RUNNING)
    assert first.due_at == MONDAY_9 + 2 * HOUR  # 1 h used of 2
    assert first.warn_at == MONDAY_9 + HOUR
    resolution = timers(paused)[TimerKind.RESOLUTION]
    assert resolution.state == TimerState.PAUSED
    assert resolution.remaining_seconds == 7 * 3600  # 1 h used of 8
    assert Conversation.objects.get(pk=running.pk).sla_due_at == MONDAY_9 + 2 * HOUR
    assert Conversation.objects.get(pk=paused.pk).sla_due_at is None


def test_policy_switch_to_calendar_time_moves_the_deadline(
    now, office, policy, manager, customer_1
):
    conversation = create(customer_1)
    now.advance(hours=7)  # Monday 16:00: resolution 7 of 16 business hours used
    policy_save(
        policy=policy,
        name="Business",
        first_response_minutes=240,
        resolution_minutes=16 * 60,
        business_time=False,
        warn_percent=50,
        actor=manager,
    )
    resolution = timers(conversation)[TimerKind.RESOLUTION]
    assert resolution.business_time is False
    assert resolution.due_at == now.at + 9 * HOUR


def test_policy_edit_leaves_breached_timers_breached(now, office, policy, manager, customer_1):
    from kefu.sla.worker import sla_evaluate

    conversation = create(customer_1)
    now.advance(hours=5)
    sla_evaluate(now=now.at)
    first = timers(conversation)[TimerKind.FIRST_RESPONSE]
    assert first.state == TimerState.BREACHED
    breached = (first.due_at, first.breached_at)
    policy_save(
        policy=policy,
        name="Business",
        first_response_minutes=600,
        resolution_minutes=16 * 60,
        business_time=True,
        warn_percent=50,
        actor=manager,
    )
    first.refresh_from_db()
    assert first.state == TimerState.BREACHED
    assert (first.due_at, first.breached_at) == breached
