"""A message's real-time payloads are built on commit from the row its service wrote (no reload),
and a worker's ``publish.batched()`` block sends what committed inside it once, at its end."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kefu.conversations import services as conv
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Channel
from kefu.core import policy_cache
from kefu.core.actor import Actor, ActorKind
from kefu.integrations.models import WebhookDelivery
from kefu.integrations.services import endpoint_create
from kefu.realtime import audiences, events, publish

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _held(callbacks):
    """(event, held message) of each MessageCreated published among the callbacks."""
    return [
        (cb.args[0], cb.args[1])
        for cb in callbacks
        if getattr(cb, "func", None) is publish._deliver
        and isinstance(cb.args[0], events.MessageCreated)
    ]


def _unsigned(deliveries):
    # A customer's attachment link is signed with the current second: compare without it.
    return re.sub(r"\?sig=[^\"']+", "?sig=", repr(deliveries))


def _received(contact, *, external_id, body, files=(), conversation=None):
    return conv.message_receive(
        contact=contact,
        channel=Channel.EMAIL,
        external_id=external_id,
        body=body,
        attachments=files,
        actor=Actor(kind=ActorKind.CUSTOMER, contact_id=contact.pk, label="email user"),
        subject="Deposit missing",
        conversation=conversation,
        join_latest=False,
    )


def test_payloads_from_the_written_row_equal_a_fresh_load_without_a_query(
    customer_1, django_capture_on_commit_callbacks
):
    contact = customer_1.contact
    with django_capture_on_commit_callbacks(execute=True) as created_callbacks:
        first = _received(
            contact,
            external_id="mid:1",
            body="Where is my deposit?",
            files=[UploadedFile(filename="receipt.pdf", content=PDF)],
        )
    with django_capture_on_commit_callbacks(execute=False) as reply_callbacks:
        _received(
            contact,
            external_id="mid:2",
            body="Any news?",
            files=[UploadedFile(filename="again.pdf", content=PDF)],
            conversation=first.conversation,
        )
    held = _held(created_callbacks) + _held(reply_callbacks)
    assert len(held) == 2
    for event, message in held:
        assert message is not None
        assert message.pk == event.message_id
        with CaptureQueriesContext(connection) as queries:
            from_held = audiences.route(event, message=message)
        assert len(queries) == 0  # message, conversation, contact and attachments were held
        fresh = audiences.route(event)  # loaded from the database, as without a held row
        assert _unsigned(from_held) == _unsigned(fresh)
        staff = next(p for g, p in from_held if g.endswith(".staff"))
        assert staff["message"]["name"] == contact.name
        assert [a["filename"] for a in staff["message"]["attachments"]] in (
            ["receipt.pdf"],
            ["again.pdf"],
        )
        assert any(g.endswith(".customer") for g, _p in from_held)


def test_an_agents_reply_is_routed_from_the_held_row_without_a_query(
    conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks
):
    agent_a.display_name = "Mei Lin"
    agent_a.save(update_fields=["display_name"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = conv.message_reply(
            conversation=conversation_a, body="Found it.", actor=actor_of(agent_a)
        )
    [(event, message)] = _held(callbacks)
    assert message is reply

    with CaptureQueriesContext(connection) as queries:
        from_held = audiences.route(event, message=message)

    assert len(queries) == 0  # the author was held with the row too (it names the reply)
    assert _unsigned(from_held) == _unsigned(audiences.route(event))
    staff = next(p for g, p in from_held if g.endswith(".staff"))
    assert (staff["message"]["name"], staff["message"]["author_user_id"]) == ("Mei Lin", agent_a.pk)
    assert reply.author_name == "Mei Lin"


def test_a_held_row_of_another_message_is_not_used(conversation_a, customer_1, actor_of):
    other = conv.message_reply(
        conversation=conversation_a, body="older", actor=actor_of(customer_1)
    )
    newer = conv.message_reply(
        conversation=conversation_a, body="newer", actor=actor_of(customer_1)
    )
    event = events.MessageCreated(
        conversation_id=conversation_a.pk,
        message_id=newer.pk,
        seq=newer.seq,
        public_seq=newer.public_seq,
    )
    deliveries = audiences.route(event, message=other)
    staff = next(p for g, p in deliveries if g.endswith(".staff"))
    assert staff["message"]["body"] == "newer"


@pytest.fixture
def sent(monkeypatch):
    """Every hand-over to the channel layer (one list of deliveries per call). Starts with an
    empty policy cache, so the webhook endpoints are read once (ADR 0028)."""
    policy_cache.clear()
    calls: list[list[audiences.Delivery]] = []
    monkeypatch.setattr(publish, "_send_now", lambda deliveries: calls.append(list(deliveries)))
    return calls


def _endpoint_reads(queries):
    return [q for q in queries if 'FROM "integrations_webhookendpoint"' in q["sql"]]


def test_batched_sends_two_transactions_once_in_commit_order(
    conversation_a, customer_1, actor_of, sent, django_capture_on_commit_callbacks
):
    actor = actor_of(customer_1)
    with CaptureQueriesContext(connection) as queries, publish.batched():
        with django_capture_on_commit_callbacks(execute=True):
            one = conv.message_reply(conversation=conversation_a, body="one", actor=actor)
        with django_capture_on_commit_callbacks(execute=True):
            two = conv.message_reply(conversation=conversation_a, body="two", actor=actor)
        assert sent == []  # nothing is sent before the block ends
    assert len(sent) == 1
    bodies = [p["message"]["body"] for g, p in sent[0] if g.endswith(".staff") and "message" in p]
    assert bodies == ["one", "two"]
    assert {p["message"]["id"] for g, p in sent[0] if "message" in p} == {one.pk, two.pk}
    assert len(_endpoint_reads(queries.captured_queries)) == 1  # one look-up for both


def test_without_batched_each_event_is_sent_and_looked_up_on_its_own(
    conversation_a, customer_1, actor_of, sent, django_capture_on_commit_callbacks
):
    actor = actor_of(customer_1)
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):
            conv.message_reply(conversation=conversation_a, body="one", actor=actor)
        with django_capture_on_commit_callbacks(execute=True):
            conv.message_reply(conversation=conversation_a, body="two", actor=actor)
    assert len(sent) == 2  # each event handed over on its own
    # The endpoints are read for the first event; the second finds them in the policy cache.
    assert len(_endpoint_reads(queries.captured_queries)) == 1


def test_batched_sends_nothing_of_a_rolled_back_change(
    conversation_a, customer_1, actor_of, sent, django_capture_on_commit_callbacks
):
    actor = actor_of(customer_1)

    def reply_then_fail() -> None:
        with transaction.atomic():  # a savepoint inside the test's transaction
            conv.message_reply(conversation=conversation_a, body="rolled back", actor=actor)
            raise RuntimeError("undo")

    with publish.batched(), django_capture_on_commit_callbacks(execute=True):
        conv.message_reply(conversation=conversation_a, body="kept", actor=actor)
        with pytest.raises(RuntimeError):
            reply_then_fail()
    bodies = [p["message"]["body"] for g, p in sent[0] if g.endswith(".staff")]
    assert bodies == ["kept"]


def test_batched_still_sends_what_committed_when_the_block_raises(
    conversation_a,
    customer_1,
    admin_user,
    actor_of,
    sent,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint_create(
        url="http://127.0.0.1:9/hooks",
        description="CRM",
        events=["message.created"],
        actor=actor_of(admin_user),
    )
    actor = actor_of(customer_1)

    def store_then_fail() -> None:
        with publish.batched():
            with django_capture_on_commit_callbacks(execute=True):
                conv.message_reply(conversation=conversation_a, body="stored", actor=actor)
            raise RuntimeError("a later step failed")

    with pytest.raises(RuntimeError):
        store_then_fail()
    bodies = [p["message"]["body"] for g, p in sent[0] if g.endswith(".staff")]
    assert bodies == ["stored"]
    assert WebhookDelivery.objects.count() == 1  # the webhook heard it too
