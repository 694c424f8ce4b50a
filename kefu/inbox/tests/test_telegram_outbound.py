"""Telegram outbound: agent replies are queued and delivered, notes and channel messages never
go out, rate limits and transient errors are retried, permanent refusals are shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, DeliveryStatus, Message
from kefu.inbox import delivery
from kefu.inbox.models import OutboundDelivery, OutboundState
from kefu.inbox.tasks import dispatch_due_channels
from kefu.inbox.tests.telegram_updates import PNG, USER_ID, message_update, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram_conversation(bot_api, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(1, text="Help, my deposit is missing"))
    bot_api.calls.clear()
    return Conversation.objects.get()


def _reply(conversation, agent, actor_of, capture, body="We are checking it.", **kwargs):
    with capture(execute=True):
        return services.message_reply(
            conversation=conversation, body=body, actor=actor_of(agent), **kwargs
        )


def test_agent_reply_is_delivered_to_the_chat(
    bot_api, telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    sent = bot_api.sent("sendMessage")
    assert [c.json for c in sent] == [{"chat_id": str(USER_ID), "text": "We are checking it."}]
    row = OutboundDelivery.objects.get()
    assert (row.state, row.attempts, row.provider_message_id) == (OutboundState.SENT, 1, "1001")
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT


def test_reply_with_a_photo_goes_out_as_multipart(
    bot_api, telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    _reply(
        telegram_conversation,
        agent_a,
        actor_of,
        django_capture_on_commit_callbacks,
        attachments=[UploadedFile("steps.png", PNG)],
    )
    photo = bot_api.sent("sendPhoto")
    assert len(photo) == 1
    assert photo[0].content_type.startswith("multipart/form-data")
    assert photo[0].field("photo")
    assert photo[0].field("chat_id")
    assert PNG in photo[0].raw


def test_internal_note_never_reaches_telegram(
    bot_api, telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.note_add(
            conversation=telegram_conversation,
            body="Customer sounds upset",
            actor=actor_of(agent_a),
        )
    assert bot_api.calls == []
    assert OutboundDelivery.objects.count() == 0


def test_customer_message_from_telegram_is_not_echoed_back(bot_api, telegram_conversation):
    assert bot_api.calls == []
    assert OutboundDelivery.objects.count() == 0
    message = Message.objects.get()
    assert message.delivery_status == DeliveryStatus.NONE


def test_rate_limit_is_retried_after_the_delay_telegram_asks_for(
    bot_api,
    telegram_conversation,
    agent_a,
    actor_of,
    fake_clock,
    django_capture_on_commit_callbacks,
):
    bot_api.fail("sendMessage", 429, parameters={"retry_after": 7})
    message = _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert row.state == OutboundState.QUEUED
    assert row.next_attempt_at == fake_clock.now + delivery.timedelta(seconds=7)
    assert "429" in row.last_error
    fake_clock.advance(seconds=6)
    dispatch_due_channels.call()
    assert len(bot_api.sent("sendMessage")) == 1  # not yet due
    fake_clock.advance(seconds=2)
    dispatch_due_channels.call()
    assert len(bot_api.sent("sendMessage")) == 2
    row.refresh_from_db()
    message.refresh_from_db()
    assert (row.state, row.attempts) == (OutboundState.SENT, 2)
    assert message.delivery_status == DeliveryStatus.SENT


def test_server_errors_are_retried_up_to_the_bound_then_failed(
    bot_api,
    telegram_conversation,
    agent_a,
    actor_of,
    fake_clock,
    django_capture_on_commit_callbacks,
):
    bot_api.fail("sendMessage", 500, times=delivery.MAX_ATTEMPTS)
    _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    for _ in range(delivery.MAX_ATTEMPTS):
        fake_clock.advance(hours=3)
        dispatch_due_channels.call()
    row = OutboundDelivery.objects.get()
    assert (row.state, row.attempts) == (OutboundState.FAILED, delivery.MAX_ATTEMPTS)
    assert len(bot_api.sent("sendMessage")) == delivery.MAX_ATTEMPTS


def test_blocked_bot_is_a_permanent_failure_shown_in_the_workspace(
    bot_api,
    telegram_conversation,
    agent_a,
    actor_of,
    django_capture_on_commit_callbacks,
):
    bot_api.fail("sendMessage", 403)
    message = _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    dispatch_due_channels.call()
    assert len(bot_api.sent("sendMessage")) == 1  # not retried
    row = OutboundDelivery.objects.get()
    assert row.state == OutboundState.FAILED
    assert "bot was blocked by the user" in row.last_error
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert AuditEntry.objects.filter(action="message.delivery_failed").count() == 1
    client = Client()
    client.force_login(agent_a)
    page = client.get(reverse("workspace:conversation", args=[telegram_conversation.pk]))
    html = page.content.decode()
    assert "Failed:" in html
    assert "bot was blocked by the user" in html


def test_chat_not_found_is_permanent(
    bot_api, telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    bot_api.fail("sendMessage", 400)
    _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert (row.state, row.attempts) == (OutboundState.FAILED, 1)
    assert "chat not found" in row.last_error


def test_sent_reply_shows_as_sent_in_the_workspace(
    bot_api, telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(agent_a)
    html = client.get(reverse("workspace:conversation", args=[telegram_conversation.pk]))
    assert '<p class="ws-delivery muted">Sent</p>' in html.content.decode()


def test_telegram_reply_sends_no_email(
    bot_api,
    telegram_conversation,
    agent_a,
    actor_of,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    contact = telegram_conversation.contact
    contact.email = "li@example.com"
    contact.save(update_fields=["email"])
    _reply(telegram_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_customer_without_a_telegram_chat_fails_permanently(
    bot_api, agent_a, actor_of, customer_1, django_capture_on_commit_callbacks
):
    conversation = services.conversation_create(
        contact=customer_1.contact,
        subject="Phone call notes",
        body="Created by staff",
        channel="telegram",
        actor=actor_of(agent_a),
        author="customer",
    )
    _reply(conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert row.state == OutboundState.FAILED
    assert "no chat" in row.last_error
    assert bot_api.calls == []
