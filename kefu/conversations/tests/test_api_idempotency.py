"""REST API: Idempotency-Key on every create — replay, reuse, failures, per-key scope, races."""

from __future__ import annotations

import pytest

from kefu.accounts.tests.apikit import Api, assert_error, make_key
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message, TimelineEntry
from kefu.core.models import IdempotencyRecord


@pytest.fixture
def key_and_secret(admin_user):
    return make_key(admin_user)


@pytest.fixture
def api(key_and_secret):
    return Api(key_and_secret[1])


def _creates(conversation: Conversation):
    """(path, body, what one create adds) for every create endpoint."""
    c = conversation.pk
    return {
        "customer": ("/customers", {"email": "new@example.com"}, Contact),
        "conversation": (
            "/conversations",
            {"customer_id": conversation.contact_id, "subject": "Hi", "body": "Help"},
            Conversation,
        ),
        "message": (f"/conversations/{c}/messages", {"body": "Reply"}, Message),
        "note": (f"/conversations/{c}/notes", {"body": "Note"}, Message),
        "escalation": (f"/conversations/{c}/escalations", {"reason": "Stuck"}, TimelineEntry),
    }


def _rows():
    return tuple(
        m.objects.count() for m in (Contact, Conversation, Message, TimelineEntry, AuditEntry)
    )


@pytest.mark.parametrize("kind", ["customer", "conversation", "message", "note", "escalation"])
def test_same_key_and_body_replays_the_answer_and_creates_once(
    api, key_and_secret, conversation_a, kind
):
    path, body, model = _creates(conversation_a)[kind]
    before = model.objects.count()
    first = api.post(path, body, idempotency_key="retry-1")
    assert first.status_code == 201, first.content
    rows = _rows()

    second = api.post(path, body, idempotency_key="retry-1")
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert model.objects.count() == before + 1
    assert _rows() == rows  # the replay wrote nothing at all
    record = IdempotencyRecord.objects.get()
    assert (record.scope, record.key, record.status_code) == (
        f"apikey:{key_and_secret[0].pk}",
        "retry-1",
        201,
    )
    assert record.response_body == first.content.decode()  # stored verbatim


def test_a_replayed_escalation_does_not_escalate_twice(api, conversation_a):
    url = f"/conversations/{conversation_a.pk}/escalations"
    api.post(url, {"reason": "Stuck"}, idempotency_key="esc")
    api.post(url, {"reason": "Stuck"}, idempotency_key="esc")
    conversation_a.refresh_from_db()
    assert conversation_a.tier == 2


def test_key_order_and_spacing_of_the_json_do_not_matter(api):
    first = api.post(
        "/customers", raw='{"email": "a@example.com", "name": "A"}', idempotency_key="k"
    )
    second = api.post("/customers", raw='{"name":"A","email":"a@example.com"}', idempotency_key="k")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


@pytest.mark.parametrize("kind", ["customer", "conversation", "message", "note", "escalation"])
def test_same_key_with_a_different_body_is_a_409(api, conversation_a, kind):
    path, body, _ = _creates(conversation_a)[kind]
    api.post(path, body, idempotency_key="k-2")
    rows = _rows()
    field = next(k for k, v in body.items() if isinstance(v, str))
    changed = {**body, field: body[field] + " (edited)"}
    response = api.post(path, changed, idempotency_key="k-2")
    error = assert_error(
        response,
        409,
        "idempotency_key_reused",
        {"Idempotency-Key": ["Already used for a different request."]},
    )
    assert error["message"] == "This Idempotency-Key was already used for a different request."
    assert _rows() == rows


def test_same_key_on_another_endpoint_is_a_409(api, conversation_a):
    api.post(f"/conversations/{conversation_a.pk}/notes", {"body": "x"}, idempotency_key="k")
    response = api.post(
        f"/conversations/{conversation_a.pk}/messages", {"body": "x"}, idempotency_key="k"
    )
    assert_error(response, 409, "idempotency_key_reused")


def test_keys_are_scoped_to_the_api_key(api, admin_user):
    _, other_secret = make_key(admin_user, name="Other integration")
    first = api.post("/customers", {"email": "a@example.com"}, idempotency_key="shared")
    second = Api(other_secret).post(
        "/customers", {"email": "b@example.com"}, idempotency_key="shared"
    )
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert Contact.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_a_failed_create_stores_nothing_so_the_key_can_be_retried(api, conversation_a):
    bad = api.post(
        "/conversations",
        {"customer_id": conversation_a.contact_id, "subject": "   ", "body": "x"},
        idempotency_key="k-3",
    )
    assert_error(bad, 422, "validation_failed", {"subject": ["Write a short subject."]})
    assert IdempotencyRecord.objects.count() == 0
    good = api.post(
        "/conversations",
        {"customer_id": conversation_a.contact_id, "subject": "Real", "body": "x"},
        idempotency_key="k-3",
    )
    assert good.status_code == 201
    assert IdempotencyRecord.objects.count() == 1


def test_a_conflicting_create_stores_nothing(api, customer_1):
    response = api.post("/customers", {"email": customer_1.email}, idempotency_key="k-4")
    assert_error(response, 409, "conflict")
    assert IdempotencyRecord.objects.count() == 0


def test_without_a_key_every_post_creates(api, conversation_a):
    url = f"/conversations/{conversation_a.pk}/notes"
    api.post(url, {"body": "same"})
    api.post(url, {"body": "same"})
    assert conversation_a.messages.filter(kind="note").count() == 2
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_an_invalid_key_is_a_422(api, key):
    response = api.post("/customers", {"email": "a@example.com"}, idempotency_key=key)
    error = assert_error(response, 422, "validation_failed")
    assert list(error["fields"]) == ["Idempotency-Key"]
    assert Contact.objects.count() == 0


# --- the race: two requests with one key, both past the lookup before either commits --------


def _lose_the_race(monkeypatch, api, winner_body: dict) -> None:
    """Make the next request's lookup miss, while a 'winner' has committed meanwhile."""
    first = api.post("/customers", winner_body, idempotency_key="race")
    assert first.status_code == 201
    Contact.objects.filter(pk=first.json()["id"]).delete()  # keep only the winner's answer
    monkeypatch.setattr("kefu.core.api_support._find", lambda scope, key: None)


def test_the_loser_of_a_race_rolls_back_and_replays_the_winner(monkeypatch, api):
    _lose_the_race(monkeypatch, api, {"email": "race@example.com"})
    audit_before = AuditEntry.objects.count()
    winner = IdempotencyRecord.objects.get()

    response = api.post("/customers", {"email": "race@example.com"}, idempotency_key="race")

    assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"
    assert response.content.decode() == winner.response_body
    assert Contact.objects.count() == 0  # the loser's contact was rolled back
    assert AuditEntry.objects.count() == audit_before
    assert IdempotencyRecord.objects.count() == 1


def test_the_loser_of_a_race_with_a_different_body_gets_a_409(monkeypatch, api):
    _lose_the_race(monkeypatch, api, {"email": "race@example.com"})
    response = api.post("/customers", {"email": "other@example.com"}, idempotency_key="race")
    assert_error(response, 409, "idempotency_key_reused")
    assert Contact.objects.count() == 0


def test_the_stored_fingerprint_is_keyed_so_a_redacted_secret_cannot_be_guessed_back(
    api, conversation_a
):
    """The guard redacts a password before storing the message; the idempotency record keeps
    only a keyed digest of the request, not a plain hash someone could brute-force."""
    import hashlib
    import json

    body = {"body": "my password is Hunter22x", "author": "customer"}
    path = f"/conversations/{conversation_a.pk}/messages"
    assert api.post(path, body, idempotency_key="secret-1").status_code == 201
    record = IdempotencyRecord.objects.get(key="secret-1")
    plain = json.dumps(
        {"method": "POST", "path": "/api/v1" + path, "body": body},
        sort_keys=True,
        separators=(",", ":"),
    )
    assert record.request_hash != hashlib.sha256(plain.encode()).hexdigest()
    assert "Hunter22x" not in record.response_body


def test_replays_still_match_after_a_secret_key_rotation(api, conversation_a, settings):
    path = f"/conversations/{conversation_a.pk}/messages"
    first = api.post(path, {"body": "Reply"}, idempotency_key="rotate-1")
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-" + "k" * 50
    settings.SECRET_KEY_FALLBACKS = [old]
    second = api.post(path, {"body": "Reply"}, idempotency_key="rotate-1")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
