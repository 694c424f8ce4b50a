"""The SLA worker: warnings to the assignee, breaches to supervisors, automatic escalation,
each exactly once, also with two workers at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from kefu.accounts.models import Role
from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import TimelineEntry, TimelineKind
from kefu.core import clock
from kefu.ops import periodic
from kefu.sla.models import SlaAlert, SlaTimer, TimerKind, TimerState
from kefu.sla.services import policy_save
from kefu.sla.worker import sla_evaluate
from kefu.testing import factories

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _policy(manager, **kwargs):
    values = {
        "name": "All",
        "first_response_minutes": 60,
        "resolution_minutes": 600,
        "business_time": False,
        **kwargs,
    }
    return policy_save(actor=manager, **values)


def test_the_worker_job_is_scheduled():
    assert "kefu.sla.tasks.evaluate_sla_timers" in {job.task for job in periodic.SCHEDULE}


def test_warning_notifies_the_assignee_once(manager, customer_1, agent_a, team_a, actor_of):
    _policy(manager)
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    conv.conversation_assign(conversation=conversation, assignee=agent_a, actor=actor_of(agent_a))
    first = SlaTimer.objects.get(conversation=conversation, kind=TimerKind.FIRST_RESPONSE)
    started = first.started_at
    assert sla_evaluate(now=started + timedelta(minutes=47)).warned == []
    result = sla_evaluate(now=started + timedelta(minutes=48))
    assert result.warned == [first.pk]
    assert result.breached == []
    assert list(SlaAlert.objects.values_list("recipient_id", "kind", "timer_id")) == [
        (agent_a.pk, "warning", first.pk)
    ]
    entry = TimelineEntry.objects.get(conversation=conversation, kind=TimelineKind.SLA)
    assert entry.data == {"event": "warning", "timer": first.pk, "timer_kind": "first_response"}
    assert AuditEntry.objects.filter(action="sla.warned").count() == 1
    # Nothing twice.
    again = sla_evaluate(now=started + timedelta(minutes=50))
    assert (again.warned, again.breached) == ([], [])
    assert SlaAlert.objects.count() == 1


def test_breach_notifies_the_teams_supervisors_and_can_escalate(
    manager, customer_1, team_a, actor_of
):
    team_supervisor = factories.StaffFactory(
        email="lead.a@kefu.test", role=Role.SUPERVISOR, teams=[team_a]
    )
    _policy(manager, escalate_on_breach=True)
    conversation = factories.ConversationFactory(contact=customer_1.contact, team=team_a)
    first = SlaTimer.objects.get(conversation=conversation, kind=TimerKind.FIRST_RESPONSE)
    at = first.due_at + timedelta(seconds=1)
    result = sla_evaluate(now=at)
    # Past its deadline and its warning at once: breached, and not warned afterwards.
    assert result.breached == [first.pk]
    assert result.warned == []
    assert result.escalated == [conversation.pk]
    first.refresh_from_db()
    assert (first.state, first.breached_at) == (TimerState.BREACHED, at)
    recipients = set(SlaAlert.objects.filter(kind="breach").values_list("recipient_id", flat=True))
    assert recipients == {team_supervisor.pk}  # the team's supervisor, not every supervisor
    conversation.refresh_from_db()
    assert conversation.tier == 2
    assert TimelineEntry.objects.filter(
        conversation=conversation, kind=TimelineKind.ESCALATION, data__reason="SLA deadline missed"
    ).exists()
    # The conversation still shows the missed deadline until someone answers.
    assert conversation.sla_due_at == first.due_at
    assert sla_evaluate(now=at + timedelta(minutes=5)).breached == []


def test_breach_without_a_team_supervisor_notifies_every_supervisor(
    manager, customer_1, supervisor
):
    _policy(manager)
    factories.ConversationFactory(contact=customer_1.contact)
    first = SlaTimer.objects.get(kind=TimerKind.FIRST_RESPONSE)
    sla_evaluate(now=first.due_at)
    assert list(SlaAlert.objects.values_list("recipient_id", flat=True)) == [supervisor.pk]


def test_paused_timers_are_not_evaluated(manager, customer_1, agent_a, actor_of):
    _policy(manager)
    conversation = factories.ConversationFactory(contact=customer_1.contact)
    conv.message_reply(
        conversation=conversation, body="Your ID?", actor=actor_of(agent_a), set_status="pending"
    )
    resolution = SlaTimer.objects.get(kind=TimerKind.RESOLUTION)
    assert resolution.state == TimerState.PAUSED
    result = sla_evaluate(now=resolution.started_at + timedelta(days=30))
    assert (result.warned, result.breached) == ([], [])


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_act_on_each_timer_once(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims are a PostgreSQL property (SQLite has one writer)")
    supervisor = factories.StaffFactory(email="sup@kefu.test", role=Role.SUPERVISOR)
    from kefu.accounts.services import actor_for_user

    _policy(actor_for_user(supervisor))
    for _ in range(60):
        factories.ConversationFactory()
    ids = set(SlaTimer.objects.values_list("pk", flat=True))
    later = clock.now() + timedelta(days=2)
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(sla_evaluate(now=later, batch=7))
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    breached = [timer for result in results for timer in result.breached]
    assert len(results) == 2
    assert sorted(breached) == sorted(ids)  # every timer, each by exactly one worker
    assert SlaAlert.objects.count() == len(ids)
    assert TimelineEntry.objects.filter(kind=TimelineKind.SLA).count() == len(ids)


@pytest.mark.django_db(transaction=True)
def test_parallel_connections_share_one_evaluation_and_act_on_each_timer_once(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("parallel claims need PostgreSQL (SQLite has one writer)")
    from kefu.sla import worker

    supervisor = factories.StaffFactory(email="sup@kefu.test", role=Role.SUPERVISOR)
    from kefu.accounts.services import actor_for_user

    _policy(actor_for_user(supervisor))
    for _ in range(40):
        factories.ConversationFactory()
    ids = set(SlaTimer.objects.values_list("pk", flat=True))
    threads: set[str] = set()
    claim = worker._claim_and_act_postgres
    started = threading.Barrier(3)
    waited: set[str] = set()

    def spy(*args, **kwargs):
        # Every connection's first claim starts together: each then takes its own batch.
        if threading.current_thread().name not in waited:
            waited.add(threading.current_thread().name)
            started.wait(timeout=30)
        claimed = claim(*args, **kwargs)
        if claimed:
            threads.add(threading.current_thread().name)
        return claimed

    monkeypatch.setattr(worker, "_claim_and_act_postgres", spy)
    result = sla_evaluate(now=clock.now() + timedelta(days=2), batch=5, parallel=3)
    assert result.breached == sorted(ids)  # every timer once, whichever connection took it
    # The pool's connections did the work (a connection whose first claim raced the others'
    # may come back empty and stop: every timer is still acted on exactly once).
    assert threads
    assert all(name.startswith("sla") for name in threads)
    assert SlaAlert.objects.count() == len(ids)
    assert TimelineEntry.objects.filter(kind=TimelineKind.SLA).count() == len(ids)
    monkeypatch.setattr(worker, "_claim_and_act_postgres", claim)
    assert sla_evaluate(now=clock.now() + timedelta(days=3), parallel=3).breached == []
