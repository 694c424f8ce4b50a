"""Messenger and WhatsApp inbound: Meta's verify-token handshake, X-Hub-Signature-256, batched
payloads stored once and split into messages, files downloaded from the local Graph API,
WhatsApp status callbacks moving our replies' delivery state."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Attachment, Channel, Conversation, Message
from kefu.inbox.models import ChannelIdentity, InboundEvent, InboundState
from kefu.inbox.tests.conftest import META_VERIFY_TOKEN
from kefu.inbox.tests.graph_server import PAGE_TOKEN, WHATSAPP_TOKEN
from kefu.inbox.tests.meta_payloads import (
    PDF,
    PNG,
    PSID,
    WA_ID,
    handshake,
    messenger,
    messenger_message,
    post,
    sign,
    wa_message,
    whatsapp,
)

pytestmark = pytest.mark.django_db


# --- the handshake --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["messenger", "whatsapp"])
def test_handshake_echoes_the_challenge_with_the_right_token(graph_api, kind):
    response = handshake(
        Client(), kind, mode="subscribe", verify_token=META_VERIFY_TOKEN, challenge="1158201444"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"mode": "subscribe", "verify_token": "wrong", "challenge": "1158201444"},
        {"mode": "unsubscribe", "verify_token": META_VERIFY_TOKEN, "challenge": "1"},
        {"mode": "subscribe", "challenge": "1158201444"},
        {"mode": "subscribe", "verify_token": META_VERIFY_TOKEN, "challenge": "<script>"},
    ],
)
def test_handshake_with_a_bad_token_or_mode_is_refused(graph_api, query):
    response = handshake(Client(), "whatsapp", **query)
    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_get_is_not_allowed_for_channels_without_a_handshake(bot_api):
    assert handshake(Client(), "telegram", mode="subscribe").status_code == 405


def test_webhook_is_not_found_when_meta_is_not_configured(settings, db):
    settings.KEFU_META_APP_SECRET = ""
    assert post(Client(), "messenger", messenger(messenger_message("m_1"))).status_code == 404
    assert handshake(Client(), "whatsapp", mode="subscribe").status_code == 404


# --- the signature --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["messenger", "whatsapp"])
def test_bad_signature_is_refused_and_nothing_is_stored(
    graph_api, kind, django_capture_on_commit_callbacks
):
    payload = (
        messenger(messenger_message("m_1"))
        if kind == "messenger"
        else whatsapp([wa_message("wamid.1")])
    )
    body = json.dumps(payload).encode()
    tampered = body.replace(b"stuck", b"STUCK").replace(b"arrived", b"ARRIVED")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        statuses = [
            post(client, kind, body, signature=None).status_code,
            post(client, kind, body, signature="sha256=" + "0" * 64).status_code,
            post(client, kind, body, signature=sign(body, "another-secret")).status_code,
            post(client, kind, tampered, signature=sign(body)).status_code,
            post(client, kind, body, signature=sign(body)[len("sha256=") :]).status_code,
        ]
    assert statuses == [403] * 5
    assert callbacks == []
    assert InboundEvent.objects.count() == 0
    assert Message.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert graph_api.calls == []


def test_payload_for_another_product_is_refused(graph_api):
    wrong = whatsapp([wa_message("wamid.1")])
    assert post(Client(), "messenger", wrong).status_code == 400
    assert InboundEvent.objects.count() == 0


# --- Messenger ------------------------------------------------------------------------------


def test_messenger_batch_with_two_messages_makes_one_conversation(
    graph_api, django_capture_on_commit_callbacks
):
    payload = messenger(
        messenger_message("m_AAA", text="Hello"), messenger_message("m_BBB", text="Anyone there?")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(Client(), "messenger", payload)
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.channel == "messenger"
    assert event.event_id.startswith("sha256:")
    assert event.state == InboundState.PROCESSED
    assert "x-hub-signature-256" not in event.headers
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.MESSENGER
    assert list(conversation.messages.order_by("seq").values_list("external_id", "body")) == [
        ("m_AAA", "Hello"),
        ("m_BBB", "Anyone there?"),
    ]
    identity = ChannelIdentity.objects.get()
    assert (identity.channel, identity.external_id, identity.thread_key) == (
        "messenger",
        PSID,
        PSID,
    )
    assert identity.contact_id == conversation.contact_id


def test_duplicate_post_is_stored_once_and_a_rebatched_message_is_not_repeated(
    graph_api, django_capture_on_commit_callbacks
):
    first = messenger(messenger_message("m_AAA", text="Hello"))
    rebatched = messenger(
        messenger_message("m_AAA", text="Hello"), messenger_message("m_CCC", text="Again")
    )
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "messenger", first).status_code == 200
        assert post(client, "messenger", first).status_code == 200  # Meta redelivers
        assert post(client, "messenger", rebatched).status_code == 200
    assert InboundEvent.objects.count() == 2
    assert list(Message.objects.order_by("seq").values_list("external_id", flat=True)) == [
        "m_AAA",
        "m_CCC",
    ]


def test_messenger_text_and_image_make_a_conversation_with_an_attachment(
    graph_api, django_capture_on_commit_callbacks
):
    graph_api.cdn["screenshot.png"] = PNG
    url = f"{graph_api.base}/cdn/screenshot.png?_nc_cat=1&oh=signature"
    message = messenger_message(
        "m_IMG",
        text="Here is the error",
        attachments=[{"type": "image", "payload": {"url": url}}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(message))
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("screenshot.png", "image/png")
    assert attachment.message.body == "Here is the error"
    download = graph_api.sent("cdn")
    assert len(download) == 1
    assert download[0].authorization == ""  # the page token never goes to a file URL


def test_messenger_attachment_over_the_limit_is_named_not_stored(
    graph_api, settings, django_capture_on_commit_callbacks
):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1024
    graph_api.cdn["statement.pdf"] = PDF + b"0" * 5000
    url = f"{graph_api.base}/cdn/statement.pdf"
    message = messenger_message(
        "m_BIG", text=None, attachments=[{"type": "file", "payload": {"url": url}}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(message))
    assert Attachment.objects.count() == 0
    assert "statement.pdf was not accepted" in Message.objects.get().body


def test_messenger_echoes_and_read_receipts_are_ignored(
    graph_api, django_capture_on_commit_callbacks
):
    echo = messenger_message("m_ECHO", text="Our own reply", is_echo=True, app_id=1)
    read = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 1,
        "read": {"watermark": 1733460000000},
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(echo, read))
    event = InboundEvent.objects.get()
    assert event.state == InboundState.IGNORED
    assert event.ignored_reason == "echo of a Page message; read"
    assert Conversation.objects.count() == 0


def test_messenger_postback_becomes_text(graph_api, django_capture_on_commit_callbacks):
    postback = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 1733460000001,
        "postback": {"mid": "m_PB", "title": "Talk to support", "payload": "SUPPORT"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(postback))
    assert Message.objects.get().body == "Talk to support"


# --- WhatsApp -------------------------------------------------------------------------------


def test_whatsapp_text_uses_the_profile_name(graph_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp([wa_message("wamid.T1")], name="Wang Fang"))
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.WHATSAPP
    assert conversation.contact.name == "Wang Fang"
    identity = ChannelIdentity.objects.get()
    assert (identity.external_id, identity.thread_key, identity.display_name) == (
        WA_ID,
        WA_ID,
        "Wang Fang",
    )
    assert identity.account == "106540352242922"
    assert Message.objects.get().external_id == "wamid.T1"


def test_whatsapp_batch_with_two_messages_and_media(graph_api, django_capture_on_commit_callbacks):
    graph_api.media["7001"] = (PNG, "image/png")
    graph_api.media["7002"] = (PDF, "application/pdf")
    messages = [
        wa_message(
            "wamid.I1",
            kind="image",
            image={"id": "7001", "mime_type": "image/png", "caption": "The error"},
        ),
        wa_message(
            "wamid.D1",
            kind="document",
            document={"id": "7002", "mime_type": "application/pdf", "filename": "proof.pdf"},
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp(messages))
    conversation = Conversation.objects.get()
    bodies = list(conversation.messages.order_by("seq").values_list("body", flat=True))
    assert bodies[0] == "The error"
    names = sorted(Attachment.objects.values_list("filename", "content_type"))
    assert names == [("image_wamid.I1.png", "image/png"), ("proof.pdf", "application/pdf")]
    lookups = graph_api.sent("whatsapp.media")
    downloads = graph_api.sent("whatsapp.download")
    assert len(lookups) == len(downloads) == 2
    assert {c.authorization for c in lookups + downloads} == {f"Bearer {WHATSAPP_TOKEN}"}


def test_whatsapp_button_reply_is_text(graph_api, django_capture_on_commit_callbacks):
    button = wa_message(
        "wamid.B1",
        kind="interactive",
        interactive={"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes, solved"}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp([button]))
    assert Message.objects.get().body == "Yes, solved"


def test_whatsapp_messages_for_another_number_and_reactions_are_ignored(
    graph_api, django_capture_on_commit_callbacks
):
    reaction = wa_message("wamid.R1", kind="reaction", reaction={"message_id": "x", "emoji": "👍"})
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp([wa_message("wamid.O1")], phone_number_id="999"))
        post(Client(), "whatsapp", whatsapp([reaction]))
    reasons = list(InboundEvent.objects.order_by("pk").values_list("state", "ignored_reason"))
    assert reasons == [("ignored", "for another phone number"), ("ignored", "reaction message")]
    assert Conversation.objects.count() == 0


def test_secrets_never_reach_logs_audit_rows_or_stored_headers(
    graph_api, caplog, django_capture_on_commit_callbacks
):
    import logging

    caplog.set_level(logging.DEBUG)
    graph_api.media["7001"] = (PNG, "image/png")
    image = wa_message("wamid.S1", kind="image", image={"id": "7001", "mime_type": "image/png"})
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp([image]), signature="sha256=bad")
        post(Client(), "whatsapp", whatsapp([image]))
        post(Client(), "messenger", messenger(messenger_message("m_S1")))
    assert Attachment.objects.count() == 1
    secrets = (WHATSAPP_TOKEN, PAGE_TOKEN, "meta-app-secret-SECRET", META_VERIFY_TOKEN)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    audited = json.dumps(list(AuditEntry.objects.values("action", "data")), default=str)
    stored = json.dumps(list(InboundEvent.objects.values("headers", "last_error")))
    for secret in secrets:
        assert secret not in logged
        assert secret not in audited
        assert secret not in stored
