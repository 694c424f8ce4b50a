"""Surveys: asked when solved, answered once per solve, changeable in the window, audited;
a low rating opens one follow-up task that supervisors assign and complete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conv
from kefu.conversations.models import Status, TimelineEntry
from kefu.core import clock
from kefu.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from kefu.csat import services
from kefu.csat.models import FollowUp, FollowUpStatus, Survey, SurveyPolicy
from kefu.testing import factories


def _solve(conversation, agent, actor_of):
    conv.conversation_set_status(
        conversation=conversation, status=Status.SOLVED, actor=actor_of(agent)
    )
    return Survey.objects.get(conversation=conversation, superseded=False)


@pytest.fixture
def survey(conversation_a, agent_a, actor_of):
    return _solve(conversation_a, agent_a, actor_of)


def test_solving_asks_once_and_audits(conversation_a, agent_a, actor_of):
    survey = _solve(conversation_a, agent_a, actor_of)
    assert survey.channel == conversation_a.channel
    assert survey.rating is None
    assert survey.open_until - survey.created_at == timedelta(days=7)
    assert AuditEntry.objects.filter(action="survey.sent", object_id=str(survey.pk)).count() == 1
    assert TimelineEntry.objects.filter(
        conversation=conversation_a, kind="survey", data__event="sent"
    ).exists()


def test_no_survey_when_the_policy_is_off(conversation_a, agent_a, actor_of):
    SurveyPolicy.objects.update_or_create(pk=1, defaults={"enabled": False})
    conv.conversation_set_status(
        conversation=conversation_a, status=Status.SOLVED, actor=actor_of(agent_a)
    )
    assert not Survey.objects.exists()


def test_customer_answers_and_changes_within_the_window(survey, customer_1, actor_of):
    actor = actor_of(customer_1)
    services.survey_answer(survey=survey, rating=4, resolved=True, comment="Quick", actor=actor)
    services.survey_answer(survey=survey, rating=5, resolved=True, comment="", actor=actor)
    survey.refresh_from_db()
    assert (survey.rating, survey.resolved, survey.comment) == (5, True, "")
    assert survey.answered_at is not None
    assert survey.changed_at is not None
    actions = list(
        AuditEntry.objects.filter(object_type="survey", object_id=str(survey.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["survey.sent", "survey.answered", "survey.changed"]
    assert Survey.objects.count() == 1  # one answer per solve


def test_answer_after_the_window_is_refused(survey, customer_1, actor_of, monkeypatch):
    later = survey.open_until + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(InvalidTransition):
        services.survey_answer(survey=survey, rating=3, resolved=None, actor=actor_of(customer_1))
    survey.refresh_from_db()
    assert survey.rating is None


def test_other_customer_and_agents_cannot_answer(survey, customer_2, agent_a, actor_of):
    before = AuditEntry.objects.count()
    for user in (customer_2, agent_a):
        with pytest.raises(PermissionDenied):
            services.survey_answer(survey=survey, rating=5, resolved=True, actor=actor_of(user))
    survey.refresh_from_db()
    assert survey.rating is None
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("rating", [0, 6, True])
def test_rating_must_be_one_to_five(survey, customer_1, actor_of, rating):
    with pytest.raises(ValidationFailed):
        services.survey_answer(
            survey=survey, rating=rating, resolved=None, actor=actor_of(customer_1)
        )


def test_comment_is_validated_and_screened_by_the_secret_guard(survey, customer_1, actor_of):
    actor = actor_of(customer_1)
    with pytest.raises(ValidationFailed):
        services.survey_answer(
            survey=survey, rating=3, resolved=None, comment="x" * 2001, actor=actor
        )
    seed = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    services.survey_answer(
        survey=survey, rating=3, resolved=None, comment=f"my seed is {seed}", actor=actor
    )
    survey.refresh_from_db()
    assert "abandon ability" not in survey.comment
    audit = AuditEntry.objects.get(action="survey.answered", object_id=str(survey.pk))
    assert audit.data["secrets_hidden"] == ["seed_phrase"]
    assert "abandon" not in str(audit.data)


def test_reopened_then_solved_gets_a_new_survey(
    survey, conversation_a, agent_a, customer_1, actor_of
):
    services.survey_answer(survey=survey, rating=2, resolved=False, actor=actor_of(customer_1))
    conv.message_reply(conversation=conversation_a, body="Still broken", actor=actor_of(customer_1))
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    second = _solve(conversation_a, agent_a, actor_of)
    assert second.pk != survey.pk
    survey.refresh_from_db()
    assert survey.superseded
    assert survey.rating == 2
    with pytest.raises(InvalidTransition):
        services.survey_answer(survey=survey, rating=5, resolved=True, actor=actor_of(customer_1))


def test_low_rating_opens_one_followup_task(survey, customer_1, actor_of):
    actor = actor_of(customer_1)
    services.survey_answer(survey=survey, rating=1, resolved=False, actor=actor)
    services.survey_answer(survey=survey, rating=2, resolved=False, actor=actor)
    task = FollowUp.objects.get()
    assert task.survey_id == survey.pk
    assert task.status == FollowUpStatus.OPEN
    assert AuditEntry.objects.filter(action="followup.created").count() == 1


def test_good_rating_opens_no_task(survey, customer_1, actor_of):
    services.survey_answer(survey=survey, rating=4, resolved=True, actor=actor_of(customer_1))
    assert not FollowUp.objects.exists()


def test_supervisor_assigns_and_completes_a_followup(
    survey, customer_1, supervisor, admin_user, agent_a, actor_of
):
    services.survey_answer(survey=survey, rating=1, resolved=False, actor=actor_of(customer_1))
    task = FollowUp.objects.get()
    with pytest.raises(PermissionDenied):
        services.followup_assign(task=task, assignee=supervisor, actor=actor_of(agent_a))
    with pytest.raises(ValidationFailed):
        services.followup_assign(task=task, assignee=agent_a, actor=actor_of(supervisor))
    services.followup_assign(task=task, assignee=admin_user, actor=actor_of(supervisor))
    with pytest.raises(ValidationFailed):
        services.followup_complete(task=task, note="", actor=actor_of(admin_user))
    with pytest.raises(PermissionDenied):
        services.followup_complete(task=task, note="Called", actor=actor_of(agent_a))
    services.followup_complete(task=task, note="Called the customer", actor=actor_of(admin_user))
    task.refresh_from_db()
    assert task.status == FollowUpStatus.DONE
    assert task.completed_by == admin_user
    assert task.note == "Called the customer"
    with pytest.raises(InvalidTransition):
        services.followup_complete(task=task, note="Again", actor=actor_of(admin_user))
    actions = list(
        AuditEntry.objects.filter(object_type="csat_followup")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["followup.created", "followup.assigned", "followup.completed"]


def test_a_negative_answer_asks_routing_to_escalate(survey, customer_1, actor_of):
    from kefu.core.errors import KefuError
    from kefu.routing.models import EscalationRequest

    actor = actor_of(customer_1)
    services.survey_answer(survey=survey, rating=2, resolved=False, actor=actor)
    survey.refresh_from_db()
    assert services.survey_request_escalation(survey=survey, actor=actor) is True
    request = EscalationRequest.objects.get(conversation_id=survey.conversation_id)
    assert (request.source, request.state) == ("csat", "pending")
    assert "2 of 5" in request.reason
    # One pending request at a time: asking again is refused with a reason for the form.
    with pytest.raises(KefuError):
        services.survey_request_escalation(survey=survey, actor=actor)
    assert EscalationRequest.objects.filter(conversation_id=survey.conversation_id).count() == 1


def test_positive_rating_is_not_escalated(survey, customer_1, actor_of):
    from kefu.routing.models import EscalationRequest

    actor = actor_of(customer_1)
    services.survey_answer(survey=survey, rating=5, resolved=True, actor=actor)
    survey.refresh_from_db()
    assert services.survey_request_escalation(survey=survey, actor=actor) is False
    assert not EscalationRequest.objects.filter(conversation_id=survey.conversation_id).exists()


def test_factories_conversation_solved_from_new(db, agent_a, actor_of):
    conversation = factories.ConversationFactory()
    _solve(conversation, agent_a, actor_of)
    assert Survey.objects.filter(conversation=conversation).count() == 1


def test_the_conversation_knows_when_its_survey_closes_and_asks_nothing_otherwise(
    conversation_a, agent_a, actor_of, django_assert_num_queries, monkeypatch
):
    from kefu.conversations.models import Conversation
    from kefu.csat.payloads import survey_for_customer

    fresh = Conversation.objects.get(pk=conversation_a.pk)
    assert fresh.survey_open_until is None
    with django_assert_num_queries(0):  # every chat ack asks: no survey, no query
        assert survey_for_customer(fresh) is None
    survey = _solve(conversation_a, agent_a, actor_of)
    fresh = Conversation.objects.get(pk=conversation_a.pk)
    assert fresh.survey_open_until == survey.open_until
    assert survey_for_customer(fresh)["id"] == survey.pk
    monkeypatch.setattr(clock, "now", lambda: survey.open_until)  # the window has passed
    with django_assert_num_queries(0):
        assert survey_for_customer(fresh) is None
