"""Reply, close and reopen from the request page."""

from __future__ import annotations

from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations.models import AuthorKind, Channel, Conversation, Status

from .samples import PNG, TEXT, upload


def _url(name, conversation):
    return reverse(f"portal:{name}", args=[conversation.pk])


def test_customer_replies(client_1, customer_1, conversation_a):
    response = client_1.post(_url("request_reply", conversation_a), {"body": "Any news?"})
    assert response.status_code == 302
    assert response["Location"] == _url("request_detail", conversation_a)
    message = conversation_a.messages.order_by("-id").first()
    assert message.body == "Any news?"
    assert message.author_kind == AuthorKind.CUSTOMER
    assert message.author_user == customer_1
    assert message.channel == Channel.WEB
    assert (
        AuditEntry.objects.filter(
            action="message.replied",
            object_id=str(conversation_a.pk),
            actor_ref=f"customer:{customer_1.pk}",
        ).count()
        == 1
    )
    page = client_1.get(response["Location"]).content.decode()
    assert "Your reply has been sent." in page
    assert "Any news?" in page


def test_customer_replies_with_attachment(client_1, conversation_a):
    response = client_1.post(
        _url("request_reply", conversation_a),
        {"body": "Here is the receipt", "attachments": [upload("r.pdf", PNG)]},
    )
    assert response.status_code == 302
    attachment = conversation_a.messages.order_by("-id").first().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("r.pdf", "image/png")


def test_reply_with_bad_attachment_adds_nothing(client_1, conversation_a, counts):
    before = counts()
    response = client_1.post(
        _url("request_reply", conversation_a),
        {"body": "Receipt", "attachments": [upload("r.png", TEXT)]},
    )
    assert response.status_code == 200
    assert "r.png is not an allowed file type" in response.content.decode()
    assert counts() == before


def test_empty_reply_is_refused(client_1, conversation_a, counts):
    before = counts()
    response = client_1.post(_url("request_reply", conversation_a), {"body": "   "})
    assert response.status_code == 200
    assert response.context["reply_form"].errors == {"body": ["This field is required."]}
    assert counts() == before


def test_customer_closes_request(client_1, customer_1, conversation_a):
    response = client_1.post(_url("request_close", conversation_a))
    assert response.status_code == 302
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.CLOSED
    assert conversation_a.closed_at is not None
    entry = AuditEntry.objects.get(action="conversation.status_changed")
    assert entry.data == {"from": "new", "to": "closed"}
    assert entry.actor_ref == f"customer:{customer_1.pk}"
    page = client_1.get(response["Location"]).content.decode()
    assert "Your request has been closed." in page


def test_customer_reopens_closed_request(client_1, conversation_a):
    Conversation.objects.filter(pk=conversation_a.pk).update(status=Status.CLOSED)
    response = client_1.post(_url("request_reopen", conversation_a))
    assert response.status_code == 302
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.OPEN
    assert conversation_a.closed_at is None
    assert "Your request has been reopened." in client_1.get(response["Location"]).content.decode()


def test_closed_request_refuses_reply(client_1, conversation_a, counts):
    Conversation.objects.filter(pk=conversation_a.pk).update(status=Status.CLOSED)
    before = counts()
    response = client_1.post(_url("request_reply", conversation_a), {"body": "Hello again"})
    assert response.status_code == 200
    assert "This conversation is closed. Reopen it to reply." in response.content.decode()
    assert counts() == before


def test_reopening_a_new_request_is_refused(client_1, conversation_a, counts):
    before = counts()
    response = client_1.post(_url("request_reopen", conversation_a), follow=True)
    assert "You can only close or reopen your request." in response.content.decode()
    assert counts() == before
    conversation_a.refresh_from_db()
    assert conversation_a.status == Status.NEW


def test_actions_refuse_get(client_1, conversation_a, counts):
    before = counts()
    for name in ("request_reply", "request_close", "request_reopen"):
        assert client_1.get(_url(name, conversation_a)).status_code == 405
    assert counts() == before


def test_replies_are_rate_limited_per_customer(client_1, conversation_a, counts, monkeypatch):
    from kefu.portal.views import support_requests

    monkeypatch.setattr(support_requests, "REPLY_LIMIT", 2)
    for i in range(2):
        response = client_1.post(_url("request_reply", conversation_a), {"body": f"ping {i}"})
        assert response.status_code == 302
    before = counts()
    response = client_1.post(_url("request_reply", conversation_a), {"body": "ping again"})
    assert response.status_code == 429
    assert "Please wait a while and try again." in response.content.decode()
    assert counts() == before
