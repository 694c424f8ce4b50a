"""Every action form on the conversation page, through HTTP, with its flash message."""

from __future__ import annotations

import pytest
from django.core import mail

from kefu.audit.models import AuditEntry
from kefu.conversations.models import (
    Conversation,
    Message,
    MessageKind,
    Priority,
    Status,
    TimelineEntry,
    TimelineKind,
)
from kefu.testing import factories
from kefu.workspace.tests.conftest import flashes


def post(client, conversation, action, data, **extra):
    return client.post(f"/agent/c/{conversation.pk}/{action}", data, **extra)


def fresh(conversation):
    return Conversation.objects.get(pk=conversation.pk)


def latest_timeline(conversation):
    return TimelineEntry.objects.filter(conversation=conversation).order_by("-id").first()


# --- reply ----------------------------------------------------------------------------------


def test_reply_reaches_the_customer_by_email(
    client_a, agent_a, conversation_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_a, conversation_a, "reply", {"body": "We found your transfer."})

    assert response.status_code == 302
    assert response["Location"] == f"/agent/c/{conversation_a.pk}/"
    message = Message.objects.filter(conversation=conversation_a).order_by("-id").first()
    assert (message.kind, message.author_kind, message.author_user_id, message.body) == (
        MessageKind.REPLY,
        "agent",
        agent_a.pk,
        "We found your transfer.",
    )
    assert fresh(conversation_a).status == Status.OPEN
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert mail.outbox[0].subject == f"[{conversation_a.reference}] New reply from support"
    assert "We found your transfer." in mail.outbox[0].body
    assert flashes(client_a.get(response["Location"])) == ["Reply sent to the customer."]


def test_reply_can_set_the_status_afterwards(
    client_a, conversation_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(
            client_a,
            conversation_a,
            "reply",
            {"body": "Please send a screenshot.", "set_status": "pending"},
        )

    assert fresh(conversation_a).status == Status.PENDING
    assert latest_timeline(conversation_a).data == {"from": "new", "to": "pending"}


def test_empty_reply_is_refused_and_nothing_is_sent(
    client_a, conversation_a, counts, django_capture_on_commit_callbacks
):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_a, conversation_a, "reply", {"body": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert counts() == {**before, "audit": before["audit"] + 1}  # only the read of the page
    assert mail.outbox == []


def test_reply_to_a_closed_conversation_keeps_the_text_and_explains(
    client_a, conversation_a, counts, django_capture_on_commit_callbacks
):
    Conversation.objects.filter(pk=conversation_a.pk).update(status=Status.CLOSED)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_a, conversation_a, "reply", {"body": "Hello again"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "This conversation is closed. Reopen it to reply." in html
    assert 'required id="reply_body">\nHello again</textarea>' in html
    assert counts()["messages"] == before["messages"]
    assert mail.outbox == []


def test_reply_with_an_unknown_status_is_refused(client_a, conversation_a, counts):
    before = counts()

    response = post(client_a, conversation_a, "reply", {"body": "Hi", "set_status": "archived"})

    assert response.status_code == 400
    assert "Select a valid choice. archived is not one of the available choices." in (
        response.content.decode()
    )
    assert counts()["messages"] == before["messages"]


# --- note -----------------------------------------------------------------------------------


def test_note_is_added_without_email_and_shown_in_the_workspace(
    client_a, agent_a, conversation_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_a, conversation_a, "note", {"body": "Chain is congested today."})

    assert response.status_code == 302
    note = Message.objects.filter(conversation=conversation_a).order_by("-id").first()
    assert (note.kind, note.author_user_id, note.body) == (
        MessageKind.NOTE,
        agent_a.pk,
        "Chain is congested today.",
    )
    assert latest_timeline(conversation_a).kind == TimelineKind.NOTE
    assert mail.outbox == []
    assert fresh(conversation_a).status == Status.NEW
    page = client_a.get(response["Location"])
    html = page.content.decode()
    assert '<span class="badge ws-note-label">Internal note</span>' in html
    assert "<p>Chain is congested today.</p>" in html
    assert flashes(page) == ["Internal note added."]


def test_empty_note_is_refused(client_a, conversation_a, counts):
    before = counts()

    response = post(client_a, conversation_a, "note", {"body": ""})

    assert response.status_code == 400
    assert counts()["messages"] == before["messages"]


# --- assignment -----------------------------------------------------------------------------


def test_assign_to_me(client_a, agent_a, conversation_a):
    response = post(client_a, conversation_a, "assign", {"assignee": "me"})

    assert response.status_code == 302
    assert fresh(conversation_a).assignee_id == agent_a.pk
    entry = latest_timeline(conversation_a)
    assert (entry.kind, entry.data) == (
        TimelineKind.ASSIGNMENT,
        {"from": None, "to": agent_a.pk, "to_name": agent_a.display_name},
    )
    assert flashes(client_a.get(response["Location"])) == [f"Assigned to {agent_a.display_name}."]


def test_assign_to_another_agent(client_a, senior, conversation_a):
    response = post(client_a, conversation_a, "assign", {"assignee": str(senior.pk)})

    assert response.status_code == 302
    assert fresh(conversation_a).assignee_id == senior.pk


def test_unassign(client_a, agent_a, conversation_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(assignee=agent_a)

    response = post(client_a, conversation_a, "assign", {"assignee": "none"})

    assert fresh(conversation_a).assignee_id is None
    assert flashes(client_a.get(response["Location"])) == ["The conversation is now unassigned."]


def test_assigning_an_agent_below_the_tier_is_refused(
    client_senior, agent_a, counts, team_a, make_conversation
):
    conversation = make_conversation(team=team_a, tier=2)
    before = counts()

    response = post(client_senior, conversation, "assign", {"assignee": str(agent_a.pk)})

    assert response.status_code == 302
    assert fresh(conversation).assignee_id is None
    assert counts() == before
    assert flashes(client_senior.get(response["Location"])) == [
        "This agent does not work on this tier."
    ]


@pytest.mark.parametrize("value", ["999999", "bob", ""])
def test_assigning_an_unknown_agent_is_refused(client_a, conversation_a, counts, value):
    before = counts()

    response = post(client_a, conversation_a, "assign", {"assignee": value})

    assert fresh(conversation_a).assignee_id is None
    assert counts() == before
    expected = "This field is required." if value == "" else "Choose an agent."
    assert flashes(client_a.get(response["Location"])) == [expected]


def test_assigning_a_customer_is_refused(client_a, customer_2, conversation_a, counts):
    before = counts()

    response = post(client_a, conversation_a, "assign", {"assignee": str(customer_2.pk)})

    assert fresh(conversation_a).assignee_id is None
    assert counts() == before
    assert flashes(client_a.get(response["Location"])) == ["Choose an agent."]


# --- team -----------------------------------------------------------------------------------


def test_supervisor_routes_to_a_team(client_supervisor, conversation_a, team_b):
    response = post(client_supervisor, conversation_a, "team", {"team": str(team_b.pk)})

    assert response["Location"] == f"/agent/c/{conversation_a.pk}/"
    assert fresh(conversation_a).team_id == team_b.pk
    assert flashes(client_supervisor.get(response["Location"])) == ["Routed to team Team B."]


def test_routing_away_from_my_teams_returns_me_to_the_inbox(client_a, conversation_a, team_b):
    response = post(client_a, conversation_a, "team", {"team": str(team_b.pk)})

    assert response["Location"] == "/agent/"
    assert fresh(conversation_a).team_id == team_b.pk
    assert flashes(client_a.get("/agent/")) == [
        "Routed to team Team B.",
        f"{conversation_a.reference} is no longer in your view.",
    ]
    assert client_a.get(f"/agent/c/{conversation_a.pk}/").status_code == 404


def test_removing_the_team(client_a, conversation_a):
    response = post(client_a, conversation_a, "team", {"team": ""})

    assert fresh(conversation_a).team_id is None
    assert flashes(client_a.get(response["Location"])) == [
        "The conversation is no longer routed to a team."
    ]


# --- status and priority --------------------------------------------------------------------


def test_status_change(client_a, conversation_a):
    response = post(client_a, conversation_a, "status", {"status": "solved"})

    assert fresh(conversation_a).status == Status.SOLVED
    status = TimelineEntry.objects.filter(conversation=conversation_a, kind="status").last()
    assert status.data == {"from": "new", "to": "solved"}
    assert latest_timeline(conversation_a).kind == "survey"  # solving asks for a rating
    assert flashes(client_a.get(response["Location"])) == ["Status set to Solved."]


def test_invalid_status_transition_is_explained_and_changes_nothing(
    client_a, conversation_a, counts
):
    Conversation.objects.filter(pk=conversation_a.pk).update(status=Status.CLOSED)
    before = counts()

    response = post(client_a, conversation_a, "status", {"status": "solved"})

    assert response.status_code == 302
    assert fresh(conversation_a).status == Status.CLOSED
    assert counts() == before
    assert flashes(client_a.get(response["Location"])) == [
        "Cannot change status from Closed to Solved."
    ]


def test_unknown_status_is_refused(client_a, conversation_a, counts):
    before = counts()

    response = post(client_a, conversation_a, "status", {"status": "archived"})

    assert counts() == before
    assert flashes(client_a.get(response["Location"])) == [
        "Select a valid choice. archived is not one of the available choices."
    ]


def test_priority_change(client_a, conversation_a):
    response = post(client_a, conversation_a, "priority", {"priority": "3"})

    assert fresh(conversation_a).priority == Priority.URGENT
    assert latest_timeline(conversation_a).data == {"from": 1, "to": 3}
    assert flashes(client_a.get(response["Location"])) == ["Priority set to Urgent."]


def test_unknown_priority_is_refused(client_a, conversation_a, counts):
    before = counts()

    post(client_a, conversation_a, "priority", {"priority": "7"})

    assert fresh(conversation_a).priority == Priority.NORMAL
    assert counts() == before


# --- escalation -----------------------------------------------------------------------------


def test_escalation_requires_a_reason(client_a, conversation_a, counts):
    before = counts()

    response = post(client_a, conversation_a, "escalate", {"reason": ""})

    assert response.status_code == 400
    assert fresh(conversation_a).tier == 1
    assert counts()["timeline"] == before["timeline"]
    assert '<ul class="errorlist" id="id_reason_error"><li>This field is required.</li></ul>' in (
        response.content.decode()
    )


def test_escalation_reason_must_say_something(client_a, conversation_a, counts):
    before = counts()

    response = post(client_a, conversation_a, "escalate", {"reason": " ok "})

    assert response.status_code == 400
    assert fresh(conversation_a).tier == 1
    assert counts()["timeline"] == before["timeline"]
    assert "Say why this needs escalating." in response.content.decode()


def test_escalation_moves_an_l1_conversation_out_of_the_l1_agents_view(
    client_a, agent_a, conversation_a
):
    Conversation.objects.filter(pk=conversation_a.pk).update(assignee=agent_a)

    response = post(client_a, conversation_a, "escalate", {"reason": "Suspected account takeover"})

    conversation = fresh(conversation_a)
    assert (conversation.tier, conversation.priority, conversation.assignee_id) == (
        2,
        Priority.HIGH,
        None,
    )
    entry = latest_timeline(conversation_a)
    assert (entry.kind, entry.data) == (
        TimelineKind.ESCALATION,
        {"from": 1, "to": 2, "reason": "Suspected account takeover", "unassigned": agent_a.pk},
    )
    assert response["Location"] == "/agent/"
    inbox = client_a.get("/agent/?view=teams")
    assert conversation_a.reference not in [c.reference for c in inbox.context["rows"]]
    assert flashes(inbox) == [
        "Escalated to tier 2.",
        f"{conversation_a.reference} is no longer in your view.",
    ]
    assert client_a.get(f"/agent/c/{conversation_a.pk}/").status_code == 404


def test_senior_escalation_to_management_stays_visible_to_a_supervisor(
    client_supervisor, make_conversation
):
    conversation = make_conversation(tier=2)

    response = post(client_supervisor, conversation, "escalate", {"reason": "Legal request"})

    assert fresh(conversation).tier == 3
    assert response["Location"] == f"/agent/c/{conversation.pk}/"


def test_escalation_at_the_top_tier_is_refused(client_supervisor, make_conversation, counts):
    conversation = make_conversation(tier=3)
    before = counts()

    response = post(client_supervisor, conversation, "escalate", {"reason": "Even higher"})

    assert response.status_code == 302
    assert counts() == before
    assert flashes(client_supervisor.get(response["Location"])) == [
        "This conversation is already at the highest tier."
    ]


# --- tags -----------------------------------------------------------------------------------


def test_tags_are_set_from_existing_tags(client_a, conversation_a):
    for name in ("kyc", "refund", "vip"):
        factories.TagFactory(name=name)

    response = post(client_a, conversation_a, "tags", {"tags": ["refund", "vip"]})

    assert sorted(conversation_a.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert latest_timeline(conversation_a).data == {"from": [], "to": ["refund", "vip"]}
    assert flashes(client_a.get(response["Location"])) == ["Tags saved."]


def test_tags_can_be_cleared(client_a, conversation_a):
    conversation_a.tags.add(factories.TagFactory(name="kyc"))

    post(client_a, conversation_a, "tags", {})

    assert list(conversation_a.tags.all()) == []


def test_unknown_tag_is_refused(client_a, conversation_a, counts):
    factories.TagFactory(name="kyc")
    before = counts()

    response = post(client_a, conversation_a, "tags", {"tags": ["kyc", "made-up"]})

    assert list(conversation_a.tags.all()) == []
    assert counts() == before
    assert flashes(client_a.get(response["Location"])) == [
        "Select a valid choice. made-up is not one of the available choices."
    ]


# --- every action is audited ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "audit_action"),
    [
        ("reply", {"body": "Hi"}, "message.replied"),
        ("note", {"body": "Hi"}, "note.added"),
        ("assign", {"assignee": "me"}, "conversation.assigned"),
        ("team", {"team": ""}, "conversation.team_changed"),
        ("status", {"status": "open"}, "conversation.status_changed"),
        ("priority", {"priority": "2"}, "conversation.priority_changed"),
        ("escalate", {"reason": "Needs L2"}, "conversation.escalated"),
    ],
)
def test_actions_write_an_audit_row_for_the_agent(
    client_a, agent_a, conversation_a, action, data, audit_action
):
    post(client_a, conversation_a, action, data)

    entry = AuditEntry.objects.filter(action=audit_action).get()
    assert (entry.actor_ref, entry.object_id) == (f"agent:{agent_a.pk}", str(conversation_a.pk))
