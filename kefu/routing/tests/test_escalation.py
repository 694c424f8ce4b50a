"""Escalation tiers with per-tier teams, customers' escalation requests (rate-limited, one
pending, audited, owner only) and complaints that need a written resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Conversation, ConversationType, Status, Tier
from kefu.conversations.services import (
    conversation_assign,
    conversation_escalate,
    conversation_set_status,
)
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from kefu.routing import escalation, services
from kefu.routing.models import EscalationRequest, EscalationState
from kefu.testing import factories


@pytest.fixture
def tier_teams(admin_user, actor_of):
    l2 = factories.TeamFactory(name="Senior desk")
    l3 = factories.TeamFactory(name="Management")
    services.routing_policy_save(l2_team=l2, l3_team=l3, actor=actor_of(admin_user))
    return l2, l3


def _customer_actor(contact):
    from kefu.core.actor import ActorKind

    return Actor(kind=ActorKind.CUSTOMER, contact_id=contact.pk, label="customer")


def _age(conversation, hours):
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=clock.now() - timedelta(hours=hours)
    )
    conversation.refresh_from_db()


def test_escalation_moves_to_each_tiers_team(
    conversation_a, senior, supervisor, actor_of, tier_teams
):
    l2, l3 = tier_teams
    conversation_escalate(
        conversation=conversation_a, reason="Needs a senior", actor=actor_of(senior)
    )
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.team_id) == (Tier.L2, l2.pk)
    conversation_escalate(
        conversation=conversation_a, reason="Needs management", actor=actor_of(supervisor)
    )
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.team_id) == (Tier.L3, l3.pk)
    entry = AuditEntry.objects.filter(action="conversation.escalated").latest("pk")
    assert entry.data["team_to"] == l3.pk
    assert entry.data["team_from"] == l2.pk


def test_customer_can_ask_only_after_the_policy_wait(conversation_a, customer_1):
    actor = _customer_actor(customer_1.contact)
    with pytest.raises(RateLimited):
        escalation.escalation_request(
            conversation=conversation_a, reason="Still stuck", actor=actor
        )
    assert not EscalationRequest.objects.exists()
    _age(conversation_a, 25)
    request = escalation.escalation_request(
        conversation=conversation_a, reason="Still stuck", actor=actor
    )
    assert request.state == EscalationState.PENDING
    assert AuditEntry.objects.filter(action="escalation.requested").count() == 1
    with pytest.raises(Conflict):  # one pending at a time
        escalation.escalation_request(conversation=conversation_a, reason="Again", actor=actor)
    assert EscalationRequest.objects.count() == 1


def test_customer_cannot_ask_for_someone_elses_conversation(conversation_a, customer_2):
    _age(conversation_a, 48)
    with pytest.raises(PermissionDenied):
        escalation.escalation_request(
            conversation=conversation_a, reason="Mine?", actor=_customer_actor(customer_2.contact)
        )
    assert not EscalationRequest.objects.exists()


def test_agents_cannot_file_customer_requests(conversation_a, agent_a, actor_of):
    _age(conversation_a, 48)
    with pytest.raises(PermissionDenied):
        escalation.escalation_request(
            conversation=conversation_a, reason="For them", actor=actor_of(agent_a)
        )


def test_a_negative_rating_allows_asking_at_once(conversation_a):
    request = escalation.escalation_request(
        conversation=conversation_a,
        reason="Rated 1/5: still no refund",
        source="csat",
        actor=Actor.system("csat"),
    )
    assert request.source == "csat"


def test_accepting_escalates_and_declining_needs_a_note(
    conversation_a, customer_1, senior, agent_a, actor_of, tier_teams
):
    _age(conversation_a, 30)
    actor = _customer_actor(customer_1.contact)
    request = escalation.escalation_request(
        conversation=conversation_a, reason="Stuck", actor=actor
    )
    with pytest.raises(PermissionDenied):  # L1 agents do not decide
        escalation.escalation_request_decide(request=request, accept=True, actor=actor_of(agent_a))
    with pytest.raises(ValidationFailed):
        escalation.escalation_request_decide(request=request, accept=False, actor=actor_of(senior))
    escalation.escalation_request_decide(request=request, accept=True, actor=actor_of(senior))
    request.refresh_from_db()
    conversation_a.refresh_from_db()
    assert request.state == EscalationState.ACCEPTED
    assert (conversation_a.tier, conversation_a.team_id) == (Tier.L2, tier_teams[0].pk)
    with pytest.raises(InvalidTransition):
        escalation.escalation_request_decide(
            request=request, accept=False, note="Not needed", actor=actor_of(senior)
        )


def test_accepting_a_request_after_a_negative_rating_reopens_it_for_the_new_tier(
    conversation_a, customer_1, senior, agent_a, actor_of, tier_teams
):
    from kefu.csat import services as csat
    from kefu.csat.models import Survey
    from kefu.routing.models import EscalationSource

    conversation_assign(conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a))
    conversation_set_status(
        conversation=conversation_a, status=Status.SOLVED, actor=actor_of(agent_a)
    )
    survey = Survey.objects.get(conversation=conversation_a)
    customer = _customer_actor(customer_1.contact)
    csat.survey_answer(survey=survey, rating=1, resolved=False, actor=customer)
    assert csat.survey_request_escalation(survey=survey, actor=customer) is True
    request = EscalationRequest.objects.get(conversation=conversation_a)
    assert request.source == EscalationSource.CSAT

    escalation.escalation_request_decide(request=request, accept=True, actor=actor_of(senior))
    conversation_a.refresh_from_db()
    # Not left solved (it would close unanswered): open again, on the senior tier's team,
    # off the L1 agent's desk.
    assert (conversation_a.status, conversation_a.tier) == (Status.OPEN, Tier.L2)
    assert (conversation_a.team_id, conversation_a.assignee_id) == (tier_teams[0].pk, None)
    assert (
        AuditEntry.objects.filter(
            action="conversation.status_changed", object_id=str(conversation_a.pk)
        ).count()
        == 2
    )  # solved, then reopened by the decision


def test_rate_limit_after_a_decline(conversation_a, customer_1, senior, actor_of):
    _age(conversation_a, 30)
    actor = _customer_actor(customer_1.contact)
    request = escalation.escalation_request(
        conversation=conversation_a, reason="Stuck", actor=actor
    )
    escalation.escalation_request_decide(
        request=request, accept=False, note="We are waiting on the chain.", actor=actor_of(senior)
    )
    with pytest.raises(RateLimited):
        escalation.escalation_request(conversation=conversation_a, reason="Again", actor=actor)
    EscalationRequest.objects.update(created_at=clock.now() - timedelta(hours=25))
    escalation.escalation_request(conversation=conversation_a, reason="Again", actor=actor)
    assert EscalationRequest.objects.count() == 2


def test_closed_or_top_tier_cannot_be_escalated_by_request(conversation_a, customer_1):
    _age(conversation_a, 30)
    Conversation.objects.filter(pk=conversation_a.pk).update(tier=3)
    with pytest.raises(InvalidTransition):
        escalation.escalation_request(
            conversation=conversation_a,
            reason="More",
            actor=_customer_actor(customer_1.contact),
        )


# --- complaints ------------------------------------------------------------------------------


@pytest.fixture
def complaint(customer_1, team_a):
    return factories.ConversationFactory(
        contact=customer_1.contact, team=team_a, conversation_type=ConversationType.COMPLAINT
    )


def test_a_complaint_cannot_be_solved_without_a_resolution(complaint, agent_a, actor_of):
    with pytest.raises(InvalidTransition, match="written resolution"):
        conversation_set_status(
            conversation=complaint, status=Status.SOLVED, actor=actor_of(agent_a)
        )
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW


def test_resolving_a_complaint_records_the_resolution_and_solves_it(complaint, agent_a, actor_of):
    with pytest.raises(ValidationFailed):
        escalation.complaint_resolve(
            conversation=complaint, resolution="ok", actor=actor_of(agent_a)
        )
    escalation.complaint_resolve(
        conversation=complaint,
        resolution="We refunded the fee of 5 USDT to your account.",
        actor=actor_of(agent_a),
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.SOLVED
    assert complaint.resolution.startswith("We refunded")
    assert AuditEntry.objects.filter(action="complaint.resolved").count() == 1


def test_customers_cannot_resolve_and_requests_are_not_complaints(
    complaint, conversation_a, customer_1, agent_a, actor_of
):
    with pytest.raises(PermissionDenied):
        escalation.complaint_resolve(
            conversation=complaint,
            resolution="I resolve it myself, thanks.",
            actor=_customer_actor(customer_1.contact),
        )
    with pytest.raises(InvalidTransition):
        escalation.complaint_resolve(
            conversation=conversation_a,
            resolution="This is only a normal request.",
            actor=actor_of(agent_a),
        )


def test_a_customer_cannot_claim_a_rating_to_skip_the_wait(conversation_a, customer_1):
    with pytest.raises(PermissionDenied):
        escalation.escalation_request(
            conversation=conversation_a,
            reason="I rated badly",
            source="csat",
            actor=_customer_actor(customer_1.contact),
        )
    assert not EscalationRequest.objects.exists()


def test_escalated_away_from_its_agent_it_is_offered_to_the_new_tier_at_once(
    conversation_a,
    agent_a,
    senior,
    admin_user,
    actor_of,
    tier_teams,
    django_capture_on_commit_callbacks,
):
    from kefu.accounts.services import presence_set
    from kefu.conversations.services import conversation_assign

    l2, _l3 = tier_teams
    senior.teams.add(l2)
    channel = conversation_a.channel
    services.routing_policy_save(auto_assign_channels=[channel], actor=actor_of(admin_user))
    presence_set(user=senior, status="online", actor=actor_of(senior))
    conversation_assign(conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a))
    with django_capture_on_commit_callbacks(execute=True):
        conversation_escalate(
            conversation=conversation_a, reason="Needs a senior", actor=actor_of(agent_a)
        )
    conversation_a.refresh_from_db()
    # The L1 agent cannot work tier 2: unassigned, then given to the online senior at once,
    # not at the next periodic re-offer.
    assert (conversation_a.team_id, conversation_a.assignee_id) == (l2.pk, senior.pk)
    entry = AuditEntry.objects.filter(action="conversation.escalated").latest("pk")
    assert entry.data["to"] == Tier.L2
