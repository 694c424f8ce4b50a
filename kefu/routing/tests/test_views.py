"""Customer-side escalation (portal, widget) and complaints; the workspace's resolution form,
request decisions and the supervisors' queue board; the backoffice rule pages."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from kefu.assistant.models import AssistantSession
from kefu.audit.models import AuditEntry
from kefu.conversations.models import Conversation, ConversationType, Status, Tier
from kefu.core import clock
from kefu.inbox.models import ChatSite
from kefu.routing.models import EscalationRequest, EscalationState, RoutingRule
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"
ORIGIN = "http://127.0.0.1:8000"


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def _age(conversation, hours=48):
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=clock.now() - timedelta(hours=hours)
    )


# --- portal ----------------------------------------------------------------------------------


def test_portal_shows_the_wait_then_lets_the_owner_ask_once(customer_1, conversation_a):
    client = login(customer_1)
    page = client.get(f"/requests/{conversation_a.pk}/")
    assert "within 24 hours" in page.content.decode()
    assert f'action="/requests/{conversation_a.pk}/escalate"' not in page.content.decode()
    _age(conversation_a)
    page = client.get(f"/requests/{conversation_a.pk}/")
    assert f'action="/requests/{conversation_a.pk}/escalate"' in page.content.decode()
    response = client.post(
        f"/requests/{conversation_a.pk}/escalate", {"reason": "Two days and no answer"}
    )
    assert response.status_code == 302
    request = EscalationRequest.objects.get()
    assert (request.source, request.state) == ("portal", EscalationState.PENDING)
    page = client.get(f"/requests/{conversation_a.pk}/").content.decode()
    assert "Your latest escalation request:" in page
    assert "Pending" in page
    assert "being reviewed" in page
    client.post(f"/requests/{conversation_a.pk}/escalate", {"reason": "Again please"})
    assert EscalationRequest.objects.count() == 1


def test_portal_escalation_of_another_customers_request_is_404(customer_2, conversation_a):
    _age(conversation_a)
    response = login(customer_2).post(
        f"/requests/{conversation_a.pk}/escalate", {"reason": "Not mine"}
    )
    assert response.status_code == 404
    assert not EscalationRequest.objects.exists()


def test_customer_files_a_complaint_and_reads_its_resolution(customer_1, agent_a, team_a):
    client = login(customer_1)
    assert client.get("/requests/complaint").status_code == 200
    response = client.post(
        "/requests/complaint",
        {"subject": "Rude agent", "description": "The agent closed my chat.", "reference": ""},
    )
    assert response.status_code == 302
    complaint = Conversation.objects.get(subject="Rude agent")
    assert complaint.conversation_type == ConversationType.COMPLAINT
    assert complaint.contact_id == customer_1.contact.pk
    page = client.get(f"/requests/{complaint.pk}/").content.decode()
    assert "We are investigating your complaint" in page
    Conversation.objects.filter(pk=complaint.pk).update(team=team_a)
    agent = login(agent_a)
    agent_page = agent.get(f"/agent/c/{complaint.pk}/").content.decode()
    assert 'id="complaint-resolution"' in agent_page
    agent.post(f"/agent/c/{complaint.pk}/status", {"status": "solved"})
    complaint.refresh_from_db()
    assert complaint.status != Status.SOLVED  # refused: no resolution yet
    agent.post(
        f"/agent/c/{complaint.pk}/resolve",
        {"resolution": "We apologised and coached the agent; your chat is reopened."},
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.SOLVED
    page = client.get(f"/requests/{complaint.pk}/").content.decode()
    assert "We apologised and coached the agent" in page


# --- widget ----------------------------------------------------------------------------------


@pytest.fixture
def chat_site(team_a):
    return ChatSite.objects.create(
        name="Test exchange", key="test-site", team=team_a, allowed_origins=[ORIGIN]
    )


def _post(client, url, frame, token=None):
    headers = {"HTTP_ORIGIN": ORIGIN}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Visitor {token}"
    return client.post(url, data=json.dumps(frame), content_type="application/json", **headers)


def test_widget_escalation_state_and_request(client, chat_site):
    welcome = _post(client, "/chat/v1/hello", {"type": "hello", "site": chat_site.key}).json()
    token = welcome["visitor"]["token"]
    ack = _post(
        client,
        "/chat/v1/frames",
        {"type": "message.send", "id": "esc-msg-0001", "body": "my deposit is missing"},
        token,
    ).json()["frames"][0]
    cid = ack["conversation"]["id"]
    headers = {"HTTP_ORIGIN": ORIGIN, "HTTP_AUTHORIZATION": f"Visitor {token}"}
    state = client.get(f"/chat/v1/escalate?conversation_id={cid}", **headers).json()
    assert state["can_request"] is False
    assert "24 hours" in state["refusal"]
    too_early = _post(
        client, "/chat/v1/escalate", {"conversation_id": cid, "reason": "x" * 5}, token
    )
    assert too_early.status_code == 429
    _age(Conversation.objects.get(pk=cid))
    asked = _post(
        client, "/chat/v1/escalate", {"conversation_id": cid, "reason": "Still stuck"}, token
    )
    assert asked.status_code == 200
    body = asked.json()
    assert body["latest"]["state"] == "pending"
    assert body["can_request"] is False
    assert EscalationRequest.objects.get().source == "widget"
    # Without the token, or for a conversation that is not the visitor's: refused.
    assert (
        _post(
            client, "/chat/v1/escalate", {"conversation_id": cid, "reason": "hi there"}
        ).status_code
        == 401
    )
    other = factories.ConversationFactory()
    _age(other)
    refused = _post(
        client, "/chat/v1/escalate", {"conversation_id": other.pk, "reason": "hi there"}, token
    )
    assert refused.status_code == 404
    assert EscalationRequest.objects.count() == 1


# --- workspace -------------------------------------------------------------------------------


def test_queue_board_is_for_supervisors_only(agent_a, supervisor, conversation_a):
    assert login(agent_a).get("/agent/queues/").status_code == 404
    page = login(supervisor).get("/agent/queues/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-region="routing-queues"' in html
    assert "data-live-presence" in html
    rows = page.context["queues"]
    assert [(r.team, r.language, r.count) for r in rows] == [("Team A", "en", 1)]


def test_l3_list_and_pending_requests_on_the_board(supervisor, conversation_a, customer_1):
    Conversation.objects.filter(pk=conversation_a.pk).update(tier=Tier.L3)
    EscalationRequest.objects.create(
        conversation=conversation_a, reason="Please", source="portal", created_at=clock.now()
    )
    context = login(supervisor).get("/agent/queues/").context
    assert [row.conversation.pk for row in context["l3"]] == [conversation_a.pk]
    assert [p.request.conversation_id for p in context["pending"]] == [conversation_a.pk]


def test_board_groups_by_team_and_language_with_oldest_wait_and_time_left(
    supervisor, team_a, team_b, customer_1, customer_2, monkeypatch
):
    from kefu.sla.services import policy_save

    t0 = clock.now()
    monkeypatch.setattr(clock, "now", lambda: t0)
    policy_save(
        name="Everyone",
        first_response_minutes=60,
        business_time=False,
        actor=factories_actor(supervisor),
    )
    contact_1, contact_2 = customer_1.contact, customer_2.contact
    oldest_en = factories.ConversationFactory(contact=contact_1, team=team_a, language="en")
    factories.ConversationFactory(contact=contact_2, team=team_a, language="en")
    zh = factories.ConversationFactory(contact=contact_2, team=team_a, language="zh-hans")
    factories.ConversationFactory(contact=contact_1, team=team_b, language="zh-hans")
    Conversation.objects.filter(pk=oldest_en.pk).update(created_at=t0 - timedelta(minutes=40))
    Conversation.objects.filter(pk=zh.pk).update(created_at=t0 - timedelta(minutes=10))
    Conversation.objects.filter(pk=oldest_en.pk).update(sla_due_at=t0 - timedelta(minutes=5))
    # A chat the assistant is still answering waits for nobody: not on the board.
    bot = factories.ConversationFactory(contact=contact_1, team=team_b, language="en")
    AssistantSession.objects.create(conversation=bot, active=True, created_at=t0, updated_at=t0)
    page = login(supervisor).get("/agent/queues/")
    rows = page.context["queues"]
    assert [(r.team, r.language, r.count, r.wait_seconds) for r in rows] == [
        ("Team A", "en", 2, 40 * 60),
        ("Team A", "zh-hans", 1, 10 * 60),
        ("Team B", "zh-hans", 1, 0),
    ]
    assert rows[0].deadline.text == "overdue by 5 min"  # the most urgent of the queue
    assert rows[1].deadline.text == "1 h 0 min left"
    assert rows[1].language_label == "Simplified Chinese"
    html = page.content.decode()
    assert 'class="ws-sla sla-overdue"' in html
    assert "Simplified Chinese" in html


def test_l3_and_requests_on_the_board_show_the_time_left(supervisor, conversation_a, monkeypatch):
    t0 = clock.now()
    monkeypatch.setattr(clock, "now", lambda: t0)
    Conversation.objects.filter(pk=conversation_a.pk).update(
        tier=Tier.L3, sla_due_at=t0 + timedelta(minutes=25)
    )
    EscalationRequest.objects.create(
        conversation=conversation_a, reason="Please", source="portal", created_at=t0
    )
    page = login(supervisor).get("/agent/queues/")
    assert page.context["l3"][0].deadline.text == "25 min left"
    assert page.context["pending"][0].deadline.text == "25 min left"
    assert page.content.decode().count("25 min left") == 3  # the queue row, L3, the request


def factories_actor(user):
    from kefu.accounts.services import actor_for_user

    return actor_for_user(user)


def test_management_sees_and_opens_escalated_conversations_that_front_line_cannot(
    supervisor, senior, agent_a, conversation_a, actor_of
):
    from kefu.conversations.services import conversation_assign, conversation_escalate

    conversation_assign(conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a))
    # L1 -> L2 by the agent, L2 -> L3 (management) by the senior, through the real service.
    conversation_escalate(
        conversation=conversation_a, reason="Needs a senior", actor=actor_of(agent_a)
    )
    conversation_escalate(
        conversation=conversation_a, reason="Compensation decision", actor=actor_of(senior)
    )
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.assignee_id) == (Tier.L3, None)

    board = login(supervisor).get("/agent/queues/").content.decode()
    link = f'href="/agent/c/{conversation_a.pk}/"'
    assert link in board.split('id="l3-heading"')[1]  # in the L3 list, linked
    assert login(supervisor).get(f"/agent/c/{conversation_a.pk}/").status_code == 200
    listed = login(supervisor).get("/agent/", {"view": "all", "tier": "3"}).context["rows"]
    assert [row.pk for row in listed] == [conversation_a.pk]
    # The front line of the same team no longer opens it; the L2 senior neither (L3 only).
    for user in (agent_a, senior):
        assert login(user).get(f"/agent/c/{conversation_a.pk}/").status_code == 404
        assert login(user).get("/agent/queues/").status_code == 404


def test_senior_decides_a_request_from_the_conversation_page(senior, agent_a, conversation_a):
    request = EscalationRequest.objects.create(
        conversation=conversation_a, reason="Please", source="portal", created_at=clock.now()
    )
    page = login(senior).get(f"/agent/c/{conversation_a.pk}/").content.decode()
    assert 'id="escalation-request"' in page
    login(agent_a).post(f"/agent/escalation-requests/{request.pk}/decide", {"decision": "accept"})
    request.refresh_from_db()
    assert request.state == EscalationState.PENDING  # L1 may not decide
    login(senior).post(f"/agent/escalation-requests/{request.pk}/decide", {"decision": "accept"})
    request.refresh_from_db()
    conversation_a.refresh_from_db()
    assert request.state == EscalationState.ACCEPTED
    assert conversation_a.tier == Tier.L2
    assert AuditEntry.objects.filter(action="escalation.accepted").count() == 1


def test_agent_of_another_team_cannot_decide_or_resolve(agent_b, conversation_a):
    request = EscalationRequest.objects.create(
        conversation=conversation_a, reason="Please", source="portal", created_at=clock.now()
    )
    client = login(agent_b)
    assert (
        client.post(
            f"/agent/escalation-requests/{request.pk}/decide", {"decision": "accept"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/agent/c/{conversation_a.pk}/resolve", {"resolution": "x" * 20}).status_code
        == 404
    )


# --- backoffice ------------------------------------------------------------------------------


def test_backoffice_rule_create_and_policy(admin_user, team_a, team_b, agent_a):
    client = login(admin_user)
    response = client.post(
        "/agent/manage/routing/new/",
        {
            "name": "Chinese withdrawals",
            "position": "5",
            "active": "on",
            "intents": ["withdrawal"],
            "languages": ["zh-hans"],
            "team": str(team_b.pk),
            "priority": "2",
        },
    )
    assert response.status_code == 302, response.content
    rule = RoutingRule.objects.get()
    assert (rule.intents, rule.languages, rule.team_id, rule.priority) == (
        ["withdrawal"],
        ["zh-hans"],
        team_b.pk,
        2,
    )
    response = client.post(
        "/agent/manage/routing/policy/",
        {
            "auto_assign_channels": ["chat", "email"],
            "reoffer_after_seconds": "120",
            "l2_team": str(team_a.pk),
            "l3_team": "",
            "customer_escalation_after_hours": "12",
            "customer_escalation_cooldown_hours": "24",
        },
    )
    assert response.status_code == 302, response.content
    assert AuditEntry.objects.filter(action="routing_policy.updated").count() == 1
    assert login(agent_a).get("/agent/manage/routing/").status_code == 404


def test_backoffice_language_skills(supervisor, agent_a, agent_b):
    from kefu.routing.models import AgentRoutingProfile

    client = login(supervisor)
    page = client.get("/agent/manage/routing/skills/")
    assert page.status_code == 200
    assert str(agent_a) in page.content.decode()
    response = client.post(
        f"/agent/manage/routing/skills/{agent_a.pk}/", {"languages": ["zh-hans"]}
    )
    assert response.status_code == 302
    assert AgentRoutingProfile.objects.get(user=agent_a).languages == ["zh-hans"]
    assert (
        login(agent_b)
        .post(f"/agent/manage/routing/skills/{agent_a.pk}/", {"languages": ["en"]})
        .status_code
        == 404
    )
    assert AgentRoutingProfile.objects.get(user=agent_a).languages == ["zh-hans"]
