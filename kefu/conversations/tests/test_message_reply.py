"""message_reply: a public reply, its timeline and audit rows, status rules and the email job."""

from __future__ import annotations

import pytest

from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Attachment, Conversation, Message, Status, TimelineKind
from kefu.conversations.tests.conftest import png_bytes, set_status
from kefu.core.actor import Actor
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from kefu.testing.callbacks import jobs


def test_agent_reply_on_new_conversation_opens_it_and_emails_the_customer(
    conversation_a, agent_a, actor_of, snapshot, django_capture_on_commit_callbacks, mailoutbox
):
    before = conversation_a.last_activity_at
    snap = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.message_reply(
            conversation=conversation_a, body="We are *checking* it.", actor=actor_of(agent_a)
        )

    message.refresh_from_db()
    assert snap.new(Message) == [message]
    assert message.kind == "reply"
    assert message.author_kind == "agent"
    assert message.author_user_id == agent_a.pk
    assert message.body_html == "<p>We are <em>checking</em> it.</p>\n"
    assert message.channel == conversation_a.channel
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    assert conversation_a.message_count == 2
    assert conversation_a.last_activity_at > before

    assert snap.timeline() == [
        (TimelineKind.MESSAGE, "agent", agent_a.pk, message.pk, {}, True),
        (TimelineKind.STATUS, "agent", agent_a.pk, None, {"from": "new", "to": "open"}, True),
    ]
    ref = f"agent:{agent_a.pk}"
    pk = str(conversation_a.pk)
    assert snap.audit() == [
        ("agent", ref, "message.replied", "conversation", pk, {"message": message.pk}),
        (
            "agent",
            ref,
            "conversation.status_changed",
            "conversation",
            pk,
            {"from": "new", "to": "open"},
        ),
    ]
    assert len(jobs(callbacks)) == 1
    assert [m.to for m in mailoutbox] == [[conversation_a.contact.email]]


def test_agent_reply_on_open_conversation_changes_no_status(
    conversation_a, agent_a, actor_of, snapshot
):
    set_status(conversation_a, Status.OPEN)
    snap = snapshot()
    message = services.message_reply(
        conversation=conversation_a, body="Done.", actor=actor_of(agent_a)
    )
    assert snap.timeline() == [(TimelineKind.MESSAGE, "agent", agent_a.pk, message.pk, {}, True)]
    assert [a[2] for a in snap.audit()] == ["message.replied"]
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN


def test_agent_reply_can_set_status_in_the_same_transaction(
    conversation_a, agent_a, actor_of, snapshot
):
    set_status(conversation_a, Status.OPEN)
    snap = snapshot()
    message = services.message_reply(
        conversation=conversation_a,
        body="Please send a screenshot",
        set_status=Status.PENDING,
        actor=actor_of(agent_a),
    )
    assert snap.timeline() == [
        (TimelineKind.MESSAGE, "agent", agent_a.pk, message.pk, {}, True),
        (TimelineKind.STATUS, "agent", agent_a.pk, None, {"from": "open", "to": "pending"}, True),
    ]
    assert [a[2] for a in snap.audit()] == ["message.replied", "conversation.status_changed"]
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.PENDING


@pytest.mark.parametrize("status", [Status.PENDING, Status.SOLVED])
def test_customer_reply_reopens_pending_or_solved_conversation(
    conversation_a,
    customer_1,
    actor_of,
    snapshot,
    status,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    set_status(conversation_a, status)
    snap = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.message_reply(
            conversation=conversation_a, body="Still broken", actor=actor_of(customer_1)
        )
    assert message.author_kind == "customer"
    assert message.author_user_id == customer_1.pk
    assert snap.timeline() == [
        (TimelineKind.MESSAGE, "customer", customer_1.pk, message.pk, {}, True),
        (
            TimelineKind.STATUS,
            "customer",
            customer_1.pk,
            None,
            {"from": status, "to": "open"},
            True,
        ),
    ]
    ref = f"customer:{customer_1.pk}"
    assert [(a[1], a[2], a[5]) for a in snap.audit()] == [
        (ref, "message.replied", {"message": message.pk}),
        (ref, "conversation.status_changed", {"from": status, "to": "open"}),
    ]
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    # The customer is not emailed about their own message.
    assert jobs(callbacks) == []
    assert mailoutbox == []


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.ON_HOLD])
def test_customer_reply_keeps_other_statuses(conversation_a, customer_1, actor_of, status):
    set_status(conversation_a, status)
    services.message_reply(
        conversation=conversation_a, body="Any news?", actor=actor_of(customer_1)
    )
    conversation_a.refresh_from_db()
    assert conversation_a.status == status


def test_customer_may_reply_and_close(conversation_a, customer_1, actor_of):
    services.message_reply(
        conversation=conversation_a,
        body="Solved, thanks",
        set_status=Status.CLOSED,
        actor=actor_of(customer_1),
    )
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.CLOSED
    assert conversation_a.closed_at is not None


@pytest.mark.parametrize("status", [Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.OPEN])
def test_customer_cannot_set_other_statuses_through_a_reply(
    conversation_a, customer_1, actor_of, snapshot, status
):
    snap = snapshot()
    with pytest.raises(PermissionDenied):
        services.message_reply(
            conversation=conversation_a, body="hi", set_status=status, actor=actor_of(customer_1)
        )
    snap.assert_nothing_written()
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.NEW


def test_customer_cannot_reply_to_another_customers_conversation(
    conversation_b, customer_1, actor_of, snapshot, django_capture_on_commit_callbacks, mailoutbox
):
    snap = snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PermissionDenied),
    ):
        services.message_reply(conversation=conversation_b, body="hi", actor=actor_of(customer_1))
    snap.assert_nothing_written()
    assert jobs(callbacks) == []
    assert mailoutbox == []


def test_closed_conversation_takes_no_reply(
    closed_conversation,
    agent_a,
    actor_of,
    snapshot,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    snap = snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(InvalidTransition),
    ):
        services.message_reply(
            conversation=closed_conversation, body="Hello", actor=actor_of(agent_a)
        )
    snap.assert_nothing_written()
    assert jobs(callbacks) == []
    assert mailoutbox == []


def test_forbidden_status_change_rolls_back_the_reply(
    conversation_a, agent_a, actor_of, snapshot, django_capture_on_commit_callbacks, mailoutbox
):
    set_status(conversation_a, Status.SOLVED)
    snap = snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(InvalidTransition),
    ):
        services.message_reply(
            conversation=conversation_a,
            body="Hello",
            set_status=Status.PENDING,
            actor=actor_of(agent_a),
        )
    snap.assert_nothing_written()
    assert jobs(callbacks) == []
    assert mailoutbox == []
    conversation_a.refresh_from_db()
    assert (conversation_a.status, conversation_a.message_count) == (Status.SOLVED, 1)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("body", {"body": ""}),
        ("body", {"body": "   "}),
        ("body", {"body": "x" * 20_001}),
        ("status", {"body": "ok", "set_status": "archived"}),
        (
            "attachments",
            {"body": "ok", "attachments": [UploadedFile(filename="a.png", content=b"text")]},
        ),
    ],
)
def test_invalid_reply_is_refused_and_nothing_is_written(
    conversation_a,
    agent_a,
    actor_of,
    snapshot,
    django_capture_on_commit_callbacks,
    mailoutbox,
    field,
    kwargs,
):
    snap = snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationFailed) as excinfo,
    ):
        services.message_reply(conversation=conversation_a, actor=actor_of(agent_a), **kwargs)
    assert list(excinfo.value.fields) == [field]
    snap.assert_nothing_written()
    assert jobs(callbacks) == []
    assert mailoutbox == []


def test_repeated_channel_reply_raises_conflict(conversation_a, system_actor, snapshot):
    services.message_reply(
        conversation=conversation_a,
        body="via email",
        author="customer",
        channel="email",
        external_id="<m1@example.com>",
        actor=system_actor,
    )
    snap = snapshot()
    with pytest.raises(Conflict):
        services.message_reply(
            conversation=conversation_a,
            body="via email",
            author="customer",
            channel="email",
            external_id="<m1@example.com>",
            actor=system_actor,
        )
    snap.assert_nothing_written()


def test_inbound_customer_message_from_system_actor_sends_no_email(
    conversation_a, snapshot, django_capture_on_commit_callbacks
):
    snap = snapshot()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = services.message_reply(
            conversation=conversation_a,
            body="from telegram",
            author="customer",
            channel="telegram",
            actor=Actor.system("telegram"),
        )
    assert (message.author_kind, message.author_user_id, message.channel) == (
        "customer",
        None,
        "telegram",
    )
    assert jobs(callbacks) == []
    assert snap.timeline() == [(TimelineKind.MESSAGE, "system", None, message.pk, {}, True)]


def test_reply_with_attachment_stores_it(conversation_a, customer_1, actor_of, snapshot):
    snap = snapshot()
    message = services.message_reply(
        conversation=conversation_a,
        body="screenshot attached",
        actor=actor_of(customer_1),
        attachments=[UploadedFile(filename="shot.png", content=png_bytes())],
    )
    assert [(a.message_id, a.filename, a.content_type) for a in snap.new(Attachment)] == [
        (message.pk, "shot.png", "image/png")
    ]


def test_audit_failure_rolls_back_the_reply_and_schedules_no_email(
    conversation_a,
    agent_a,
    actor_of,
    snapshot,
    monkeypatch,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    snap = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.message_reply(conversation=conversation_a, body="Hello", actor=actor_of(agent_a))
    snap.assert_nothing_written()
    assert jobs(callbacks) == []
    assert mailoutbox == []
    assert Conversation.objects.get(pk=conversation_a.pk).status == Status.NEW


def test_a_client_key_matches_only_that_authors_string_key_in_that_conversation(
    conversation_a, conversation_b, agent_a, supervisor, actor_of
):
    """The look-up is hand-written SQL per database (kefu.conversations.services._sent_before):
    it must find what ``metadata__client_key=<key>`` finds, and nothing else."""
    first = services.message_reply(
        conversation=conversation_a, body="One.", actor=actor_of(agent_a), client_key="k-1"
    )
    again = services.message_reply(
        conversation=conversation_a, body="Other.", actor=actor_of(agent_a), client_key="k-1"
    )
    assert again.pk == first.pk
    assert again.body == "One."
    # Another author, another conversation, another key: each a new message.
    others = [
        services.message_reply(
            conversation=conversation_a, body="S.", actor=actor_of(supervisor), client_key="k-1"
        ),
        services.message_reply(
            conversation=conversation_b, body="B.", actor=actor_of(supervisor), client_key="k-1"
        ),
        services.message_reply(
            conversation=conversation_a, body="K.", actor=actor_of(agent_a), client_key="k-2"
        ),
    ]
    assert len({first.pk, *(m.pk for m in others)}) == 4
    # A key stored as a number (never written so, but possible in metadata) is not the string.
    Message.objects.filter(pk=first.pk).update(metadata={"client_key": 7})
    seven = services.message_reply(
        conversation=conversation_a, body="Seven.", actor=actor_of(agent_a), client_key="7"
    )
    assert seven.pk != first.pk
    assert seven.body == "Seven."


def test_the_author_row_the_actor_carries_is_used_without_reading_it_again(
    conversation_a, agent_a, supervisor
):
    from kefu.accounts.services import actor_for_user

    carried = actor_for_user(agent_a)
    plain = Actor(kind=carried.kind, user_id=agent_a.pk, label=carried.label)
    assert carried == plain
    assert carried.user is agent_a
    agent_a.display_name = "Shown Name"  # as read by the caller just now
    message = services.message_reply(conversation=conversation_a, body="Hi.", actor=carried)
    assert message.author_name == "Shown Name"
    assert message.author_user is agent_a
    # Without the row (or with another user's), the service reads it as before.
    other = services.message_reply(conversation=conversation_a, body="Hi again.", actor=plain)
    assert other.author_name == type(agent_a).objects.get(pk=agent_a.pk).display_name
    assert other.author_name != "Shown Name"
    wrong = Actor(kind=carried.kind, user_id=agent_a.pk, label=carried.label, user=supervisor)
    third = services.message_reply(conversation=conversation_a, body="Third.", actor=wrong)
    assert third.author_name == other.author_name
