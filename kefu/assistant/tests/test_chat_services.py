"""The assistant in live chat: turns, idempotency, buttons, hand-off, take-over and outcomes.

The dialogue is replaced by a scripted ``respond`` (its own tests live in test_dialogue*.py):
these tests are about what the chat integration does with a Turn.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kefu.accounts.models import AgentPresence
from kefu.accounts.services import presence_set
from kefu.assistant import chat, services
from kefu.assistant.dialogue import Button, Citation, Handoff, Turn
from kefu.assistant.models import AssistantSession, HandoffRoute, Outcome
from kefu.assistant.tasks import assistant_reply, close_idle_assistant_sessions
from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import (
    AuthorKind,
    Conversation,
    Message,
    MessageKind,
    Priority,
    Status,
)
from kefu.core import clock
from kefu.core.actor import ActorKind
from kefu.core.errors import ValidationFailed
from kefu.inbox.adapters.webchat import availability as availability_module
from kefu.inbox.adapters.webchat.services import (
    chat_message_send,
    visitor_actor,
    visitor_start,
)
from kefu.inbox.models import ChatSite
from kefu.realtime.payloads import message_for_customer

pytestmark = pytest.mark.django_db

HOWTO = Turn(
    text="Open Assets → Deposit, choose USDT and the network, then send to the address shown.",
    language="en",
    intent="deposit_howto",
    confidence=0.93,
    citations=(Citation(title="How to deposit crypto", url="/help/en/articles/deposit/"),),
    buttons=(
        Button(label="Yes, thanks", payload="resolved:yes"),
        Button(label="No", payload="resolved:no"),
        Button(label="Talk to a person", payload="handoff"),
    ),
    state={"step": "answered", "intent": "deposit_howto"},
)


def _handoff_turn(*, urgent=False, intent="security", text="", language="en") -> Turn:
    return Turn(
        text=text,
        language=language,
        intent=intent,
        confidence=0.9,
        handoff=Handoff(
            intent=intent,
            language=language,
            urgent=urgent,
            summary=f"Customer asks about {intent}; tried the help article.",
            reason="asked",
        ),
        state={"step": "handed_off"},
    )


class Script:
    """A scripted dialogue: returns the queued turns in order and records every call."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return self.turns.pop(0) if self.turns else HOWTO


@pytest.fixture
def script(monkeypatch):
    fake = Script()
    monkeypatch.setattr(chat, "_respond", fake)
    return fake


@pytest.fixture
def site(team_a):
    return ChatSite.objects.create(
        name="Assistant site", key="assistant-site", team=team_a, assistant_first=True
    )


def _online(user, actor_of):
    presence_set(user=user, status="online", actor=actor_of(user))
    AgentPresence.objects.filter(user=user).update(last_seen_at=clock.now())


def _visitor(site, language="en"):
    return visitor_start(site=site, identity=None, token=None, language=language)


def _say(capture, visitor, body, key, conversation_id=None):
    with capture(execute=True):
        message, _ = chat_message_send(
            visitor=visitor,
            key=key,
            body=body,
            conversation_id=conversation_id,
            actor=visitor_actor(visitor),
        )
    return message


def _public(conversation_id):
    return list(
        Message.objects.filter(conversation_id=conversation_id, kind=MessageKind.REPLY).order_by(
            "public_seq"
        )
    )


def test_new_chat_is_answered_by_the_assistant_and_not_assigned(
    site, script, agent_a, actor_of, django_capture_on_commit_callbacks
):
    _online(agent_a, actor_of)
    visitor = _visitor(site)
    message = _say(
        django_capture_on_commit_callbacks, visitor, "how do I deposit USDT", "first-0001"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.assignee_id is None  # the assistant has it, not agent_a
    session = AssistantSession.objects.get(conversation=conversation)
    assert session.active
    assert session.turns == 1
    assert session.answered
    assert session.last_intent == "deposit_howto"
    assert session.state == {"step": "answered", "intent": "deposit_howto"}
    assert session.last_message_id == message.pk
    call = script.calls[0]
    assert call["text"] == "how do I deposit USDT"
    assert call["payload"] == ""
    assert call["context"].contact is None  # anonymous visitor: no fund lookups
    assert call["context"].conversation_id == conversation.pk
    assert call["context"].language_hint == "en"
    assert call["actor"].kind == ActorKind.ASSISTANT
    customer, reply = _public(conversation.pk)
    assert customer.author_kind == AuthorKind.CUSTOMER
    assert reply.author_kind == AuthorKind.ASSISTANT
    shaped = message_for_customer(reply)
    assert shaped["author"] == "assistant"
    assert shaped["citations"] == [
        {"title": "How to deposit crypto", "url": "/help/en/articles/deposit/"}
    ]
    assert [a["payload"] for a in shaped["actions"]] == ["resolved:yes", "resolved:no", "handoff"]
    assert message_for_customer(customer)["actions"] == []
    assert AuditEntry.objects.filter(action="assistant.turn").count() == 1


def test_site_without_the_assistant_routes_to_an_agent_as_before(
    team_a, script, agent_a, actor_of, django_capture_on_commit_callbacks
):
    plain = ChatSite.objects.create(name="Plain", key="plain-site", team=team_a)
    assert plain.assistant_first is False  # off unless an admin turns it on
    _online(agent_a, actor_of)
    message = _say(django_capture_on_commit_callbacks, _visitor(plain), "hello", "plain-0001")
    assert Conversation.objects.get(pk=message.conversation_id).assignee_id == agent_a.pk
    assert not AssistantSession.objects.exists()
    assert script.calls == []


def test_a_retried_job_posts_the_answer_once(site, script, django_capture_on_commit_callbacks):
    message = _say(django_capture_on_commit_callbacks, _visitor(site), "deposit usdt", "retry-0001")
    assert len(_public(message.conversation_id)) == 2
    assistant_reply.call(message_id=message.pk, attempt=2)  # the same job again
    assert chat.run_turn(message_id=message.pk) is None
    assert len(_public(message.conversation_id)) == 2
    assert len(script.calls) == 1  # the dialogue was not even asked again
    assert AssistantSession.objects.get().turns == 1


def test_the_recorded_turn_is_idempotent_even_when_two_jobs_raced(site, script):
    # Both jobs ran the dialogue; only the first to take the session's lock posts.
    visitor = _visitor(site)
    message, _ = chat_message_send(
        visitor=visitor, key="race-00001", body="hi", actor=visitor_actor(visitor)
    )
    services.assistant_session_start(
        conversation=message.conversation, actor=chat.assistant_actor()
    )
    first = services.assistant_turn_record(
        message=message, turn=HOWTO, site=site, actor=chat.assistant_actor()
    )
    second = services.assistant_turn_record(
        message=message, turn=HOWTO, site=site, actor=chat.assistant_actor()
    )
    assert first is not None
    assert second is None
    assert Message.objects.filter(author_kind=AuthorKind.ASSISTANT).count() == 1


def test_a_button_press_becomes_a_customer_message_with_its_payload(
    site, script, django_capture_on_commit_callbacks
):
    visitor = _visitor(site)
    first = _say(django_capture_on_commit_callbacks, visitor, "deposit usdt", "button-0001")
    script.turns.append(
        Turn(
            text="Glad I could help!",
            language="en",
            intent="deposit_howto",
            confidence=1.0,
            outcome="resolved",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        choice, created = chat.choose(
            visitor=visitor,
            key="button-0002",
            conversation_id=first.conversation_id,
            payload="resolved:yes",
            actor=visitor_actor(visitor),
        )
    assert created
    assert choice.author_kind == AuthorKind.CUSTOMER
    assert choice.body == "Yes, thanks"  # the label the server offered, not client text
    assert choice.metadata == {"assistant_payload": "resolved:yes"}
    assert script.calls[-1]["payload"] == "resolved:yes"
    assert script.calls[-1]["state"] == {"step": "answered", "intent": "deposit_howto"}
    # The same key again stores nothing new.
    again, created = chat.choose(
        visitor=visitor,
        key="button-0002",
        conversation_id=first.conversation_id,
        payload="resolved:yes",
        actor=visitor_actor(visitor),
    )
    assert again.pk == choice.pk
    assert not created
    session = AssistantSession.objects.get()
    assert session.outcome == Outcome.RESOLVED
    assert not session.active
    assert Conversation.objects.get(pk=first.conversation_id).status == Status.SOLVED


def test_a_payload_that_was_not_offered_is_refused_and_nothing_is_stored(
    site, script, django_capture_on_commit_callbacks
):
    visitor = _visitor(site)
    first = _say(django_capture_on_commit_callbacks, visitor, "deposit usdt", "forged-0001")
    before = Message.objects.count()
    with pytest.raises(ValidationFailed):
        chat.choose(
            visitor=visitor,
            key="forged-0002",
            conversation_id=first.conversation_id,
            payload="tx:someone-elses-record",
            actor=visitor_actor(visitor),
        )
    assert Message.objects.count() == before
    assert len(script.calls) == 1


def _priority_rule(admin_user, actor_of, team, priority):
    from kefu.routing.services import routing_rule_save

    return routing_rule_save(
        name="security to B",
        position=1,
        intents=["security"],
        team=team,
        priority=priority,
        actor=actor_of(admin_user),
    )


def test_hand_off_applies_the_routing_rules_priority_raise(
    site, script, team_b, admin_user, actor_of, django_capture_on_commit_callbacks
):
    _priority_rule(admin_user, actor_of, team_b, Priority.HIGH)
    script.turns.append(_handoff_turn(urgent=False))
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site), "my account was hacked", "rule-0001"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert (conversation.team_id, conversation.priority) == (team_b.pk, Priority.HIGH)
    raised = AuditEntry.objects.get(action="conversation.priority_changed")
    assert raised.data == {"from": Priority.NORMAL, "to": Priority.HIGH}
    assert raised.object_id == str(conversation.pk)


def test_hand_off_rule_priority_never_lowers_an_urgent_hand_off(
    site, script, team_b, admin_user, actor_of, django_capture_on_commit_callbacks
):
    _priority_rule(admin_user, actor_of, team_b, Priority.HIGH)
    script.turns.append(_handoff_turn(urgent=True))
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site), "my account was hacked", "rule-0002"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert (conversation.team_id, conversation.priority) == (team_b.pk, Priority.URGENT)


def test_hand_off_is_timed_by_the_sla_policy_for_the_recognised_intent(
    site, script, admin_user, actor_of, django_capture_on_commit_callbacks
):
    from kefu.sla.models import SlaTimer, TimerKind
    from kefu.sla.services import policy_save

    manager = actor_of(admin_user)
    policy_save(
        name="Deposits",
        position=0,
        categories=["deposit"],
        first_response_minutes=15,
        business_time=False,
        actor=manager,
    )
    policy_save(
        name="Rest", position=1, first_response_minutes=240, business_time=False, actor=manager
    )
    script.turns.append(_handoff_turn(intent="deposit_missing"))
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site), "where is my deposit", "sla-0001"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.category == "other"  # a chat: no category chosen by the customer
    first = SlaTimer.objects.get(conversation=conversation, kind=TimerKind.FIRST_RESPONSE)
    assert (first.policy.name, first.target_seconds) == ("Deposits", 15 * 60)
    assert conversation.sla_due_at == first.due_at


def test_hand_off_without_a_matching_rule_keeps_the_priority(
    site, script, team_b, admin_user, actor_of, django_capture_on_commit_callbacks
):
    _priority_rule(admin_user, actor_of, team_b, Priority.HIGH)
    script.turns.append(_handoff_turn(urgent=False, intent="deposit_missing"))
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site), "where is my deposit", "rule-0003"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.priority == Priority.NORMAL
    assert conversation.team_id == site.team_id  # no rule, no route: the site's team
    assert not AuditEntry.objects.filter(action="conversation.priority_changed").exists()


def test_hand_off_routes_to_the_team_writes_the_note_and_tells_the_wait(
    site, script, team_b, agent_b, actor_of, django_capture_on_commit_callbacks
):
    HandoffRoute.objects.create(intent="security", language="*", team=team_b)
    _online(agent_b, actor_of)
    script.turns.append(_handoff_turn(urgent=True, text="I am bringing in a colleague."))
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site), "my account was hacked", "hand-0001"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.team_id == team_b.pk
    assert conversation.priority == Priority.URGENT
    assert conversation.assignee_id == agent_b.pk
    note = Message.objects.get(conversation=conversation, kind=MessageKind.NOTE)
    assert note.body.startswith("**Assistant hand-off summary**")
    assert "Customer asks about security" in note.body
    assert note.metadata["pinned"] is True
    assert note.public_seq is None
    session = AssistantSession.objects.get()
    assert (session.active, session.outcome, session.handoff_reason) == (
        False,
        Outcome.HANDED_OFF,
        "asked",
    )
    told = _public(conversation.pk)[-1]
    assert told.author_kind == AuthorKind.ASSISTANT
    assert told.body.startswith("I am bringing in a colleague.")
    assert agent_b.display_name in told.body
    assert AuditEntry.objects.filter(action="assistant_session.handed_off").count() == 1
    # The customer's next message goes to the people, not the assistant.
    calls = len(script.calls)
    visitor = message.conversation.contact.chat_visitors.get()
    _say(django_capture_on_commit_callbacks, visitor, "hello?", "hand-0003", conversation.pk)
    assert len(script.calls) == calls


def test_hand_off_without_a_route_goes_to_the_site_team_with_the_expected_wait(
    site, script, monkeypatch, django_capture_on_commit_callbacks
):
    def fake_availability(site, language, *, team=None):
        return {"expected_wait_seconds": 300, "email_followup": False, "team": team}

    monkeypatch.setattr(availability_module, "availability", fake_availability)
    script.turns.append(_handoff_turn(intent="kyc"))
    message = _say(django_capture_on_commit_callbacks, _visitor(site), "kyc rejected", "wait-0001")
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.team_id == site.team_id
    assert conversation.assignee_id is None  # nobody online
    told = _public(conversation.pk)[-1]
    assert "Expected wait: about 5 minutes." in told.body
    assert told.metadata["handoff"] == {"expected_wait_seconds": 300, "agent": False}


def test_the_most_specific_route_wins(team_a, team_b, db):
    from kefu.testing import factories

    team_c = factories.TeamFactory(name="Security desk")
    HandoffRoute.objects.create(intent="*", language="*", team=team_a)
    HandoffRoute.objects.create(intent="*", language="zh-hans", team=team_b)
    HandoffRoute.objects.create(intent="security", language="*", team=team_c)
    assert services.handoff_team("security", "zh-hans") == team_c
    assert services.handoff_team("kyc", "zh-hans") == team_b
    assert services.handoff_team("kyc", "en") == team_a
    HandoffRoute.objects.all().delete()
    assert services.handoff_team("kyc", "en") is None


def test_an_agent_reply_takes_the_chat_over(
    site, script, agent_a, actor_of, django_capture_on_commit_callbacks
):
    visitor = _visitor(site)
    message = _say(django_capture_on_commit_callbacks, visitor, "deposit usdt", "take-0001")
    conversation = Conversation.objects.get(pk=message.conversation_id)
    conv.message_reply(
        conversation=conversation, body="Lin here, I'll help.", actor=actor_of(agent_a)
    )
    session = AssistantSession.objects.get()
    assert (session.active, session.outcome, session.handoff_reason) == (
        False,
        Outcome.HANDED_OFF,
        "agent",
    )
    _say(
        django_capture_on_commit_callbacks,
        visitor,
        "thanks, and the fee?",
        "take-0002",
        conversation.pk,
    )
    assert len(script.calls) == 1  # the assistant stays quiet
    assert not Message.objects.filter(kind=MessageKind.NOTE).exists()


def test_coming_back_after_resolved_goes_to_a_person(
    site, script, django_capture_on_commit_callbacks
):
    visitor = _visitor(site)
    first = _say(django_capture_on_commit_callbacks, visitor, "deposit usdt", "back-0001")
    script.turns.append(
        Turn(
            text="Great!", language="en", intent="deposit_howto", confidence=1.0, outcome="resolved"
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        chat.choose(
            visitor=visitor,
            key="back-0002",
            conversation_id=first.conversation_id,
            payload="resolved:yes",
            actor=visitor_actor(visitor),
        )
    _say(
        django_capture_on_commit_callbacks,
        visitor,
        "it still has not arrived",
        "back-0003",
        first.conversation_id,
    )
    session = AssistantSession.objects.get()
    assert session.outcome == Outcome.HANDED_OFF
    assert session.handoff_reason == "returned"
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.status == Status.OPEN  # reopened by the customer
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.NOTE).count() == 1
    assert len(script.calls) == 2


def test_the_outcome_job_closes_idle_sessions(
    site, script, monkeypatch, django_capture_on_commit_callbacks
):
    answered = _say(django_capture_on_commit_callbacks, _visitor(site), "deposit usdt", "idle-0001")
    script.turns.append(
        Turn(
            text="Which one do you mean?",
            language="en",
            intent="other",
            confidence=0.4,
            buttons=(Button(label="Deposit", payload="intent:deposit_howto"),),
        )
    )
    unanswered = _say(django_capture_on_commit_callbacks, _visitor(site), "hmm", "idle-0002")
    fresh = _say(django_capture_on_commit_callbacks, _visitor(site), "deposit", "idle-0003")
    old = clock.now() - timedelta(minutes=31)
    for message in (answered, unanswered):
        AssistantSession.objects.filter(conversation_id=message.conversation_id).update(
            updated_at=old
        )
        Conversation.objects.filter(pk=message.conversation_id).update(last_activity_at=old)
    close_idle_assistant_sessions.call()
    states = {s.conversation_id: (s.active, s.outcome) for s in AssistantSession.objects.all()}
    assert states[answered.conversation_id] == (False, Outcome.RESOLVED)
    assert states[unanswered.conversation_id] == (False, Outcome.ABANDONED)
    assert states[fresh.conversation_id] == (True, "")
    assert (
        AssistantSession.objects.get(conversation_id=unanswered.conversation_id).clarifications == 1
    )
    assert Conversation.objects.get(pk=answered.conversation_id).status == Status.SOLVED


def test_the_periodic_schedule_runs_the_outcome_job():
    from kefu.ops.periodic import SCHEDULE

    job = next(j for j in SCHEDULE if j.name == "assistant.close_idle")
    assert job.task == "kefu.assistant.tasks.close_idle_assistant_sessions"


def test_hand_off_routes_are_admin_policy(team_a, agent_a, admin_user, actor_of):
    from kefu.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.handoff_route_save(
            intent="kyc", language="*", team=team_a, actor=actor_of(agent_a)
        )
    route = services.handoff_route_save(
        intent="kyc", language="", team=team_a, actor=actor_of(admin_user)
    )
    assert (route.intent, route.language) == ("kyc", "*")
    assert AuditEntry.objects.filter(action="assistant_route.created").count() == 1
    services.handoff_route_delete(route=route, actor=actor_of(admin_user))
    assert not HandoffRoute.objects.exists()


def test_a_reply_the_outbound_guard_refuses_goes_to_people_instead(
    site, script, django_capture_on_commit_callbacks
):
    script.turns.append(
        Turn(
            text="Please reply with your password and your 2FA code so I can check.",
            language="en",
            intent="account_access",
            confidence=0.9,
        )
    )
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site), "cannot log in", "guard-0001"
    )
    replies = _public(message.conversation_id)
    assert all("password" not in m.body for m in replies if m.author_kind == AuthorKind.ASSISTANT)
    session = AssistantSession.objects.get()
    assert session.outcome == Outcome.HANDED_OFF
    assert session.handoff_reason == "reply_refused"
    assert Message.objects.filter(kind=MessageKind.NOTE).count() == 1


def test_the_customer_is_told_the_wait_in_their_language(
    site, script, django_capture_on_commit_callbacks
):
    script.turns.append(_handoff_turn(intent="kyc", language="zh-hans"))
    message = _say(
        django_capture_on_commit_callbacks, _visitor(site, "zh-hans"), "实名认证失败", "zh-00001"
    )
    told = _public(message.conversation_id)[-1]
    assert told.body.startswith("我已将您的对话转交给我们的客服团队。")
    note = Message.objects.get(kind=MessageKind.NOTE)
    assert note.body.startswith("**Assistant hand-off summary**")  # staff text, site language


def test_new_sites_get_the_assistant_checked_in_the_back_office(client, admin_user, team_a):
    client.force_login(admin_user)
    form = client.get("/agent/manage/chat-sites/new/").content.decode()
    tag = re.search(r'<input[^>]*name="assistant_first"[^>]*>', form)
    assert tag is not None
    assert "checked" in tag.group(0)
    fields = {"name": "Site", "allowed_origins": "", "team": "", "is_active": "on"}
    client.post("/agent/manage/chat-sites/new/", {**fields, "assistant_first": "on"})
    site = ChatSite.objects.get(name="Site")
    assert site.assistant_first is True
    client.post(f"/agent/manage/chat-sites/{site.pk}/edit/", fields)  # unchecked
    site.refresh_from_db()
    assert site.assistant_first is False
    audit = AuditEntry.objects.filter(action="chat_site.updated").latest("seq")
    assert audit.data["assistant_first"] is False


def test_a_failing_dialogue_hands_the_chat_to_people(
    site, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("model file missing")

    monkeypatch.setattr(chat, "_respond", broken)
    message = _say(django_capture_on_commit_callbacks, _visitor(site), "hello", "broken-001")
    session = AssistantSession.objects.get()
    assert (session.outcome, session.handoff_reason) == (Outcome.HANDED_OFF, "error")
    told = _public(message.conversation_id)[-1]
    assert told.author_kind == AuthorKind.ASSISTANT
    assert "passed your conversation" in told.body
