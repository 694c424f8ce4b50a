"""The chat's HTTP side: site config, the long-poll fallback, uploads, signed attachment links,
the demo host page, and continuing by email when the visitor has left."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core import mail

from kefu.conversations import services as conv
from kefu.conversations.models import Conversation, Message
from kefu.core import clock
from kefu.inbox.adapters.webchat import views
from kefu.inbox.adapters.webchat.identity import sign_identity_token
from kefu.inbox.models import ChatSite, ChatVisitor

ORIGIN = "http://127.0.0.1:8000"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def _post(client, url, frame, token=None, origin=ORIGIN):
    headers = {"HTTP_ORIGIN": origin}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Visitor {token}"
    return client.post(url, data=json.dumps(frame), content_type="application/json", **headers)


def _hello(client, site, **fields):
    response = _post(client, "/chat/v1/hello", {"type": "hello", "site": site.key, **fields})
    assert response.status_code == 200, response.content
    return response.json()


def _send(client, token, key, body, conversation_id=None):
    frame = {"type": "message.send", "id": key, "body": body}
    if conversation_id:
        frame["conversation_id"] = conversation_id
    response = _post(client, "/chat/v1/frames", frame, token)
    assert response.status_code == 200, response.content
    return response.json()["frames"][0]


def test_site_config_is_public_localised_and_cors_scoped(client, chat_site):
    response = client.get(f"/chat/v1/sites/{chat_site.key}/config?lang=zh-hans", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    config = response.json()
    assert config["site"]["key"] == chat_site.key
    assert "identity_secret" not in json.dumps(config)
    assert chat_site.identity_secret not in json.dumps(config)
    assert {"open_now", "hours", "expected_wait_seconds"} <= set(config["service"])
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get(f"/chat/v1/sites/{chat_site.key}/config", HTTP_ORIGIN="https://evil.test")
    assert "Access-Control-Allow-Origin" not in other
    assert client.get("/chat/v1/sites/nope/config").status_code == 404


def test_preflight_allows_the_visitor_header(client):
    response = client.options("/chat/v1/frames", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 204
    assert "Authorization" in response["Access-Control-Allow-Headers"]


def test_fallback_send_and_poll_with_the_same_guarantees(client, chat_site, agent_a, actor_of):
    welcome = _hello(client, chat_site)
    token = welcome["visitor"]["token"]
    ack = _send(client, token, "http-msg-0001", "deposit missing")
    assert ack["type"] == "message.ack"
    again = _send(client, token, "http-msg-0001", "deposit missing")
    assert again["message"]["id"] == ack["message"]["id"]
    cid = ack["conversation"]["id"]
    assert Message.objects.filter(conversation_id=cid).count() == 1
    conversation = Conversation.objects.get(pk=cid)
    conv.note_add(conversation=conversation, body="internal only", actor=actor_of(agent_a))
    conv.message_reply(conversation=conversation, body="On it", actor=actor_of(agent_a))
    response = client.get(
        f"/chat/v1/poll?conversation_id={cid}&after_seq=1",
        HTTP_AUTHORIZATION=f"Visitor {token}",
        HTTP_ORIGIN=ORIGIN,
    )
    assert response.status_code == 200
    frames = response.json()["frames"]
    created = [f for f in frames if f["type"] == "message.created"]
    assert [(f["message"]["seq"], f["message"]["body"]) for f in created] == [(2, "On it")]
    assert "internal only" not in json.dumps(frames)


def test_poll_times_out_empty_when_nothing_changes(client, chat_site, monkeypatch):
    monkeypatch.setattr(views, "POLL_SECONDS", 0.2)
    monkeypatch.setattr(views, "POLL_STEP_SECONDS", 0.05)
    token = _hello(client, chat_site)["visitor"]["token"]
    cid = _send(client, token, "poll-empty-01", "hi")["conversation"]["id"]
    first = client.get(
        f"/chat/v1/poll?conversation_id={cid}&after_seq=1", HTTP_AUTHORIZATION=f"Visitor {token}"
    ).json()
    state = first["state"]
    second = client.get(
        f"/chat/v1/poll?conversation_id={cid}&after_seq=1&state={state}",
        HTTP_AUTHORIZATION=f"Visitor {token}",
    )
    assert second.json() == {"frames": [], "state": state}


def test_fallback_refuses_missing_forged_and_foreign_tokens(client, chat_site):
    frame = {"type": "ping"}
    assert _post(client, "/chat/v1/frames", frame).status_code == 401
    assert _post(client, "/chat/v1/frames", frame, token="forged").status_code == 401
    alice = _hello(client, chat_site)["visitor"]["token"]
    cid = _send(client, alice, "alice-http-1", "mine")["conversation"]["id"]
    bob = _hello(client, chat_site)["visitor"]["token"]
    response = client.get(
        f"/chat/v1/poll?conversation_id={cid}&after_seq=0", HTTP_AUTHORIZATION=f"Visitor {bob}"
    )
    assert response.status_code == 404
    stolen = _send(client, bob, "bob-http-01", "hi", conversation_id=cid)
    assert stolen["code"] == "not_found"


def test_bad_frames_over_http_are_clear_errors(client, chat_site):
    token = _hello(client, chat_site)["visitor"]["token"]
    response = client.post(
        "/chat/v1/frames", data="{nope", content_type="application/json",
        HTTP_AUTHORIZATION=f"Visitor {token}",
    )  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (400, "bad_json")
    huge = _post(client, "/chat/v1/frames", {"type": "ping", "x": "y" * 20000}, token)
    assert (huge.status_code, huge.json()["code"]) == (413, "too_large")


def test_identity_required_site_refuses_anonymous_http_hello(client, chat_site):
    ChatSite.objects.filter(pk=chat_site.pk).update(identity_required=True)
    response = _post(client, "/chat/v1/hello", {"type": "hello", "site": chat_site.key})
    assert response.status_code == 401
    chat_site.refresh_from_db()
    token = sign_identity_token(chat_site, external_id="uid-7")
    ok = _post(
        client, "/chat/v1/hello", {"type": "hello", "site": chat_site.key, "identity_token": token}
    )
    assert ok.status_code == 200
    assert ok.json()["visitor"]["identified"] is True


def test_upload_validates_and_links_are_signed(client, chat_site):
    token = _hello(client, chat_site)["visitor"]["token"]
    png = ("proof.png", PNG, "image/png")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/chat/v1/upload",
        {"file": SimpleUploadedFile(*png), "id": "upload-key-01", "body": ""},
        HTTP_AUTHORIZATION=f"Visitor {token}",
    )
    assert response.status_code == 200, response.content
    (attachment,) = response.json()["message"]["attachments"]
    assert attachment["content_type"] == "image/png"
    assert client.get(attachment["url"]).status_code == 200
    base = attachment["url"].split("?")[0]
    assert client.get(base + "?sig=forged").status_code == 404
    fake = SimpleUploadedFile("evil.png", b"#!/bin/sh\necho hi", content_type="image/png")
    bad = client.post(
        "/chat/v1/upload",
        {"file": fake, "id": "upload-key-02"},
        HTTP_AUTHORIZATION=f"Visitor {token}",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation"


def test_demo_host_page_embeds_the_widget(client, chat_site):
    ChatSite.objects.filter(pk=chat_site.pk).update(key="demo-site")
    page = client.get("/chat/demo/?as=customer")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/kefu/widget.js" in html
    assert 'data-site="demo-site"' in html


def _visitor_with_email(chat_site, *, seen_seconds_ago):
    client_visitor = ChatVisitor.objects.get()
    ChatVisitor.objects.filter(pk=client_visitor.pk).update(
        email="left@example.com", last_seen_at=clock.now() - timedelta(seconds=seen_seconds_ago)
    )


def test_reply_is_emailed_when_the_visitor_left(
    client, chat_site, agent_a, actor_of, django_capture_on_commit_callbacks
):
    token = _hello(client, chat_site)["visitor"]["token"]
    cid = _send(client, token, "email-cont-1", "are you there?")["conversation"]["id"]
    _visitor_with_email(chat_site, seen_seconds_ago=600)
    with django_capture_on_commit_callbacks(execute=True):
        message = conv.message_reply(
            conversation=Conversation.objects.get(pk=cid),
            body="Here is the answer",
            actor=actor_of(agent_a),
        )
    (email,) = mail.outbox
    assert email.to == ["left@example.com"]
    assert "Here is the answer" in email.body
    assert "KF-" in email.subject
    message.refresh_from_db()
    assert message.customer_notified_at is not None


def test_no_email_while_the_visitor_is_in_the_chat_or_has_read_it(
    client, chat_site, agent_a, actor_of, django_capture_on_commit_callbacks
):
    token = _hello(client, chat_site)["visitor"]["token"]
    cid = _send(client, token, "email-cont-2", "hello")["conversation"]["id"]
    conversation = Conversation.objects.get(pk=cid)
    _visitor_with_email(chat_site, seen_seconds_ago=5)
    with django_capture_on_commit_callbacks(execute=True):
        conv.message_reply(conversation=conversation, body="online reply", actor=actor_of(agent_a))
    assert mail.outbox == []
    _visitor_with_email(chat_site, seen_seconds_ago=600)
    conv.conversation_mark_read(conversation=conversation, seq=2, actor=conv_actor(conversation))
    with django_capture_on_commit_callbacks(execute=True):
        reply = conv.message_reply(
            conversation=conversation, body="second", actor=actor_of(agent_a)
        )
    assert mail.outbox  # unread second reply goes out
    mail.outbox.clear()
    conv.conversation_mark_read(
        conversation=conversation, seq=reply.public_seq, actor=conv_actor(conversation)
    )
    from kefu.inbox.adapters.webchat.tasks import continue_chat_by_email

    continue_chat_by_email.call(message_id=reply.pk)
    assert mail.outbox == []


def conv_actor(conversation):
    from kefu.core.actor import Actor, ActorKind

    return Actor(kind=ActorKind.CUSTOMER, contact_id=conversation.contact_id, label="visitor")
