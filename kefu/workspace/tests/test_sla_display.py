"""SLA deadlines in the workspace: the inbox column and sort, the conversation page's timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from kefu.conversations.models import Conversation
from kefu.core import clock
from kefu.sla.display import deadline, paused, span
from kefu.sla.services import policy_save
from kefu.sla.worker import sla_evaluate
from kefu.testing import factories
from kefu.workspace.tests.conftest import login, refs

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    state = {"at": T0}
    monkeypatch.setattr(clock, "now", lambda: state["at"])
    return state


def test_deadline_texts_and_colours():
    assert span(59) == "0 min"
    assert span(2 * 3600 + 15 * 60) == "2 h 15 min"
    assert span(3 * 86400 + 4 * 3600) == "3 d 4 h"
    soon = deadline(T0 + timedelta(minutes=35), T0)
    assert (soon.text, soon.css) == ("35 min left", "sla-soon")
    assert deadline(T0 + timedelta(hours=5), T0).css == "sla-ok"
    late = deadline(T0 - timedelta(minutes=90), T0)
    assert (late.text, late.css) == ("overdue by 1 h 30 min", "sla-overdue")
    assert deadline(None, T0) is None
    with translation.override("zh-hans"):
        assert deadline(T0 - timedelta(minutes=5), T0).text == "已超时 5 分钟"


def test_inbox_shows_time_left_and_sorts_by_the_deadline(now, supervisor, actor_of, customer_1):
    manager = actor_of(supervisor)
    policy_save(
        name="Urgent",
        position=0,
        priorities=[3],
        first_response_minutes=30,
        business_time=False,
        actor=manager,
    )
    policy_save(
        name="Rest",
        position=1,
        priorities=[1],
        first_response_minutes=240,
        business_time=False,
        actor=manager,
    )
    contact = customer_1.contact
    relaxed = factories.ConversationFactory(contact=contact, subject="Relaxed", priority=1)
    now["at"] = T0 + timedelta(minutes=10)
    urgent = factories.ConversationFactory(contact=contact, subject="Urgent one", priority=3)
    untimed = factories.ConversationFactory(contact=contact, subject="Untimed", priority=0)
    now["at"] = T0 + timedelta(minutes=50)  # urgent is 10 minutes overdue
    client = login(supervisor)
    response = client.get("/agent/", {"view": "all", "sort": "sla"})
    # the most urgent first; a conversation without a deadline last
    assert refs(response) == [urgent.reference, relaxed.reference, untimed.reference]
    html = response.content.decode()
    assert "overdue by 10 min" in html
    assert "3 h 10 min left" in html
    assert 'class="ws-sla sla-overdue"' in html
    everything = client.get("/agent/", {"view": "all"})
    assert untimed.reference in refs(everything)
    assert Conversation.objects.get(pk=untimed.pk).sla_due_at is None


def test_conversation_page_lists_each_timer(now, supervisor, actor_of, customer_1):
    policy_save(
        name="All",
        first_response_minutes=30,
        resolution_minutes=600,
        business_time=False,
        actor=actor_of(supervisor),
    )
    conversation = factories.ConversationFactory(contact=customer_1.contact)
    now["at"] = T0 + timedelta(minutes=31)
    sla_evaluate(now=now["at"])
    html = login(supervisor).get(f"/agent/c/{conversation.pk}/").content.decode()
    assert "Service level" in html
    assert "First response" in html
    assert "Breached" in html
    assert "overdue by 1 min" in html
    assert "Resolution" in html
    assert "9 h 29 min left" in html
    assert "SLA target missed: First response." in html  # the timeline entry


def test_a_pending_conversation_shows_its_paused_time_left_and_sorts_after_running_deadlines(
    now, supervisor, agent_a, actor_of, customer_1
):
    from kefu.conversations.models import Status
    from kefu.conversations.services import conversation_set_status, message_reply

    policy_save(
        name="All",
        first_response_minutes=30,
        resolution_minutes=600,
        business_time=False,
        actor=actor_of(supervisor),
    )
    contact = customer_1.contact
    waiting = factories.ConversationFactory(contact=contact, subject="Waiting on customer")
    now["at"] = T0 + timedelta(minutes=10)
    message_reply(conversation=waiting, body="Can you send the TXID?", actor=actor_of(agent_a))
    conversation_set_status(conversation=waiting, status=Status.PENDING, actor=actor_of(agent_a))
    running = factories.ConversationFactory(contact=contact, subject="Running")
    now["at"] = T0 + timedelta(hours=5)  # the paused clock does not move
    client = login(supervisor)
    response = client.get("/agent/", {"view": "all", "sort": "sla"})
    # running deadlines first; paused (no running deadline) after them
    assert refs(response)[:2] == [running.reference, waiting.reference]
    html = response.content.decode()
    assert "paused, 9 h 50 min left" in html  # 10 of the 600 resolution minutes used
    assert '<span class="ws-sla sla-paused">' in html
    # The conversation page: the paused timer's time left, not its pre-pause deadline.
    page = client.get(f"/agent/c/{waiting.pk}/").content.decode()
    assert "paused, 9 h 50 min left" in page
    assert "Due 2026-12-07 19:00" not in page  # T0 + 600 min: the deadline before the pause
    with translation.override("zh-hans"):
        assert paused(3 * 3600 + 600).text == "已暂停，剩余 3 小时 10 分钟"
