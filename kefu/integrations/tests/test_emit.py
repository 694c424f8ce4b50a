"""Which committed changes become webhook deliveries, and what they carry."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from kefu.conversations import services as conv
from kefu.conversations.models import Status
from kefu.integrations.models import WebhookDelivery
from kefu.testing import factories

ALL_EVENTS = [
    "conversation.created",
    "conversation.status_changed",
    "conversation.assigned",
    "message.created",
]


def _types() -> list[str]:
    return list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))


def test_a_new_conversation_is_delivered_with_its_first_public_message(
    receiver, make_endpoint, customer_1, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, ALL_EVENTS)

    with django_capture_on_commit_callbacks(execute=True):
        conversation = factories.ConversationFactory(
            contact=customer_1.contact, subject="Deposit missing", body="Sent 5 ETH"
        )

    assert _types() == ["message.created", "conversation.created"]
    created = json.loads(receiver.requests[1].body)
    assert created["type"] == "conversation.created"
    data = created["data"]
    assert data["conversation"]["id"] == conversation.pk
    assert data["conversation"]["reference"] == conversation.reference
    assert data["conversation"]["subject"] == "Deposit missing"
    assert data["conversation"]["status"] == "new"
    assert data["conversation"]["contact"] == {
        "id": customer_1.contact.pk,
        "uid": customer_1.contact.uid,
    }
    assert data["first_message"]["body"] == "Sent 5 ETH"
    assert data["first_message"]["author"] == "customer"
    assert "email" not in json.dumps(created)  # no contact details beyond ids


def test_internal_notes_never_leave(
    receiver, make_endpoint, conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, ALL_EVENTS)

    with django_capture_on_commit_callbacks(execute=True):
        conv.note_add(
            conversation=conversation_a, body="Possible fraud, check KYC", actor=actor_of(agent_a)
        )

    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_a_public_reply_is_delivered(
    receiver, make_endpoint, conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, ["message.created"])

    with django_capture_on_commit_callbacks(execute=True):
        message = conv.message_reply(
            conversation=conversation_a, body="We are checking.", actor=actor_of(agent_a)
        )

    assert _types() == ["message.created"]
    data = json.loads(receiver.requests[0].body)["data"]["message"]
    assert data["id"] == message.pk
    assert data["body"] == "We are checking."
    assert data["author"] == "agent"
    assert data["conversation"]["id"] == conversation_a.pk


def test_status_changes_carry_the_previous_status(
    receiver, make_endpoint, conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, ["conversation.status_changed"])

    with django_capture_on_commit_callbacks(execute=True):
        conv.conversation_set_status(
            conversation=conversation_a, status=Status.SOLVED, actor=actor_of(agent_a)
        )

    assert _types() == ["conversation.status_changed"]
    data = json.loads(receiver.requests[0].body)["data"]
    assert data["previous_status"] == "new"
    assert data["conversation"]["status"] == "solved"


def test_assignment_names_the_agent_without_their_email(
    receiver, make_endpoint, conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, ["conversation.assigned"])

    with django_capture_on_commit_callbacks(execute=True):
        conv.conversation_assign(
            conversation=conversation_a, assignee=agent_a, actor=actor_of(agent_a)
        )

    data = json.loads(receiver.requests[0].body)["data"]
    assert data["assignee"] == {"id": agent_a.pk, "name": agent_a.display_name}
    assert data["previous_assignee_id"] is None
    assert agent_a.email not in receiver.requests[0].body.decode()


def test_only_subscribed_active_endpoints_get_an_event(
    receiver, make_endpoint, customer_1, admin_user, actor_of, django_capture_on_commit_callbacks
):
    from kefu.integrations import services

    subscribed, _ = make_endpoint(receiver.url, ["conversation.created"])
    make_endpoint(receiver.url, ["conversation.assigned"])
    off, _ = make_endpoint(receiver.url, ["conversation.created"])
    services.endpoint_set_active(endpoint=off, active=False, actor=actor_of(admin_user))

    with django_capture_on_commit_callbacks(execute=True):
        factories.ConversationFactory(contact=customer_1.contact)

    assert list(WebhookDelivery.objects.values_list("endpoint_id", "event_type")) == [
        (subscribed.pk, "conversation.created")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(receiver, make_endpoint, customer_1):
    make_endpoint(receiver.url, ALL_EVENTS)

    def fail_after_creating() -> None:
        with transaction.atomic():
            factories.ConversationFactory(contact=customer_1.contact)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_after_creating()

    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_delivered_without_test_helpers(receiver, make_endpoint, customer_1):
    make_endpoint(receiver.url, ["conversation.created"])

    factories.ConversationFactory(contact=customer_1.contact)

    assert _types() == ["conversation.created"]
    assert len(receiver.requests) == 1


def test_without_endpoints_an_event_costs_one_query(
    customer_1, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from kefu.core import policy_cache
    from kefu.integrations.emit import on_committed_event
    from kefu.realtime import events

    on_committed_event(events.ConversationCreated(conversation_id=1))  # fills the cache
    with django_assert_num_queries(1):  # the policy version (ADR 0028), not the endpoints
        on_committed_event(events.ConversationCreated(conversation_id=1))
    with policy_cache.pinned(), django_assert_num_queries(0):  # the version read once a batch
        on_committed_event(events.ConversationCreated(conversation_id=1))
    with django_assert_num_queries(0):
        on_committed_event(events.ReadMarked(conversation_id=1, who="agent", seq=1))
