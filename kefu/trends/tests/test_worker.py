"""The trend job end to end on the database: tally, detect, alert once, push, prune."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import Role
from kefu.audit.models import AuditEntry
from kefu.realtime.events import TrendAlertsRaised
from kefu.testing import factories
from kefu.testing.callbacks import published
from kefu.trends.models import TrendAlert, TrendCount, TrendMember, TrendPolicy, TrendState
from kefu.trends.worker import trends_run

from .conftest import HOUR, NOW, make_conversation

pytestmark = pytest.mark.django_db
SPIKE_KEY = "t:TRC20|i:withdrawal_status|l:zh"


def _spike(contact, n: int, minute: int = 10) -> list[int]:
    return [
        make_conversation(HOUR + timedelta(minutes=minute), contact=contact).pk for _ in range(n)
    ]


def test_counts_each_new_conversation_once_under_its_keys(history):
    trends_run(now=NOW)
    trends_run(now=NOW)  # nothing new: nothing counted twice
    day_before = HOUR - timedelta(days=1)
    counts = dict(TrendCount.objects.filter(hour=day_before).values_list("key", "count"))
    assert counts[SPIKE_KEY] == 2
    assert counts["t:TRC20"] == 2
    assert counts["t:USDT"] == 2
    assert counts["i:withdrawal_status|l:zh|c:web"] == 2
    assert counts["i:two_factor|l:en|c:web"] == 1
    assert TrendState.objects.get().last_conversation_id > 0


def test_a_spike_raises_one_alert_and_tells_every_supervisor_and_admin(
    history, supervisor, admin_user, agent_a, django_capture_on_commit_callbacks
):
    ids = _spike(history, 12)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = trends_run(now=NOW)
    alert = TrendAlert.objects.get(key=SPIKE_KEY)
    assert alert.window_start == HOUR
    assert alert.count == 12
    assert alert.baseline == 2
    assert alert.increase_percent == 500
    assert alert.pk in result.new_alerts
    # The plain intent key and the term key spiked too; the 2FA key did not.
    keys = set(TrendAlert.objects.values_list("key", flat=True))
    assert {"t:TRC20", "t:USDT", "i:withdrawal_status|l:zh|c:web"} <= keys
    assert not any("two_factor" in k for k in keys)
    assert set(
        TrendMember.objects.filter(key=SPIKE_KEY, hour=HOUR).values_list(
            "conversation_id", flat=True
        )
    ) == set(ids)
    entry = AuditEntry.objects.get(action="trends.alerted")
    assert set(entry.data["alerts"]) == set(result.new_alerts)
    pushes = [e for e in published(callbacks) if isinstance(e, TrendAlertsRaised)]
    assert {e.recipient_id for e in pushes} == {supervisor.pk, admin_user.pk}
    assert {e.open for e in pushes} == {len(keys)}


def test_an_alert_is_raised_once_per_key_and_hour(history, supervisor):
    contact = history
    _spike(contact, 12)
    first = trends_run(now=NOW)
    _spike(contact, 5, minute=30)
    second = trends_run(now=NOW + timedelta(minutes=15))
    assert second.new_alerts == []
    assert TrendAlert.objects.filter(key=SPIKE_KEY).count() == 1
    assert TrendAlert.objects.get(key=SPIKE_KEY).count == 17  # the numbers follow the spike
    assert TrendAlert.objects.get(key=SPIKE_KEY).pk in second.updated_alerts
    assert AuditEntry.objects.filter(action="trends.alerted").count() == 1
    assert first.new_alerts


def test_usual_numbers_raise_nothing(history):
    _spike(history, 3)
    assert trends_run(now=NOW).new_alerts == []
    assert not TrendAlert.objects.exists()


def test_a_small_burst_under_the_minimum_count_raises_nothing(history):
    policy = TrendPolicy.current()
    policy.min_count = 20
    policy.save()
    _spike(history, 12)
    assert trends_run(now=NOW).new_alerts == []
    assert not AuditEntry.objects.filter(action="trends.alerted").exists()


def test_without_history_nothing_alerts(db):
    # A new installation: the current hour is all there is; unknown history is not zero.
    contact = factories.ContactFactory()
    _spike(contact, 15)
    assert trends_run(now=NOW).new_alerts == []


def test_a_disabled_policy_counts_but_does_not_alert(history):
    TrendPolicy.objects.update_or_create(pk=1, defaults={"enabled": False})
    _spike(history, 12)
    result = trends_run(now=NOW)
    assert result.counted > 0
    assert result.new_alerts == []


def test_old_rows_are_pruned(history):
    trends_run(now=NOW)
    later = NOW + timedelta(days=40)
    trends_run(now=later)
    assert not TrendCount.objects.filter(hour__lt=later - timedelta(days=29)).exists()
    assert not TrendMember.objects.filter(hour__lt=later - timedelta(days=3)).exists()


def test_the_assistant_sessions_intent_wins_over_the_model(db):
    from kefu.assistant.models import AssistantSession

    conversation = make_conversation(HOUR)
    AssistantSession.objects.create(
        conversation=conversation, last_intent="card", created_at=NOW, updated_at=NOW
    )
    trends_run(now=NOW)
    assert TrendCount.objects.filter(key="i:card|l:zh|c:web", hour=HOUR, count=1).exists()


def test_the_job_is_on_the_schedule():
    from kefu.ops.periodic import SCHEDULE

    (job,) = [j for j in SCHEDULE if j.name == "trends.evaluate"]
    assert job.task == "kefu.trends.tasks.evaluate_trends"


def test_recipients_are_active_supervisors_and_admins_only(supervisor, admin_user, agent_a):
    from kefu.trends.worker import recipients

    factories.StaffFactory(role=Role.SUPERVISOR, is_active=False)
    assert set(recipients()) == {supervisor.pk, admin_user.pk}


def test_a_run_that_overlapped_another_counts_nothing_twice(history, monkeypatch):
    from kefu.trends import worker

    trends_run(now=NOW)  # the history is counted; nothing yet in HOUR
    _spike(history, 3)
    real = worker.trend_keys.extract_terms

    def meanwhile(*texts):
        # Another run counts the same batch while this one is still classifying.
        TrendState.objects.update(last_conversation_id=10**9)
        return real(*texts)

    monkeypatch.setattr(worker.trend_keys, "extract_terms", meanwhile)
    assert worker.tally(now=NOW, policy=TrendPolicy.current()) == 0
    assert not TrendCount.objects.filter(hour=HOUR).exists()
    assert not TrendMember.objects.filter(hour=HOUR).exists()
    assert TrendState.objects.get().last_conversation_id == 10**9
