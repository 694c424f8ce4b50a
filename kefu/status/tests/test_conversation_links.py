"""Conversations linked to an incident, and the one reply to all of them once it is resolved:
one message_reply per open conversation on its own channel, optionally solving, audited,
skipping closed / solved / already answered ones, supervisors and admins only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import Channel, Message, Status, TimelineEntry
from kefu.conversations.secret_guard import GuardBlocked
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.status import services
from kefu.status.conversation_links import incident_link_conversations, incident_reply_all
from kefu.status.models import IncidentConversation, IncidentState
from kefu.testing import factories

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def linked(eth_incident, customer_1, customer_2, team_a, agent_a, actor_of):
    chats = [
        factories.ConversationFactory(contact=customer_1.contact, team=team_a),
        factories.ConversationFactory(
            contact=customer_2.contact, team=team_a, channel=Channel.EMAIL
        ),
        factories.ConversationFactory(contact=customer_2.contact, team=team_a),
    ]
    conv.conversation_set_status(
        conversation=chats[2], status=Status.CLOSED, actor=actor_of(agent_a)
    )
    assert (
        incident_link_conversations(
            incident=eth_incident, conversations=chats, actor=actor_of(agent_a)
        )
        == 3
    )
    return chats


def _resolve(incident, manager):
    services.incident_update(
        incident=incident, state=IncidentState.RESOLVED, body_en="Fixed.", actor=manager
    )
    incident.refresh_from_db()


def test_linking_is_idempotent_audited_and_on_the_timeline(eth_incident, linked, agent_a, actor_of):
    assert (
        incident_link_conversations(
            incident=eth_incident, conversations=linked, actor=actor_of(agent_a)
        )
        == 0
    )
    assert IncidentConversation.objects.filter(incident=eth_incident).count() == 3
    assert AuditEntry.objects.filter(action="incident.conversation_linked").count() == 3
    entry = TimelineEntry.objects.get(conversation=linked[0], kind="incident")
    assert entry.data["incident"] == eth_incident.pk


def test_reply_all_waits_for_resolution(eth_incident, linked, supervisor, actor_of):
    with pytest.raises(InvalidTransition):
        incident_reply_all(
            incident=eth_incident, body="Fixed", solve=False, actor=actor_of(supervisor)
        )
    assert not Message.objects.filter(body="Fixed").exists()


def test_reply_all_answers_each_open_one_once_and_solves(
    eth_incident,
    linked,
    supervisor,
    manager,
    actor_of,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    _resolve(eth_incident, manager)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = incident_reply_all(
            incident=eth_incident,
            body="ETH withdrawals are back to normal.",
            solve=True,
            actor=actor_of(supervisor),
        )
    assert result.replied == [linked[0].pk, linked[1].pk]
    assert result.skipped == [linked[2].pk]
    for conversation in linked[:2]:
        conversation.refresh_from_db()
        assert conversation.status == Status.SOLVED
        assert (
            Message.objects.filter(
                conversation=conversation, body="ETH withdrawals are back to normal."
            ).count()
            == 1
        )
    # Each goes out on its own channel: the email conversation's customer got a mail.
    assert any(
        linked[1].reference in m.subject or linked[1].reference in m.body for m in mailoutbox
    )
    audit = AuditEntry.objects.get(action="incident.bulk_replied")
    assert audit.data["replied"] == result.replied
    assert audit.data["solve"] is True
    again = incident_reply_all(
        incident=eth_incident, body="Again", solve=False, actor=actor_of(supervisor)
    )
    assert again.replied == []
    assert not Message.objects.filter(body="Again").exists()


def test_agents_cannot_reply_to_all(eth_incident, linked, agent_a, manager, actor_of):
    _resolve(eth_incident, manager)
    with pytest.raises(PermissionDenied):
        incident_reply_all(
            incident=eth_incident, body="Fixed", solve=False, actor=actor_of(agent_a)
        )
    assert not Message.objects.filter(body="Fixed").exists()


def test_the_secret_guard_refuses_before_any_reply(
    eth_incident, linked, supervisor, manager, actor_of
):
    _resolve(eth_incident, manager)
    with pytest.raises(GuardBlocked):
        incident_reply_all(
            incident=eth_incident,
            body="Please send us your 2FA code to confirm.",
            solve=False,
            actor=actor_of(supervisor),
        )
    assert not IncidentConversation.objects.filter(replied_at__isnull=False).exists()


def test_workspace_pages(eth_incident, linked, supervisor, agent_a, manager, conversation_a):
    _resolve(eth_incident, manager)
    client = Client()
    client.force_login(supervisor, backend=BACKEND)
    url = reverse("agent_incidents:conversations", args=[eth_incident.pk])
    assert linked[0].reference in client.get(url).content.decode()
    client.post(url, {"body": "All fixed, thank you for waiting.", "solve": "on"})
    linked[0].refresh_from_db()
    assert linked[0].status == Status.SOLVED
    agent = Client()
    agent.force_login(agent_a, backend=BACKEND)
    assert agent.get(url).status_code == 404
    agent.post(
        reverse("agent_incidents:link", args=[conversation_a.pk]), {"incident": eth_incident.pk}
    )
    assert IncidentConversation.objects.filter(conversation=conversation_a).exists()


# --- unlinking -------------------------------------------------------------------------------


def test_unlinking_removes_the_link_audited_and_on_the_timeline(
    eth_incident, linked, agent_a, actor_of
):
    from kefu.status.conversation_links import incident_unlink_conversation

    assert incident_unlink_conversation(
        incident=eth_incident, conversation=linked[0], actor=actor_of(agent_a)
    )
    assert not IncidentConversation.objects.filter(conversation=linked[0]).exists()
    assert IncidentConversation.objects.filter(incident=eth_incident).count() == 2
    audit = AuditEntry.objects.get(action="incident.conversation_unlinked")
    assert audit.data == {"conversation": linked[0].pk, "answered": False}
    assert audit.actor_ref == f"agent:{agent_a.pk}"
    entry = TimelineEntry.objects.filter(conversation=linked[0], kind="incident").latest("id")
    assert entry.data["event"] == "unlinked"
    assert entry.public is False
    # Again: nothing linked, nothing written.
    assert not incident_unlink_conversation(
        incident=eth_incident, conversation=linked[0], actor=actor_of(agent_a)
    )
    assert AuditEntry.objects.filter(action="incident.conversation_unlinked").count() == 1


def test_an_unlinked_conversation_is_not_answered_by_the_bulk_reply(
    eth_incident, linked, agent_a, supervisor, manager, actor_of
):
    from kefu.status.conversation_links import incident_unlink_conversation

    incident_unlink_conversation(
        incident=eth_incident, conversation=linked[0], actor=actor_of(agent_a)
    )
    _resolve(eth_incident, manager)
    result = incident_reply_all(
        incident=eth_incident, body="Fixed now.", solve=False, actor=actor_of(supervisor)
    )
    assert result.replied == [linked[1].pk]
    assert not Message.objects.filter(conversation=linked[0], body="Fixed now.").exists()


def test_customers_and_systems_cannot_unlink(eth_incident, linked, customer_1):
    from kefu.core.actor import Actor, ActorKind
    from kefu.status.conversation_links import incident_unlink_conversation

    for actor in (
        Actor(kind=ActorKind.CUSTOMER, contact_id=customer_1.contact.pk),
        Actor.system("x"),
    ):
        with pytest.raises(PermissionDenied):
            incident_unlink_conversation(incident=eth_incident, conversation=linked[0], actor=actor)
    assert IncidentConversation.objects.filter(incident=eth_incident).count() == 3
    assert not AuditEntry.objects.filter(action="incident.conversation_unlinked").exists()


def test_unlink_from_the_conversation_page_and_the_incident_page(
    eth_incident, linked, supervisor, agent_a, agent_b
):
    agent = Client()
    agent.force_login(agent_a, backend=BACKEND)
    page = agent.get(reverse("workspace:conversation", args=[linked[0].pk])).content.decode()
    unlink_url = reverse("agent_incidents:unlink", args=[linked[0].pk])
    assert f'action="{unlink_url}"' in page
    response = agent.post(unlink_url, {"incident": eth_incident.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:conversation", args=[linked[0].pk])
    assert not IncidentConversation.objects.filter(conversation=linked[0]).exists()
    # An agent of another team cannot see the conversation: 404, nothing removed.
    stranger = Client()
    stranger.force_login(agent_b, backend=BACKEND)
    other_url = reverse("agent_incidents:unlink", args=[linked[1].pk])
    assert stranger.post(other_url, {"incident": eth_incident.pk}).status_code == 404
    assert IncidentConversation.objects.filter(conversation=linked[1]).exists()
    # A supervisor from the incident's page goes back there.
    boss = Client()
    boss.force_login(supervisor, backend=BACKEND)
    incident_url = reverse("agent_incidents:conversations", args=[eth_incident.pk])
    assert f'action="{other_url}"' in boss.get(incident_url).content.decode()
    response = boss.post(other_url, {"incident": eth_incident.pk, "back": "incident"})
    assert response["Location"] == incident_url
    assert not IncidentConversation.objects.filter(conversation=linked[1]).exists()
