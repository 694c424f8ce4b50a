"""Telegram inbound: the webhook stores verified updates once, the worker turns them into
conversations (text, photos, documents), groups are declined politely, /start links accounts."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.conversations.models import Attachment, Channel, Conversation, Message
from kefu.inbox.inbound import link_token_create
from kefu.inbox.models import ChannelIdentity, InboundEvent, InboundState
from kefu.inbox.tests.telegram_updates import PNG, USER_ID, message_update, post

pytestmark = pytest.mark.django_db


def test_bad_secret_is_refused_and_nothing_is_stored(bot_api, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        wrong = post(client, message_update(1), secret="wrong-secret")
        missing = post(client, message_update(2), secret=None)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert callbacks == []
    assert InboundEvent.objects.count() == 0
    assert Message.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert bot_api.calls == []


def test_webhook_is_not_found_when_telegram_is_not_configured(settings, db):
    settings.KEFU_TELEGRAM_BOT_TOKEN = ""
    response = post(Client(), message_update(1))
    assert response.status_code == 404
    assert InboundEvent.objects.count() == 0


def test_text_update_opens_a_telegram_conversation(bot_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(Client(), message_update(10, text="My withdrawal is stuck\nTX 0xabc"))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    event = InboundEvent.objects.get()
    assert (event.channel, event.event_id, event.state) == (
        "telegram",
        "10",
        InboundState.PROCESSED,
    )
    assert event.account == "123456"
    assert "x-telegram-bot-api-secret-token" not in event.headers
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.TELEGRAM
    assert conversation.subject == "My withdrawal is stuck"
    assert event.conversation_id == conversation.pk
    message = Message.objects.get()
    assert (message.channel, message.external_id) == ("telegram", f"{USER_ID}:10")
    assert message.author_kind == "customer"
    identity = ChannelIdentity.objects.get()
    assert identity.contact_id == conversation.contact_id
    assert (identity.external_id, identity.thread_key, identity.linked) == (
        str(USER_ID),
        str(USER_ID),
        False,
    )
    assert identity.display_name == "Li Wei"


def test_duplicate_update_is_stored_once(bot_api, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, message_update(11))
        second = post(client, message_update(11))
    assert (first.status_code, second.status_code) == (200, 200)
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_same_message_in_a_new_update_is_not_stored_twice(
    bot_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(12, message_id=5))
        post(Client(), message_update(13, message_id=5))
    assert InboundEvent.objects.count() == 2
    assert Message.objects.count() == 1


def test_second_message_joins_the_open_conversation(bot_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(14, text="Hello"))
        post(Client(), message_update(15, text="Are you there?"))
    conversation = Conversation.objects.get()
    assert list(conversation.messages.order_by("seq").values_list("body", flat=True)) == [
        "Hello",
        "Are you there?",
    ]


def test_photo_update_makes_a_conversation_with_an_attachment(
    bot_api, django_capture_on_commit_callbacks
):
    bot_api.files["photo-big"] = PNG
    photo = [
        {"file_id": "photo-small", "file_unique_id": "s", "width": 90, "height": 90},
        {
            "file_id": "photo-big",
            "file_unique_id": "b",
            "width": 800,
            "height": 800,
            "file_size": len(PNG),
        },
    ]
    update = message_update(20, text=None, caption="Screenshot of the error", photo=photo)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(Client(), update).status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.filename == "photo_20.jpg"
    assert attachment.message.body == "Screenshot of the error"
    assert [c.json for c in bot_api.sent("getFile")] == [{"file_id": "photo-big"}]


def test_document_of_a_refused_type_is_named_in_the_message(
    bot_api, django_capture_on_commit_callbacks
):
    bot_api.files["doc-1"] = b"MZ\x90\x00 not a pdf"
    document = {"file_id": "doc-1", "file_unique_id": "d", "file_name": "tool.exe", "file_size": 16}
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(21, text=None, document=document))
    message = Message.objects.get()
    assert Attachment.objects.count() == 0
    assert "tool.exe was not accepted" in message.body


def test_too_large_document_is_not_downloaded(
    bot_api, settings, django_capture_on_commit_callbacks
):
    document = {
        "file_id": "big",
        "file_unique_id": "b",
        "file_name": "statement.pdf",
        "file_size": settings.KEFU_ATTACHMENT_MAX_BYTES + 1,
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(22, text="see file", document=document))
    assert bot_api.sent("getFile") == []
    message = Message.objects.get()
    assert "statement.pdf was not accepted: the file is too large" in message.body


def test_group_chat_is_ignored_with_one_polite_reply(bot_api, django_capture_on_commit_callbacks):
    group = {"id": -100200, "type": "supergroup", "title": "Traders"}
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(30, chat=group))
        post(Client(), message_update(31, chat=group))
    assert Conversation.objects.count() == 0
    assert ChannelIdentity.objects.count() == 0
    states = list(InboundEvent.objects.order_by("pk").values_list("state", "ignored_reason"))
    assert states == [("ignored", "group chat"), ("ignored", "group chat")]
    replies = bot_api.sent("sendMessage")
    assert len(replies) == 1
    assert replies[0].json["chat_id"] == "-100200"
    assert "private" in replies[0].json["text"]


def test_deep_link_links_the_telegram_user_to_the_customer(
    bot_api, customer_1, actor_of, django_capture_on_commit_callbacks
):
    contact = customer_1.contact
    token = link_token_create(channel="telegram", contact=contact, actor=actor_of(customer_1))
    assert len(token) <= 64
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(40, text=f"/start {token}"))
        post(Client(), message_update(41, text="Where is my deposit?"))
    identity = ChannelIdentity.objects.get()
    assert identity.linked is True
    assert identity.contact_id == contact.pk
    conversation = Conversation.objects.get()
    assert conversation.contact_id == contact.pk
    assert "now connected" in bot_api.sent("sendMessage")[0].json["text"]
    linked = AuditEntry.objects.get(action="channel_identity.linked")
    assert linked.data["contact"] == contact.pk


def test_deep_link_token_works_once(
    bot_api, customer_1, actor_of, django_capture_on_commit_callbacks
):
    token = link_token_create(
        channel="telegram", contact=customer_1.contact, actor=actor_of(customer_1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(42, text=f"/start {token}"))
        post(Client(), message_update(43, text=f"/start {token}", user_id=888002))
    other = ChannelIdentity.objects.get(external_id="888002")
    assert other.linked is False
    assert other.contact_id != customer_1.contact.pk
    assert "expired" in bot_api.sent("sendMessage")[1].json["text"]


def test_forged_deep_link_token_links_nothing(
    bot_api, customer_1, actor_of, django_capture_on_commit_callbacks
):
    token = link_token_create(
        channel="telegram", contact=customer_1.contact, actor=actor_of(customer_1)
    )
    nonce = token.split("-", 1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(44, text=f"/start {nonce}-forgedsignature"))
    assert ChannelIdentity.objects.get().linked is False
    assert not AuditEntry.objects.filter(action="channel_identity.linked").exists()


def test_portal_connect_redirects_to_the_bot_with_a_token(bot_api, customer_1):
    client = Client()
    client.force_login(customer_1)
    page = client.get("/account/")
    assert "Connect Telegram" in page.content.decode()
    response = client.post("/channels/telegram/connect")
    assert response.status_code == 302
    assert response["Location"].startswith("https://t.me/KefuTestBot?start=")
    assert AuditEntry.objects.filter(action="channel_link.requested").count() == 1


def test_unparseable_update_is_refused_before_storing(bot_api):
    response = post(Client(), json.dumps({"message": {}}).encode())
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


def test_edited_messages_and_bots_are_ignored_with_a_reason(
    bot_api, django_capture_on_commit_callbacks
):
    edited = {"update_id": 95, "edited_message": message_update(95)["message"]}
    from_bot = message_update(96)
    from_bot["message"]["from"]["is_bot"] = True
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), edited)
        post(Client(), from_bot)
    reasons = list(InboundEvent.objects.order_by("pk").values_list("state", "ignored_reason"))
    assert reasons == [
        ("ignored", "unsupported update: edited_message"),
        ("ignored", "sent by a bot"),
    ]
    assert Conversation.objects.count() == 0
    assert bot_api.calls == []


def test_plain_start_gets_a_greeting_and_no_conversation(
    bot_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(97, text="/start"))
    assert Conversation.objects.count() == 0
    assert [c.json["text"] for c in bot_api.sent("sendMessage")] == [
        "Hello! Write your question here and our support team will answer."
    ]


def test_chinese_speaking_user_is_greeted_in_chinese(bot_api, django_capture_on_commit_callbacks):
    update = message_update(98, text="/start")
    update["message"]["from"]["language_code"] = "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), update)
    assert bot_api.sent("sendMessage")[0].json["text"] == (
        "您好！请在此写下您的问题，我们的客服团队会回复您。"
    )
