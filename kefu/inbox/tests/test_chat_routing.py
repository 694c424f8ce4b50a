"""New chats go to an online agent of the site's team with free capacity, least loaded first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import AgentPresence
from kefu.accounts.services import agents_online, presence_set, staff_update
from kefu.conversations.models import Channel, Message, Status
from kefu.conversations.services import conversation_set_status
from kefu.core import clock
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.inbox.adapters.webchat.services import (
    ConversationClosed,
    chat_message_send,
    pick_agent,
    visitor_actor,
    visitor_start,
)
from kefu.testing import factories


def _online(user, actor_of, *, seconds_ago=0):
    presence_set(user=user, status="online", actor=actor_of(user))
    AgentPresence.objects.filter(user=user).update(
        last_seen_at=clock.now() - timedelta(seconds=seconds_ago)
    )


def _chat(site, body="help"):
    visitor = visitor_start(site=site, identity=None, token=None, language="en")
    message, _ = chat_message_send(
        visitor=visitor, key=f"key-{visitor.pk:06d}", body=body, actor=visitor_actor(visitor)
    )
    return message.conversation


def test_no_one_online_leaves_the_chat_waiting_for_the_team(chat_site, agent_a):
    conversation = _chat(chat_site)
    assert conversation.assignee_id is None
    assert conversation.team_id == chat_site.team_id
    assert conversation.channel == Channel.CHAT


def test_online_agent_of_the_team_gets_it_and_others_do_not(chat_site, agent_a, agent_b, actor_of):
    _online(agent_b, actor_of)  # online, but in another team
    assert _chat(chat_site).assignee_id is None
    _online(agent_a, actor_of)
    assert _chat(chat_site).assignee_id == agent_a.pk


def test_least_loaded_first_and_capacity_respected(
    chat_site, agent_a, senior, actor_of, admin_user
):
    _online(agent_a, actor_of)
    _online(senior, actor_of)
    staff_update(user=agent_a, chat_capacity=1, actor=actor_of(admin_user))
    staff_update(user=senior, chat_capacity=1, actor=actor_of(admin_user))
    first, second = _chat(chat_site), _chat(chat_site)
    assert {first.assignee_id, second.assignee_id} == {agent_a.pk, senior.pk}
    assert _chat(chat_site).assignee_id is None  # everyone is full: it waits
    # Solving one frees a seat.
    first.status = Status.SOLVED
    first.save(update_fields=["status"])
    assert _chat(chat_site).assignee_id == first.assignee_id


def test_stale_heartbeat_or_away_means_not_online(chat_site, agent_a, actor_of):
    _online(agent_a, actor_of, seconds_ago=600)
    assert agents_online(chat_site.team_id) == []
    assert pick_agent(chat_site.team_id) is None
    presence_set(user=agent_a, status="away", actor=actor_of(agent_a))
    assert agents_online(chat_site.team_id) == []
    presence_set(user=agent_a, status="online", actor=actor_of(agent_a))
    assert agents_online(chat_site.team_id) == [agent_a]


def test_presence_is_audited_validated_and_only_self_or_managers(
    agent_a, agent_b, supervisor, actor_of
):
    from kefu.audit.models import AuditEntry

    presence_set(user=agent_a, status="online", actor=actor_of(agent_a))
    presence_set(user=agent_a, status="online", actor=actor_of(agent_a))  # no change: no row
    assert AuditEntry.objects.filter(action="presence.changed").count() == 1
    with pytest.raises(ValidationFailed):
        presence_set(user=agent_a, status="busy", actor=actor_of(agent_a))
    with pytest.raises(PermissionDenied):
        presence_set(user=agent_a, status="offline", actor=actor_of(agent_b))
    presence_set(user=agent_a, status="offline", actor=actor_of(supervisor))
    assert AgentPresence.objects.get(user=agent_a).status == "offline"


def test_capacity_is_bounded_and_audited(agent_a, admin_user, actor_of):
    from kefu.audit.models import AuditEntry

    with pytest.raises(ValidationFailed):
        staff_update(user=agent_a, chat_capacity=99, actor=actor_of(admin_user))
    staff_update(user=agent_a, chat_capacity=5, actor=actor_of(admin_user))
    agent_a.refresh_from_db()
    assert agent_a.chat_capacity == 5
    entry = AuditEntry.objects.filter(action="staff.updated").latest("pk")
    assert entry.data["chat_capacity"] == [3, 5]


def test_agents_online_needs_staff(db, actor_of):
    customer = factories.CustomerUserFactory()
    with pytest.raises(PermissionDenied):
        presence_set(user=customer, status="online", actor=actor_of(customer))


def test_a_repeated_key_returns_the_stored_message_even_after_the_chat_closed(
    chat_site, admin_user, actor_of
):
    visitor = visitor_start(site=chat_site, identity=None, token=None, language="en")
    actor = visitor_actor(visitor)
    first, created = chat_message_send(visitor=visitor, key="first-key", body="hi", actor=actor)
    assert created
    cid = first.conversation_id
    second, created = chat_message_send(
        visitor=visitor, key="second-key", body="more", conversation_id=cid, actor=actor
    )
    assert created
    again, created = chat_message_send(
        visitor=visitor, key="second-key", body="more", conversation_id=cid, actor=actor
    )
    assert not created
    assert again.pk == second.pk
    assert Message.objects.filter(conversation_id=cid).count() == 2
    conversation_set_status(
        conversation=first.conversation, status=Status.CLOSED, actor=actor_of(admin_user)
    )
    # A retry after the close is still answered with the stored message, not an error...
    again, created = chat_message_send(
        visitor=visitor, key="second-key", body="more", conversation_id=cid, actor=actor
    )
    assert not created
    assert again.pk == second.pk
    # ...while a new key is refused.
    with pytest.raises(ConversationClosed):
        chat_message_send(
            visitor=visitor, key="third-key", body="late", conversation_id=cid, actor=actor
        )
