"""Automation rules: conditions, actions through the usual services with the rule as actor,
once per conversation and trigger, loop-safe, evaluated on events and periodically."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.automation.models import AutomationRule, RuleFiring, Trigger
from kefu.automation.services import automation_evaluate, automation_waiting_due
from kefu.automation.tasks import evaluate_waiting_rules
from kefu.conversations import services as conv
from kefu.conversations.models import (
    Category,
    Channel,
    Message,
    MessageKind,
    Priority,
    TimelineEntry,
)
from kefu.core import clock
from kefu.testing import factories


@pytest.fixture
def urgent_tag(db):
    return factories.TagFactory(name="urgent-withdrawal")


@pytest.fixture
def rule(urgent_tag, team_b):
    return AutomationRule.objects.create(
        name="Stuck withdrawals",
        trigger=Trigger.CREATED,
        category=Category.WITHDRAWAL,
        text_contains="stuck",
        add_tag=urgent_tag,
        set_priority=Priority.URGENT,
        route_to_team=team_b,
        notify="Check the hot wallet queue.",
    )


def _conv(customer, **kwargs):
    return factories.ConversationFactory(contact=customer.contact, **kwargs)


def test_matching_rule_applies_its_actions_as_the_rule(rule, customer_1, team_b, urgent_tag):
    conversation = _conv(
        customer_1, category=Category.WITHDRAWAL, body="My USDT withdrawal is STUCK for hours"
    )
    assert automation_evaluate(conversation=conversation, trigger=Trigger.CREATED) == [
        "Stuck withdrawals"
    ]
    conversation.refresh_from_db()
    assert conversation.priority == Priority.URGENT
    assert conversation.team == team_b
    assert list(conversation.tags.all()) == [urgent_tag]
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert note.body == "[Stuck withdrawals] Check the hot wallet queue."
    # The timeline names the rule as the actor of each change; the audit rows are written in
    # the same transaction as the automation.fired row that names it.
    labels = set(
        TimelineEntry.objects.filter(conversation=conversation, actor_kind="system")
        .exclude(kind="created")
        .values_list("actor_label", flat=True)
    )
    assert labels == {"rule: Stuck withdrawals"}
    fired = AuditEntry.objects.get(action="automation.fired")
    assert fired.data["name"] == "Stuck withdrawals"
    assert fired.data["actions"] == ["tag", "priority", "team", "notify"]
    rows = AuditEntry.objects.filter(object_id=str(conversation.pk), actor_kind="system")
    assert set(rows.values_list("action", flat=True)) >= {
        "conversation.tags_changed",
        "conversation.priority_changed",
        "conversation.team_changed",
        "note.added",
        "automation.fired",
    }


def test_rule_fires_once_per_conversation_and_trigger(rule, customer_1):
    conversation = _conv(customer_1, category=Category.WITHDRAWAL, body="stuck")
    automation_evaluate(conversation=conversation, trigger=Trigger.CREATED)
    conv.conversation_set_priority(
        conversation=conversation, priority=Priority.LOW, actor=factories_actor()
    )
    assert automation_evaluate(conversation=conversation, trigger=Trigger.CREATED) == []
    conversation.refresh_from_db()
    assert conversation.priority == Priority.LOW  # not set again
    assert RuleFiring.objects.count() == 1


def factories_actor():
    from kefu.core.actor import Actor

    return Actor.system("test")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"category": Category.DEPOSIT, "body": "stuck"},
        {"category": Category.WITHDRAWAL, "body": "all fine"},
        {"category": Category.WITHDRAWAL, "body": "stuck", "channel": Channel.EMAIL},
    ],
)
def test_non_matching_conditions_do_nothing(rule, customer_1, kwargs):
    rule.channel = Channel.WEB
    rule.save()
    conversation = _conv(customer_1, **kwargs)
    assert automation_evaluate(conversation=conversation, trigger=Trigger.CREATED) == []
    assert not AuditEntry.objects.filter(action="automation.fired").exists()


def test_vip_language_and_tag_conditions(customer_1, urgent_tag, db):
    vip_rule = AutomationRule.objects.create(
        name="VIP Chinese",
        trigger=Trigger.CUSTOMER_MESSAGE,
        vip_only=True,
        language="zh",
        has_tag=urgent_tag,
        set_priority=Priority.HIGH,
    )
    conversation = _conv(customer_1, language="zh-hans")
    conversation.tags.add(urgent_tag)
    assert automation_evaluate(conversation=conversation, trigger=Trigger.CUSTOMER_MESSAGE) == []
    contact = customer_1.contact
    contact.vip_tier = 2
    contact.save(update_fields=["vip_tier"])
    assert automation_evaluate(conversation=conversation, trigger=Trigger.CUSTOMER_MESSAGE) == [
        vip_rule.name
    ]


def test_events_enqueue_evaluation_after_commit(
    rule, customer_1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _conv(customer_1, category=Category.WITHDRAWAL, body="stuck again")
    conversation.refresh_from_db()
    assert conversation.priority == Priority.URGENT


def test_waiting_rule_fires_from_the_periodic_job(customer_1, monkeypatch, db):
    AutomationRule.objects.create(
        name="Waiting 30 min",
        trigger=Trigger.WAITING,
        waiting_minutes=30,
        set_priority=Priority.HIGH,
    )
    conversation = _conv(customer_1)
    assert automation_waiting_due() == []
    later = clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert automation_waiting_due() == [conversation.pk]
    evaluate_waiting_rules.call()
    conversation.refresh_from_db()
    assert conversation.priority == Priority.HIGH
    assert automation_waiting_due() == []  # fired: not picked again


def test_backoffice_creates_a_rule_audited(supervisor, agent_a, team_a):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(supervisor, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("automation:rule_create"),
        {
            "name": "KYC to team A",
            "is_active": "on",
            "position": "10",
            "trigger": "created",
            "category": "kyc",
            "route_to_team": str(team_a.pk),
        },
    )
    assert response.status_code == 302
    rule = AutomationRule.objects.get(name="KYC to team A")
    assert rule.route_to_team == team_a
    assert AuditEntry.objects.filter(action="automation.rule_created").count() == 1
    # A rule without an action is refused; agents cannot reach the page.
    response = client.post(
        reverse("automation:rule_create"),
        {"name": "Nothing", "position": "1", "trigger": "created"},
    )
    assert response.status_code == 200
    assert not AutomationRule.objects.filter(name="Nothing").exists()
    agent = Client()
    agent.force_login(agent_a, backend="django.contrib.auth.backends.ModelBackend")
    assert agent.get(reverse("automation:rule_list")).status_code == 404
