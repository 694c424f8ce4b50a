"""Routing rules on creation and hand-off, assignment within a team, the waiting queue served
when agents come online or free capacity, and the re-offer job with its atomic claim."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import Role
from kefu.accounts.services import presence_set, staff_update
from kefu.assistant.models import HandoffRoute
from kefu.audit.models import AuditEntry
from kefu.conversations.models import (
    AuthorKind,
    Channel,
    Conversation,
    Priority,
    Status,
)
from kefu.conversations.services import conversation_set_status, message_reply
from kefu.core import clock
from kefu.core.errors import PermissionDenied
from kefu.routing import services
from kefu.routing.models import AgentRoutingProfile, Offer, RoutingRule
from kefu.testing import factories


@pytest.fixture
def email_auto(admin_user, actor_of):
    """Email conversations are assigned automatically too (policy)."""
    services.routing_policy_save(auto_assign_channels=["chat", "email"], actor=actor_of(admin_user))


def _rule(admin_user, actor_of, team, **kw):
    kw.setdefault("name", f"to {team.name}")
    kw.setdefault("position", 10)
    return services.routing_rule_save(team=team, actor=actor_of(admin_user), **kw)


def _email(contact=None, **kw):
    kw.setdefault("channel", Channel.EMAIL)
    return factories.ConversationFactory(contact=contact, **kw)


def _online(user, actor_of):
    presence_set(user=user, status="online", actor=actor_of(user))


# --- rules -----------------------------------------------------------------------------------


def test_first_matching_rule_wins_on_creation(team_a, team_b, admin_user, actor_of):
    _rule(admin_user, actor_of, team_b, position=1, intents=["withdrawal"], languages=["zh"])
    _rule(admin_user, actor_of, team_a, position=2, intents=["withdrawal"])
    _rule(admin_user, actor_of, team_b, position=3)  # catch-all, never reached for withdrawals
    chinese = _email(category="withdrawal", language="zh-hans")
    english = _email(category="withdrawal", language="en")
    other = _email(category="kyc", language="en")
    assert chinese.team_id == team_b.pk
    assert english.team_id == team_a.pk
    assert other.team_id == team_b.pk
    assert AuditEntry.objects.filter(
        action="conversation.team_changed", object_id=str(english.pk)
    ).exists()


def test_rules_match_channel_vip_tier_and_type_and_raise_priority(
    team_a, team_b, admin_user, actor_of
):
    _rule(admin_user, actor_of, team_b, vip_tiers=[2, 3], priority=Priority.HIGH, position=1)
    _rule(admin_user, actor_of, team_a, channels=["phone"], position=2)
    _rule(admin_user, actor_of, team_b, conversation_types=["complaint"], position=3)
    vip = factories.ContactFactory(vip_tier=2)
    routed = _email(contact=vip)
    assert (routed.team_id, routed.priority) == (team_b.pk, Priority.HIGH)
    assert _email(channel=Channel.PHONE).team_id == team_a.pk
    assert _email(conversation_type="complaint").team_id == team_b.pk
    plain = _email(team=team_a)
    assert (plain.team_id, plain.priority) == (team_a.pk, Priority.NORMAL)  # no rule: kept


def test_inactive_rules_are_ignored(team_a, team_b, admin_user, actor_of):
    _rule(admin_user, actor_of, team_b, active=False)
    assert _email(team=team_a).team_id == team_a.pk


def test_handoff_uses_rules_first_then_handoff_routes(team_a, team_b, admin_user, actor_of):
    conversation = _email(category="other", language="en")
    HandoffRoute.objects.create(intent="kyc", language="*", team=team_a)
    assert services.team_for(conversation, intent="kyc") == team_a
    _rule(admin_user, actor_of, team_b, intents=["kyc"])
    assert services.team_for(conversation, intent="kyc") == team_b
    assert services.team_for(conversation) is None  # category "other" matches no rule


def test_only_managers_edit_rules_and_policy(team_a, agent_a, senior, actor_of):
    with pytest.raises(PermissionDenied):
        services.routing_rule_save(name="x", position=1, team=team_a, actor=actor_of(agent_a))
    with pytest.raises(PermissionDenied):
        services.routing_policy_save(reoffer_after_seconds=5, actor=actor_of(senior))
    assert not RoutingRule.objects.exists()


def test_rule_values_are_validated(team_a, admin_user, actor_of):
    from kefu.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        _rule(admin_user, actor_of, team_a, channels=["pigeon"])
    with pytest.raises(ValidationFailed):
        _rule(admin_user, actor_of, team_a, intents=["not-an-intent"])


# --- assignment ------------------------------------------------------------------------------


def test_email_is_assigned_to_an_online_agent_of_the_team_with_the_language(
    team_a, agent_a, senior, admin_user, actor_of, email_auto
):
    services.agent_languages_set(user=agent_a, languages=["en"], actor=actor_of(admin_user))
    services.agent_languages_set(user=senior, languages=["zh"], actor=actor_of(admin_user))
    _online(agent_a, actor_of)
    _online(senior, actor_of)
    assert _email(team=team_a, language="zh-hans").assignee_id == senior.pk
    assert _email(team=team_a, language="en").assignee_id == agent_a.pk
    assert _email(team=team_a, language="ja").assignee_id is None  # nobody speaks it: waits
    offer = Offer.objects.get(conversation__language="en")
    assert offer.agent_id == agent_a.pk


def test_round_robin_among_equals_uses_the_persisted_cursor(
    team_a, agent_a, senior, actor_of, email_auto
):
    _online(agent_a, actor_of)
    _online(senior, actor_of)
    first = _email(team=team_a)
    conversation_set_status(conversation=first, status=Status.SOLVED, actor=actor_of(senior))
    # Both have no open load again; the one not assigned last goes next.
    second = _email(team=team_a)
    assert {first.assignee_id, second.assignee_id} == {agent_a.pk, senior.pk}
    assert AgentRoutingProfile.objects.get(user_id=second.assignee_id).last_assigned_at


def test_no_one_available_waits_then_vip_first_when_an_agent_comes_online(
    team_a, agent_a, admin_user, actor_of, email_auto, django_capture_on_commit_callbacks
):
    staff_update(user=agent_a, chat_capacity=1, actor=actor_of(admin_user))
    normal = _email(team=team_a)
    vip = _email(team=team_a, contact=factories.ContactFactory(vip_tier=1))
    assert normal.assignee_id is None
    assert vip.assignee_id is None
    with django_capture_on_commit_callbacks(execute=True):
        _online(agent_a, actor_of)  # the presence change serves the queue
    vip.refresh_from_db()
    normal.refresh_from_db()
    assert vip.assignee_id == agent_a.pk
    assert normal.assignee_id is None  # capacity 1: never over
    with django_capture_on_commit_callbacks(execute=True):
        conversation_set_status(conversation=vip, status=Status.SOLVED, actor=actor_of(agent_a))
    normal.refresh_from_db()
    assert normal.assignee_id == agent_a.pk  # freed capacity: the next waiting one


def test_offline_and_other_team_agents_are_never_assigned(
    team_a, agent_a, agent_b, actor_of, email_auto
):
    _online(agent_b, actor_of)  # team B
    presence_set(user=agent_a, status="away", actor=actor_of(agent_a))
    assert _email(team=team_a).assignee_id is None


def test_escalated_tier_needs_an_agent_of_that_tier(
    team_a, agent_a, senior, actor_of, email_auto, django_capture_on_commit_callbacks
):
    _online(agent_a, actor_of)
    conversation = _email(team=team_a, tier=2)  # the factory sets the tier after creation
    Conversation.objects.filter(pk=conversation.pk).update(assignee=None)
    Offer.objects.all().delete()
    services.assign_conversation(conversation=conversation, actor=actor_of(agent_a))
    conversation.refresh_from_db()
    assert conversation.assignee_id is None
    with django_capture_on_commit_callbacks(execute=True):
        _online(senior, actor_of)
    conversation.refresh_from_db()
    assert conversation.assignee_id == senior.pk


# --- re-offer --------------------------------------------------------------------------------


def _age_offer(conversation, seconds):
    Offer.objects.filter(conversation=conversation).update(
        offered_at=clock.now() - timedelta(seconds=seconds)
    )


def test_reoffer_moves_an_unanswered_conversation_to_another_agent(
    team_a, agent_a, senior, actor_of, system_actor, email_auto
):
    _online(agent_a, actor_of)
    conversation = _email(team=team_a)
    assert conversation.assignee_id == agent_a.pk
    _online(senior, actor_of)
    _age_offer(conversation, 60)
    assert services.reoffer_stale(actor=system_actor) == 0  # not yet past 180 s
    _age_offer(conversation, 600)
    assert services.reoffer_stale(actor=system_actor) == 1
    conversation.refresh_from_db()
    assert conversation.assignee_id == senior.pk
    offer = Offer.objects.get(conversation=conversation)
    assert offer.declined_by == [agent_a.pk]
    assert AuditEntry.objects.filter(action="conversation.reoffered").count() == 1
    # The senior does not answer either: nobody else is left, it waits in the queue.
    _age_offer(conversation, 600)
    assert services.reoffer_stale(actor=system_actor) == 1
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_an_answered_offer_is_not_reoffered(
    team_a, agent_a, senior, actor_of, system_actor, email_auto
):
    _online(agent_a, actor_of)
    _online(senior, actor_of)
    conversation = _email(team=team_a)
    agent = conversation.assignee
    message_reply(conversation=conversation, body="On it.", actor=actor_of(agent))
    _age_offer(conversation, 600)
    assert services.reoffer_stale(actor=system_actor) == 0
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.pk
    assert not Offer.objects.filter(conversation=conversation).exists()
    assert conversation.messages.filter(author_kind=AuthorKind.AGENT).count() == 1


def test_the_reoffer_claim_is_taken_once(team_a, agent_a, actor_of, email_auto):
    _online(agent_a, actor_of)
    conversation = _email(team=team_a)
    _age_offer(conversation, 600)
    offer = Offer.objects.get(conversation=conversation)
    now = clock.now()
    assert services.claim_offer(offer, now) is True
    assert services.claim_offer(offer, now) is False  # a second worker loses
    # A claimed offer is skipped by an overlapping run.
    assert services.reoffer_stale(actor=factories_system()) == 0
    later = now + timedelta(seconds=services.CLAIM_SECONDS + 1)
    assert services.claim_offer(offer, later) is True  # the lease expired


def factories_system():
    from kefu.core.actor import Actor

    return Actor.system("test")


def test_periodic_job_is_scheduled():
    from kefu.ops.periodic import SCHEDULE

    assert "kefu.routing.tasks.reoffer_stale_conversations" in {j.task for j in SCHEDULE}


def test_agent_languages_only_self_or_manager(agent_a, agent_b, supervisor, actor_of):
    with pytest.raises(PermissionDenied):
        services.agent_languages_set(user=agent_a, languages=["en"], actor=actor_of(agent_b))
    services.agent_languages_set(user=agent_a, languages=["en", "ZH"], actor=actor_of(agent_a))
    assert AgentRoutingProfile.objects.get(user=agent_a).languages == ["en", "zh"]
    services.agent_languages_set(user=agent_a, languages=["en"], actor=actor_of(supervisor))
    assert AuditEntry.objects.filter(action="agent.languages_changed").count() == 2


def test_roles_fixture_sanity(senior):
    assert senior.role == Role.AGENT_L2


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WEB, Channel.TELEGRAM])
def test_rules_route_what_customers_create_themselves(
    team_a, team_b, admin_user, actor_of, customer_1, channel
):
    """Routing is policy applied by the system: a conversation the customer opens (portal,
    email, Telegram) is moved to the rule's team even though customers cannot set teams."""
    from kefu.core.actor import Actor, ActorKind

    _rule(admin_user, actor_of, team_b, channels=[channel], priority=Priority.HIGH)
    customer = Actor(kind=ActorKind.CUSTOMER, contact_id=customer_1.contact.pk, label="customer")
    conversation = factories.ConversationFactory(
        contact=customer_1.contact, channel=channel, team=team_a, actor=customer
    )
    assert (conversation.team_id, conversation.priority) == (team_b.pk, Priority.HIGH)
    moved = AuditEntry.objects.get(
        action="conversation.team_changed", object_id=str(conversation.pk)
    )
    assert moved.actor_kind == "system"


# --- conversations that waited while nobody was online ---------------------------------------


def test_a_vip_behind_more_than_a_batch_of_older_conversations_is_served_first(
    team_a,
    agent_a,
    admin_user,
    actor_of,
    email_auto,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(services, "WAITING_BATCH", 2)  # the queue is longer than one batch
    staff_update(user=agent_a, chat_capacity=1, actor=actor_of(admin_user))
    older = [_email(team=team_a, subject=f"Older {i}") for i in range(3)]
    vip = _email(team=team_a, contact=factories.ContactFactory(vip_tier=2))
    assert all(c.assignee_id is None for c in [*older, vip])  # nobody online: all wait
    with django_capture_on_commit_callbacks(execute=True):
        _online(agent_a, actor_of)
    vip.refresh_from_db()
    assert vip.assignee_id == agent_a.pk
    assert not Conversation.objects.filter(pk__in=[c.pk for c in older], assignee__isnull=False)


def test_oldest_first_among_equals_once_an_agent_comes_online(
    team_a, agent_a, admin_user, actor_of, email_auto, django_capture_on_commit_callbacks
):
    staff_update(user=agent_a, chat_capacity=2, actor=actor_of(admin_user))
    first = _email(team=team_a, subject="First")
    Conversation.objects.filter(pk=first.pk).update(created_at=clock.now() - timedelta(hours=2))
    second = _email(team=team_a, subject="Second")
    Conversation.objects.filter(pk=second.pk).update(created_at=clock.now() - timedelta(hours=1))
    newest = _email(team=team_a, subject="Newest")
    urgent = _email(team=team_a, subject="Urgent", priority=Priority.URGENT)
    with django_capture_on_commit_callbacks(execute=True):
        _online(agent_a, actor_of)
    assigned = set(Conversation.objects.filter(assignee=agent_a).values_list("pk", flat=True))
    # Priority before wait; then the longest wait. Capacity 2: the newest keeps waiting.
    assert assigned == {urgent.pk, first.pk}
    assert Conversation.objects.get(pk=second.pk).assignee_id is None
    assert Conversation.objects.get(pk=newest.pk).assignee_id is None


def test_a_conversation_without_a_team_is_served_when_an_agent_comes_online(
    team_a, agent_a, actor_of, email_auto, django_capture_on_commit_callbacks
):
    no_team = _email(team=None)
    assert no_team.assignee_id is None  # nobody online
    with django_capture_on_commit_callbacks(execute=True):
        _online(agent_a, actor_of)  # agent_a works in team A, yet anyone may take team-less ones
    no_team.refresh_from_db()
    assert no_team.assignee_id == agent_a.pk


def test_an_online_agent_whose_socket_comes_back_serves_the_queue_at_once(
    team_a, agent_a, actor_of, email_auto, django_capture_on_commit_callbacks
):
    from kefu.accounts.models import AgentPresence
    from kefu.accounts.services import PRESENCE_FRESH_SECONDS, presence_touch

    _online(agent_a, actor_of)
    # The socket went away: still "online", but no heartbeat for a while, so not counted.
    AgentPresence.objects.filter(user=agent_a).update(
        last_seen_at=clock.now() - timedelta(seconds=PRESENCE_FRESH_SECONDS + 60)
    )
    waiting = _email(team=team_a)
    assert waiting.assignee_id is None
    with django_capture_on_commit_callbacks(execute=True):
        presence_touch(user_id=agent_a.pk)  # the first heartbeat of the new socket
    waiting.refresh_from_db()
    assert waiting.assignee_id == agent_a.pk
    # An ordinary heartbeat of a live socket serves nothing (no job).
    second = _email(team=team_a)
    Conversation.objects.filter(pk=second.pk).update(assignee=None)
    Offer.objects.filter(conversation=second).delete()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        presence_touch(user_id=agent_a.pk)
    assert callbacks == []
    assert Conversation.objects.get(pk=second.pk).assignee_id is None
