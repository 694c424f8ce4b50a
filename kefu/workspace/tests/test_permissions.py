"""Invisible conversations are 404 on every page and every action, and nothing changes."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment, Conversation
from kefu.testing import factories
from kefu.workspace.tests.conftest import PNG, login

ACTIONS = [
    ("reply", {"body": "Sneaky reply", "set_status": "solved"}),
    ("note", {"body": "Sneaky note"}),
    ("assign", {"assignee": "me"}),
    ("team", {"team": ""}),
    ("status", {"status": "closed"}),
    ("priority", {"priority": "3"}),
    ("escalate", {"reason": "Sneaky escalation"}),
    ("tags", {"tags": ["kyc"]}),
]


def state(conversation):
    c = Conversation.objects.get(pk=conversation.pk)
    return (
        c.status,
        c.priority,
        c.tier,
        c.assignee_id,
        c.team_id,
        sorted(c.tags.values_list("name", flat=True)),
        c.message_count,
    )


@pytest.fixture
def with_attachment(conversation_b, system_actor):
    services.message_reply(
        conversation=conversation_b,
        body="Here is a screenshot",
        attachments=[UploadedFile("shot.png", PNG)],
        actor=system_actor,
        author="customer",
    )
    return Attachment.objects.get(message__conversation=conversation_b)


def _get_paths(conversation, attachment):
    return [
        f"/agent/c/{conversation.pk}/",
        f"/agent/c/{conversation.pk}/?macro=1",
        f"/agent/c/{conversation.pk}/attachments/{attachment.pk}",
    ]


def test_agent_cannot_open_another_teams_conversation(
    client_a, conversation_b, with_attachment, counts
):
    factories.MacroFactory()
    before = counts()

    for path in _get_paths(conversation_b, with_attachment):
        assert client_a.get(path).status_code == 404, path

    assert counts() == before  # not even an audit row of a read


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_agent_cannot_act_on_another_teams_conversation(
    client_a, conversation_b, counts, action, data, django_capture_on_commit_callbacks
):
    factories.TagFactory(name="kyc")
    before, before_state = counts(), state(conversation_b)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/agent/c/{conversation_b.pk}/{action}", data)

    assert response.status_code == 404
    assert counts() == before
    assert state(conversation_b) == before_state
    assert mail.outbox == []


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_l1_agent_cannot_act_on_a_tier_two_conversation_of_their_team(
    client_a, team_a, make_conversation, counts, action, data
):
    conversation = make_conversation(team=team_a, tier=2)
    factories.TagFactory(name="kyc")
    before, before_state = counts(), state(conversation)

    response = client_a.post(f"/agent/c/{conversation.pk}/{action}", data)

    assert response.status_code == 404
    assert counts() == before
    assert state(conversation) == before_state


def test_l1_agent_cannot_open_a_tier_two_conversation_of_their_team(
    client_a, team_a, make_conversation
):
    conversation = make_conversation(team=team_a, tier=2)

    assert client_a.get(f"/agent/c/{conversation.pk}/").status_code == 404


def test_l1_agent_sees_a_higher_tier_conversation_assigned_to_them(
    client_a, agent_a, team_b, make_conversation
):
    conversation = make_conversation(team=team_b, tier=2, assignee=agent_a)

    assert client_a.get(f"/agent/c/{conversation.pk}/").status_code == 200


def test_agent_sees_unrouted_conversations(client_b, make_conversation):
    conversation = make_conversation()

    assert client_b.get(f"/agent/c/{conversation.pk}/").status_code == 200


def test_senior_opens_tier_two_conversation_of_their_team(client_senior, team_a, make_conversation):
    conversation = make_conversation(team=team_a, tier=2)

    assert client_senior.get(f"/agent/c/{conversation.pk}/").status_code == 200


@pytest.mark.parametrize("persona", ["supervisor", "admin_user"])
def test_supervisors_and_admins_open_any_conversation(
    request, persona, conversation_b, make_conversation
):
    client = login(request.getfixturevalue(persona))
    top = make_conversation(tier=3)

    for conversation in (conversation_b, top):
        assert client.get(f"/agent/c/{conversation.pk}/").status_code == 200


def test_nonexistent_conversation_is_404(client_supervisor, db):
    assert client_supervisor.get("/agent/c/999999/").status_code == 404


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_customer_cannot_act_through_the_workspace(
    customer_1, conversation_a, counts, action, data
):
    before, before_state = counts(), state(conversation_a)

    response = login(customer_1).post(f"/agent/c/{conversation_a.pk}/{action}", data)

    assert response.status_code == 404
    assert counts() == before
    assert state(conversation_a) == before_state


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_anonymous_post_is_sent_to_sign_in_and_changes_nothing(
    conversation_a, counts, action, data
):
    before, before_state = counts(), state(conversation_a)

    response = Client().post(f"/agent/c/{conversation_a.pk}/{action}", data)

    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    assert counts() == before
    assert state(conversation_a) == before_state


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_actions_only_accept_post(client_a, conversation_a, action, data):
    assert client_a.get(f"/agent/c/{conversation_a.pk}/{action}").status_code == 405
