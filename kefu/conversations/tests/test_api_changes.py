"""REST API: assignment, status, priority, tags and escalations of a conversation."""

from __future__ import annotations

import pytest

from kefu.accounts.tests.apikit import Api, assert_error, make_key
from kefu.audit.models import AuditEntry
from kefu.conversations.models import Conversation, Priority, Status, TimelineEntry
from kefu.conversations.tests.api_expected import conversation_body
from kefu.conversations.tests.conftest import set_status
from kefu.testing import factories

STATUS_CHOICES = "Input should be 'new', 'open', 'pending', 'on_hold', 'solved' or 'closed'"


@pytest.fixture
def key_and_secret(admin_user):
    return make_key(admin_user)


@pytest.fixture
def api(key_and_secret):
    return Api(key_and_secret[1])


@pytest.fixture
def ref(key_and_secret):
    return f"api:{key_and_secret[0].pk}"


def api_audit():
    return AuditEntry.objects.filter(actor_kind="api").order_by("pk")


def _url(conversation: Conversation, what: str) -> str:
    return f"/conversations/{conversation.pk}/{what}"


# --- assignment -----------------------------------------------------------------------------


def test_assign_and_unassign(api, ref, conversation_a, senior):
    response = api.put(_url(conversation_a, "assignment"), {"assignee_id": senior.pk})
    assert response.status_code == 200, response.content
    conversation_a.refresh_from_db()
    assert conversation_a.assignee_id == senior.pk
    assert response.json() == conversation_body(conversation_a)
    assert response.json()["assignee"] == {"id": senior.pk, "name": str(senior)}

    response = api.put(_url(conversation_a, "assignment"), {"assignee_id": None})
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert list(api_audit().values_list("action", "actor_ref", "data")) == [
        ("conversation.assigned", ref, {"from": None, "to": senior.pk}),
        ("conversation.assigned", ref, {"from": senior.pk, "to": None}),
    ]
    assert TimelineEntry.objects.filter(kind="assignment", actor_kind="api").count() == 2


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"assignee_id": ["This field is required."]}),
        (
            {"assignee_id": "bob"},
            {
                "assignee_id": [
                    "Input should be a valid integer, unable to parse string as an integer"
                ]
            },
        ),
        ({"assignee_id": 9999}, {"assignee_id": ["Unknown staff user."]}),
        ({"assignee_id": 1, "team_id": 2}, {"team_id": ["Unknown field."]}),
    ],
)
def test_assignment_rejects_bad_input(api, conversation_a, payload, fields):
    response = api.put(_url(conversation_a, "assignment"), payload)
    assert_error(response, 422, "validation_failed", fields)
    assert api_audit().count() == 0


def test_a_customer_cannot_be_assigned(api, conversation_a, customer_1):
    response = api.put(_url(conversation_a, "assignment"), {"assignee_id": customer_1.pk})
    assert_error(response, 422, "validation_failed", {"assignee_id": ["Unknown staff user."]})


def test_an_agent_below_the_tier_cannot_be_assigned(api, conversation_a, agent_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(tier=2)
    response = api.put(_url(conversation_a, "assignment"), {"assignee_id": agent_a.pk})
    assert_error(
        response,
        422,
        "validation_failed",
        {"assignee_id": ["This agent does not work on this tier."]},
    )
    conversation_a.refresh_from_db()
    assert conversation_a.assignee_id is None


def test_assignment_of_unknown_conversation_is_a_404(api, senior):
    response = api.put("/conversations/999/assignment", {"assignee_id": senior.pk})
    assert_error(response, 404, "not_found", {})


# --- status ---------------------------------------------------------------------------------


def test_set_status(api, ref, conversation_a):
    response = api.put(_url(conversation_a, "status"), {"status": "solved"})
    assert response.status_code == 200
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.SOLVED
    assert response.json() == conversation_body(conversation_a)
    assert list(api_audit().values_list("action", "actor_ref", "data")) == [
        ("conversation.status_changed", ref, {"from": "new", "to": "solved"}),
        # Solving asks the customer to rate it (kefu.csat).
        ("survey.sent", ref, {"conversation": conversation_a.pk}),
    ]


def test_closing_sets_closed_at(api, conversation_a):
    body = api.put(_url(conversation_a, "status"), {"status": "closed"}).json()
    assert body["status"] == "closed"
    assert body["closed_at"] is not None


def test_a_disallowed_transition_is_a_409(api, conversation_a):
    set_status(conversation_a, Status.SOLVED)
    response = api.put(_url(conversation_a, "status"), {"status": "pending"})
    error = assert_error(response, 409, "invalid_transition", {})
    assert error["message"] == "Cannot change status from Solved to Pending on customer."
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.SOLVED


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"status": "done"}, {"status": [STATUS_CHOICES]}),
        ({"status": None}, {"status": [STATUS_CHOICES]}),
        ({}, {"status": ["This field is required."]}),
    ],
)
def test_status_rejects_bad_input(api, conversation_a, payload, fields):
    assert_error(api.put(_url(conversation_a, "status"), payload), 422, "validation_failed", fields)


def test_setting_the_same_status_records_nothing(api, conversation_a):
    assert api.put(_url(conversation_a, "status"), {"status": "new"}).status_code == 200
    assert api_audit().count() == 0


# --- priority -------------------------------------------------------------------------------


def test_set_priority(api, ref, conversation_a):
    response = api.put(_url(conversation_a, "priority"), {"priority": "urgent"})
    assert response.status_code == 200
    assert response.json()["priority"] == "urgent"
    conversation_a.refresh_from_db()
    assert conversation_a.priority == Priority.URGENT
    assert list(api_audit().values_list("action", "actor_ref", "data")) == [
        ("conversation.priority_changed", ref, {"from": 1, "to": 3}),
    ]


@pytest.mark.parametrize("value", [3, "URGENT", "critical", None])
def test_priority_rejects_bad_values(api, conversation_a, value):
    response = api.put(_url(conversation_a, "priority"), {"priority": value})
    assert_error(
        response,
        422,
        "validation_failed",
        {"priority": ["Input should be 'low', 'normal', 'high' or 'urgent'"]},
    )


# --- tags -----------------------------------------------------------------------------------


def test_replace_tags(api, ref, conversation_a):
    factories.TagFactory(name="Withdrawal")
    factories.TagFactory(name="VIP")
    response = api.put(_url(conversation_a, "tags"), {"tags": ["vip", "withdrawal"]})
    assert response.status_code == 200
    assert response.json()["tags"] == ["VIP", "Withdrawal"]
    assert response.json() == conversation_body(conversation_a)

    cleared = api.put(_url(conversation_a, "tags"), {"tags": []})
    assert cleared.json()["tags"] == []
    assert list(api_audit().values_list("action", "actor_ref", "data")) == [
        ("conversation.tags_changed", ref, {"from": [], "to": ["VIP", "Withdrawal"]}),
        ("conversation.tags_changed", ref, {"from": ["VIP", "Withdrawal"], "to": []}),
    ]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"tags": ["nope"]}, {"tags": ["Unknown tags: nope"]}),
        ({"tags": "vip"}, {"tags": ["Input should be a valid list"]}),
        ({"tags": ["x" * 51]}, {"tags.0": ["String should have at most 50 characters"]}),
        ({"tags": [""]}, {"tags.0": ["String should have at least 1 character"]}),
        ({"tags": [7]}, {"tags.0": ["Input should be a valid string"]}),
        (
            {"tags": [f"t{i}" for i in range(51)]},
            {"tags": ["List should have at most 50 items after validation, not 51"]},
        ),
    ],
)
def test_tags_reject_bad_input(api, conversation_a, payload, fields):
    factories.TagFactory(name="vip")
    assert_error(api.put(_url(conversation_a, "tags"), payload), 422, "validation_failed", fields)
    assert conversation_a.tags.count() == 0


# --- escalations ----------------------------------------------------------------------------


def test_escalate_raises_tier_and_priority(api, ref, conversation_a, agent_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(assignee=agent_a)
    response = api.post(
        _url(conversation_a, "escalations"), {"reason": "Large withdrawal stuck on chain"}
    )
    assert response.status_code == 201, response.content
    conversation_a.refresh_from_db()
    assert (conversation_a.tier, conversation_a.priority, conversation_a.assignee_id) == (
        2,
        Priority.HIGH,
        None,  # an L1 agent does not work on L2
    )
    assert response.json() == conversation_body(conversation_a)
    assert list(api_audit().values_list("action", "actor_ref", "data")) == [
        (
            "conversation.escalated",
            ref,
            {"from": 1, "to": 2, "reason": "Large withdrawal stuck on chain"},
        ),
    ]


def test_escalating_past_the_top_tier_is_a_409(api, conversation_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(tier=3)
    response = api.post(_url(conversation_a, "escalations"), {"reason": "Even higher"})
    assert_error(response, 409, "invalid_transition", {})
    assert api_audit().count() == 0


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"reason": ["This field is required."]}),
        ({"reason": "no"}, {"reason": ["String should have at least 3 characters"]}),
        ({"reason": "   x   "}, {"reason": ["Say why this needs escalating."]}),
        ({"reason": "x" * 2001}, {"reason": ["String should have at most 2000 characters"]}),
        ({"reason": "Because", "tier": 3}, {"tier": ["Unknown field."]}),
    ],
)
def test_escalation_rejects_bad_input(api, conversation_a, payload, fields):
    response = api.post(_url(conversation_a, "escalations"), payload)
    assert_error(response, 422, "validation_failed", fields)
    conversation_a.refresh_from_db()
    assert conversation_a.tier == 1


def test_escalation_of_unknown_conversation_is_a_404(api):
    response = api.post("/conversations/999/escalations", {"reason": "Because"})
    assert_error(response, 404, "not_found", {})
