"""conversation_create: a conversation, its first message, one timeline row and one audit row."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage

from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import (
    Attachment,
    Conversation,
    DeliveryStatus,
    Message,
    Priority,
    Status,
    Tier,
    TimelineKind,
)
from kefu.conversations.tests.conftest import png_bytes
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed
from kefu.testing import factories
from kefu.testing.callbacks import jobs, published


def test_customer_opens_conversation_with_first_message_timeline_and_audit(
    customer_1, actor_of, snapshot, django_capture_on_commit_callbacks, mailoutbox
):
    contact = customer_1.contact
    snap = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        conversation = services.conversation_create(
            contact=contact,
            subject="  Withdrawal stuck  ",
            body="My **USDT** has not arrived.",
            category="withdrawal",
            tx_id=" 0xabc123 ",
            asset="usdt",
            network="TRC20",
            actor=actor_of(customer_1),
        )

    conversation.refresh_from_db()
    assert conversation.contact == contact
    assert conversation.subject == "Withdrawal stuck"
    assert conversation.category == "withdrawal"
    assert conversation.channel == "web"
    assert conversation.status == Status.NEW
    assert conversation.priority == Priority.NORMAL
    assert conversation.tier == Tier.L1
    assert conversation.language == "en"
    assert (conversation.tx_id, conversation.asset, conversation.network) == (
        "0xabc123",
        "USDT",
        "TRC20",
    )
    assert conversation.team is None
    assert conversation.assignee is None
    assert conversation.message_count == 1
    assert conversation.closed_at is None
    assert conversation.last_activity_at >= conversation.created_at

    [message] = snap.new(Message)
    assert message.conversation_id == conversation.pk
    assert message.kind == "reply"
    assert message.author_kind == "customer"
    assert message.author_user_id == customer_1.pk
    assert message.body == "My **USDT** has not arrived."
    assert message.body_html == "<p>My <strong>USDT</strong> has not arrived.</p>\n"
    assert message.channel == "web"
    assert message.delivery_status == DeliveryStatus.NONE
    assert message.external_id is None

    assert snap.timeline() == [
        (
            TimelineKind.CREATED,
            "customer",
            customer_1.pk,
            message.pk,
            {"channel": "web", "category": "withdrawal"},
            True,
        ),
    ]
    assert snap.audit() == [
        (
            "customer",
            f"customer:{customer_1.pk}",
            "conversation.created",
            "conversation",
            str(conversation.pk),
            {"channel": "web", "category": "withdrawal"},
        ),
    ]
    assert snap.new(Conversation) == [conversation]
    # A customer's own message notifies nobody by email; it is published in real time.
    assert jobs(callbacks) == []
    assert [e.name for e in published(callbacks)] == ["message.created", "conversation.created"]
    assert mailoutbox == []


def test_system_actor_records_inbound_email_as_customer_message(customer_1, snapshot):
    snap = snapshot()
    conversation = services.conversation_create(
        contact=customer_1.contact,
        subject="Deposit",
        body="Where is my BTC deposit?",
        channel="email",
        category="deposit",
        external_id="<abc@mail.example>",
        author="customer",
        actor=Actor.system("email-inbound"),
    )
    [message] = snap.new(Message)
    assert (message.author_kind, message.author_user_id) == ("customer", None)
    assert (message.channel, message.external_id) == ("email", "<abc@mail.example>")
    assert conversation.channel == "email"
    assert snap.timeline() == [
        (
            TimelineKind.CREATED,
            "system",
            None,
            message.pk,
            {"channel": "email", "category": "deposit"},
            True,
        ),
    ]
    assert snap.audit() == [
        (
            "system",
            "system",
            "conversation.created",
            "conversation",
            str(conversation.pk),
            {"channel": "email", "category": "deposit"},
        ),
    ]


def test_language_defaults_to_contact_language_and_can_be_given(db, system_actor):
    contact = factories.ContactFactory(language="zh-hans")
    default = services.conversation_create(
        contact=contact, subject="提现", body="提现失败", actor=system_actor
    )
    explicit = services.conversation_create(
        contact=contact, subject="Login", body="Cannot log in", language="en", actor=system_actor
    )
    assert default.language == "zh-hans"
    assert explicit.language == "en"


def test_conversation_can_be_routed_to_a_team_with_priority(customer_1, team_a, system_actor):
    conversation = services.conversation_create(
        contact=customer_1.contact,
        subject="Hacked",
        body="Someone logged in",
        category="security",
        priority=Priority.URGENT,
        team=team_a,
        actor=system_actor,
    )
    conversation.refresh_from_db()
    assert conversation.team == team_a
    assert conversation.priority == Priority.URGENT


def test_customer_cannot_open_conversation_for_another_customer(
    customer_1, customer_2, actor_of, snapshot, mailoutbox
):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.conversation_create(
            contact=customer_2.contact, subject="Hi", body="Hello", actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("subject", {"subject": ""}),
        ("subject", {"subject": "   "}),
        ("subject", {"subject": "x" * 201}),
        ("body", {"body": ""}),
        ("body", {"body": " \n "}),
        ("body", {"body": "x" * 20_001}),
        ("category", {"category": "lottery"}),
        ("channel", {"channel": "pigeon"}),
        ("priority", {"priority": 7}),
        ("tx_id", {"tx_id": "0xabc def"}),
        ("asset", {"asset": "US-DT"}),
        ("network", {"network": "n" * 33}),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_written(
    customer_1, actor_of, snapshot, field, overrides
):
    kwargs = {"subject": "Withdrawal", "body": "Not received"} | overrides
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_create(
            contact=customer_1.contact, actor=actor_of(customer_1), **kwargs
        )
    assert list(excinfo.value.fields) == [field]
    snap.assert_nothing_written()


def test_subject_and_body_at_their_limits_are_accepted(customer_1, actor_of):
    conversation = services.conversation_create(
        contact=customer_1.contact,
        subject="s" * 200,
        body="b" * 20_000,
        actor=actor_of(customer_1),
    )
    assert len(conversation.subject) == 200
    assert len(conversation.messages.get().body) == 20_000


def test_repeated_channel_message_raises_conflict_instead_of_duplicating(
    customer_1, system_actor, snapshot
):
    services.conversation_create(
        contact=customer_1.contact,
        subject="Hi",
        body="Hello",
        channel="telegram",
        external_id="tg-42",
        actor=system_actor,
    )
    snap = snapshot()
    with pytest.raises(Conflict):
        services.conversation_create(
            contact=customer_1.contact,
            subject="Hi",
            body="Hello",
            channel="telegram",
            external_id="tg-42",
            actor=system_actor,
        )
    snap.assert_nothing_written()


def test_same_external_id_on_another_channel_is_a_different_message(customer_1, system_actor):
    services.conversation_create(
        contact=customer_1.contact,
        subject="a",
        body="a",
        channel="telegram",
        external_id="42",
        actor=system_actor,
    )
    services.conversation_create(
        contact=customer_1.contact,
        subject="b",
        body="b",
        channel="email",
        external_id="42",
        actor=system_actor,
    )
    assert Message.objects.filter(external_id="42").count() == 2


def test_attachments_are_stored_with_sniffed_type_size_and_hash(customer_1, actor_of, snapshot):
    content = png_bytes()
    snap = snapshot()
    conversation = services.conversation_create(
        contact=customer_1.contact,
        subject="Screenshot",
        body="See the error",
        attachments=[UploadedFile(filename="error.png", content=content)],
        actor=actor_of(customer_1),
    )
    [message] = snap.new(Message)
    [attachment] = snap.new(Attachment)
    assert attachment.message == message
    assert message.conversation == conversation
    assert attachment.filename == "error.png"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with default_storage.open(attachment.file.name, "rb") as handle:
        assert handle.read() == content


def test_bad_attachment_rolls_back_the_whole_conversation(customer_1, actor_of, snapshot):
    snap = snapshot()
    with pytest.raises(ValidationFailed) as excinfo:
        services.conversation_create(
            contact=customer_1.contact,
            subject="Screenshot",
            body="See the error",
            attachments=[UploadedFile(filename="error.png", content=b"not really a png")],
            actor=actor_of(customer_1),
        )
    assert list(excinfo.value.fields) == ["attachments"]
    snap.assert_nothing_written()


def test_audit_failure_rolls_back_conversation_message_and_timeline(
    customer_1, actor_of, snapshot, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with pytest.raises(RuntimeError):
        services.conversation_create(
            contact=customer_1.contact, subject="Hi", body="Hello", actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()
