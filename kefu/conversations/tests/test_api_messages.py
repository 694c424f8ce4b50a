"""REST API: a conversation's messages — list replies and notes, post replies and notes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from kefu.accounts.tests.apikit import Api, assert_error, make_key
from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, Message, Status, TimelineEntry
from kefu.conversations.selectors import messages_for_customer
from kefu.conversations.tests.api_expected import message_body
from kefu.conversations.tests.conftest import png_bytes, set_status
from kefu.testing.callbacks import jobs


@pytest.fixture
def key_and_secret(admin_user):
    return make_key(admin_user)


@pytest.fixture
def api(key_and_secret):
    return Api(key_and_secret[1])


def api_audit():
    return AuditEntry.objects.filter(actor_kind="api")


# --- list -----------------------------------------------------------------------------------


def test_list_messages_returns_replies_and_notes_oldest_first_with_attachments(
    api, conversation_a, agent_a, actor_of
):
    first = conversation_a.messages.get()
    reply = services.message_reply(
        conversation=conversation_a,
        body="See the *screenshot*.",
        actor=actor_of(agent_a),
        attachments=[UploadedFile(filename="proof.png", content=png_bytes())],
    )
    note = services.note_add(
        conversation=conversation_a, body="Checked the node.", actor=actor_of(agent_a)
    )
    response = api.get(f"/conversations/{conversation_a.pk}/messages")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "items": [message_body(first), message_body(reply), message_body(note)],
        "next_cursor": None,
    }
    assert [m["kind"] for m in body["items"]] == ["reply", "reply", "note"]
    assert body["items"][1]["attachments"][0]["filename"] == "proof.png"
    assert body["items"][1]["attachments"][0]["content_type"] == "image/png"
    assert body["items"][1]["author"] == {"id": agent_a.pk, "name": str(agent_a)}


def test_list_messages_cursor_walks_every_message_once(api, conversation_a, agent_a, actor_of):
    for i in range(6):
        services.note_add(conversation=conversation_a, body=f"note {i}", actor=actor_of(agent_a))
    seen: list[int] = []
    params: dict = {"limit": 2}
    while True:
        body = api.get(f"/conversations/{conversation_a.pk}/messages", params).json()
        seen += [m["id"] for m in body["items"]]
        if body["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": body["next_cursor"]}
    assert seen == list(
        conversation_a.messages.order_by("created_at", "id").values_list("pk", flat=True)
    )
    assert len(seen) == 7


def test_list_messages_query_count_is_constant_in_page_size(
    api, conversation_a, agent_a, actor_of, django_assert_max_num_queries
):
    for i in range(55):
        services.message_reply(
            conversation=conversation_a,
            body=f"reply {i}",
            actor=actor_of(agent_a),
            attachments=[UploadedFile(filename="a.png", content=png_bytes())] if i % 5 == 0 else [],
        )
    url = f"/conversations/{conversation_a.pk}/messages"
    api.get(url)  # the first use of a key also records last_used_at
    with django_assert_max_num_queries(5):
        assert len(api.get(url, {"limit": 5}).json()["items"]) == 5
    with django_assert_max_num_queries(5):
        assert len(api.get(url, {"limit": 50}).json()["items"]) == 50


def test_list_messages_of_unknown_conversation_is_a_404(api):
    assert_error(api.get("/conversations/999/messages"), 404, "not_found", {})


def test_list_messages_rejects_a_bad_cursor(api, conversation_a):
    response = api.get(f"/conversations/{conversation_a.pk}/messages", {"cursor": "nope"})
    assert_error(response, 422, "validation_failed", {"cursor": ["Invalid cursor."]})


# --- replies --------------------------------------------------------------------------------


def test_agent_reply_via_api_opens_the_conversation_and_queues_the_email(
    api, key_and_secret, conversation_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            f"/conversations/{conversation_a.pk}/messages", {"body": "We **found** it."}
        )
    assert response.status_code == 201, response.content
    message = Message.objects.latest("pk")
    assert response.json() == message_body(message)
    assert response.json()["body_html"] == "<p>We <strong>found</strong> it.</p>\n"
    assert (message.kind, message.author_kind, message.author_user_id) == ("reply", "agent", None)
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    assert len(jobs(callbacks)) == 1  # notify_customer_of_reply
    assert list(api_audit().order_by("pk").values_list("action", "actor_ref")) == [
        ("message.replied", f"api:{key_and_secret[0].pk}"),
        ("conversation.status_changed", f"api:{key_and_secret[0].pk}"),
    ]


def test_customer_message_via_api_reopens_a_pending_conversation_without_email(
    api, conversation_a, django_capture_on_commit_callbacks
):
    set_status(conversation_a, Status.PENDING)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            f"/conversations/{conversation_a.pk}/messages",
            {"body": "Still waiting", "author": "customer", "external_id": "tg-1"},
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["author_kind"], body["external_id"]) == ("reply", "customer", "tg-1")
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    assert jobs(callbacks) == []


def test_reply_can_set_the_status(api, conversation_a):
    response = api.post(
        f"/conversations/{conversation_a.pk}/messages", {"body": "Done?", "status": "pending"}
    )
    assert response.status_code == 201
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.PENDING


def test_a_repeated_external_id_is_a_409_and_creates_nothing(api, conversation_a):
    url = f"/conversations/{conversation_a.pk}/messages"
    assert api.post(url, {"body": "one", "external_id": "ext-9"}).status_code == 201
    count = Message.objects.count()
    response = api.post(url, {"body": "one again", "external_id": "ext-9"})
    error = assert_error(response, 409, "conflict", {})
    assert error["message"] == "This message was already received."
    assert Message.objects.count() == count


def test_a_duplicate_that_races_past_the_check_is_still_a_409(api, conversation_a, monkeypatch):
    def racing(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: msg_channel_external_id_uniq")

    monkeypatch.setattr(services, "message_reply", racing)
    url = f"/conversations/{conversation_a.pk}/messages"
    assert_error(api.post(url, {"body": "x", "external_id": "e"}), 409, "conflict", {})
    # Without an external id an IntegrityError is a bug, not a duplicate.
    assert_error(api.post(url, {"body": "x"}), 500, "internal_error", {})


def test_reply_to_a_closed_conversation_is_a_409(api, closed_conversation):
    count = Message.objects.count()
    response = api.post(f"/conversations/{closed_conversation.pk}/messages", {"body": "Hi"})
    assert_error(response, 409, "invalid_transition", {})
    assert Message.objects.count() == count
    assert api_audit().count() == 0


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"body": ["This field is required."]}),
        ({"body": ""}, {"body": ["String should have at least 1 character"]}),
        ({"body": " "}, {"body": ["Write a message."]}),
        ({"body": "x" * 20_001}, {"body": ["String should have at most 20000 characters"]}),
        ({"body": ["a"]}, {"body": ["Input should be a valid string"]}),
        ({"body": "x", "author": "bot"}, {"author": ["Input should be 'agent' or 'customer'"]}),
        (
            {"body": "x", "status": "done"},
            {
                "status": [
                    "Input should be 'new', 'open', 'pending', 'on_hold', 'solved' or 'closed'"
                ]
            },
        ),
        (
            {"body": "x", "external_id": ""},
            {"external_id": ["String should have at least 1 character"]},
        ),
        ({"body": "x", "kind": "note"}, {"kind": ["Unknown field."]}),
    ],
)
def test_reply_rejects_bad_input(api, conversation_a, payload, fields):
    count = Message.objects.count()
    response = api.post(f"/conversations/{conversation_a.pk}/messages", payload)
    assert_error(response, 422, "validation_failed", fields)
    assert Message.objects.count() == count
    assert api_audit().count() == 0


def test_reply_to_an_unknown_conversation_is_a_404(api):
    assert_error(api.post("/conversations/999/messages", {"body": "x"}), 404, "not_found", {})


# --- notes ----------------------------------------------------------------------------------


def test_note_via_api_is_internal_and_never_a_public_reply(
    api, key_and_secret, conversation_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            f"/conversations/{conversation_a.pk}/notes", {"body": "Customer is a VIP"}
        )
    assert response.status_code == 201, response.content
    note = Message.objects.latest("pk")
    assert response.json() == message_body(note)
    assert (response.json()["kind"], response.json()["author_kind"]) == ("note", "agent")
    assert note not in messages_for_customer(conversation_a)
    entry = TimelineEntry.objects.get(message=note)
    assert (entry.kind, entry.public) == ("note", False)
    assert jobs(callbacks) == []  # nothing is sent to the customer
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.NEW
    listed = api.get(f"/conversations/{conversation_a.pk}/messages").json()["items"]
    assert [(m["id"], m["kind"]) for m in listed][-1] == (note.pk, "note")
    audit = api_audit().get()
    assert (audit.action, audit.actor_ref) == ("note.added", f"api:{key_and_secret[0].pk}")


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"body": ["This field is required."]}),
        ({"body": ""}, {"body": ["String should have at least 1 character"]}),
        ({"body": "x", "author": "agent"}, {"author": ["Unknown field."]}),
        ({"body": 12}, {"body": ["Input should be a valid string"]}),
    ],
)
def test_note_rejects_bad_input(api, conversation_a, payload, fields):
    count = Message.objects.count()
    response = api.post(f"/conversations/{conversation_a.pk}/notes", payload)
    assert_error(response, 422, "validation_failed", fields)
    assert Message.objects.count() == count


def test_note_on_an_unknown_conversation_is_a_404(api):
    assert_error(api.post("/conversations/KF-000999/notes", {"body": "x"}), 404, "not_found", {})


def test_message_counts_follow_api_writes(api, conversation_a):
    api.post(f"/conversations/{conversation_a.pk}/notes", {"body": "n"})
    api.post(f"/conversations/{conversation_a.pk}/messages", {"body": "r"})
    assert Conversation.objects.get(pk=conversation_a.pk).message_count == 3
