"""Messenger and WhatsApp outbound: replies through the local Graph API with the bearer token,
files uploaded, Graph errors classified (rate limits retried, the 24-hour window and a bad
token shown to the agent), WhatsApp statuses moving the delivery state, poison payloads
replayed, and the tokens kept out of logs, audit rows and errors."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kefu.audit.models import AuditEntry
from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, DeliveryStatus, Message
from kefu.inbox import delivery, inbound
from kefu.inbox.adapters import meta
from kefu.inbox.models import (
    DeliveryPart,
    EarlyReceipt,
    InboundEvent,
    InboundState,
    OutboundDelivery,
    OutboundState,
)
from kefu.inbox.tasks import dispatch_due_channels
from kefu.inbox.tests.graph_server import PAGE_TOKEN, WHATSAPP_TOKEN
from kefu.inbox.tests.meta_payloads import (
    PDF,
    PNG,
    PSID,
    WA_ID,
    messenger,
    messenger_message,
    post,
    wa_message,
    wa_status,
    whatsapp,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def wa_conversation(graph_api, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp([wa_message("wamid.IN1")]))
    graph_api.calls.clear()
    return Conversation.objects.get()


@pytest.fixture
def fb_conversation(graph_api, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(messenger_message("m_IN1")))
    graph_api.calls.clear()
    return Conversation.objects.get()


def _reply(conversation, agent, actor_of, capture, body="We are checking it.", **kwargs):
    with capture(execute=True):
        return services.message_reply(
            conversation=conversation, body=body, actor=actor_of(agent), **kwargs
        )


def test_messenger_reply_is_delivered_with_the_page_token(
    graph_api, fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    (call,) = graph_api.sent("messenger.send")
    assert call.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "We are checking it."},
    }
    assert call.authorization == f"Bearer {PAGE_TOKEN}"
    assert PAGE_TOKEN not in call.path
    row = OutboundDelivery.objects.get()
    assert (row.state, row.provider_message_id) == (OutboundState.SENT, "m_sent1001")
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT


def test_messenger_reply_with_a_file_is_a_multipart_upload(
    graph_api, fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    _reply(
        fb_conversation,
        agent_a,
        actor_of,
        django_capture_on_commit_callbacks,
        attachments=[UploadedFile("steps.png", PNG)],
    )
    text, upload = graph_api.sent("messenger.send")
    assert text.json["message"] == {"text": "We are checking it."}
    assert upload.content_type.startswith("multipart/form-data")
    assert upload.field("filedata")
    assert upload.field("recipient")
    assert upload.field("message")
    assert b'"type": "image"' in upload.raw
    assert PNG in upload.raw


def test_whatsapp_reply_text_and_document(
    graph_api, wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    _reply(
        wa_conversation,
        agent_a,
        actor_of,
        django_capture_on_commit_callbacks,
        attachments=[UploadedFile("statement.pdf", PDF)],
    )
    text, document = graph_api.sent("whatsapp.send")
    assert text.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"body": "We are checking it.", "preview_url": False},
    }
    (upload,) = graph_api.sent("whatsapp.upload")
    assert upload.field("file")
    assert upload.field("messaging_product")
    assert PDF in upload.raw
    media_id = document.json["document"]["id"]
    assert media_id.isdigit()
    assert document.json["document"]["filename"] == "statement.pdf"
    assert {c.authorization for c in graph_api.calls} == {f"Bearer {WHATSAPP_TOKEN}"}
    assert OutboundDelivery.objects.get().provider_message_id == "wamid.SENT1001"


def test_long_reply_goes_out_in_parts(
    graph_api, fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    body = "x" * 2500
    _reply(fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, body=body)
    parts = [c.json["message"]["text"] for c in graph_api.sent("messenger.send")]
    assert [len(p) for p in parts] == [2000, 500]


@pytest.mark.parametrize(("status", "code"), [(429, 130429), (400, 4), (400, 80007)])
def test_rate_limits_are_retried_with_backoff(
    graph_api,
    wa_conversation,
    agent_a,
    actor_of,
    fake_clock,
    status,
    code,
    django_capture_on_commit_callbacks,
):
    graph_api.fail("whatsapp.send", status, code, times=2)
    message = _reply(wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert row.state == OutboundState.QUEUED
    assert row.next_attempt_at == fake_clock.now + delivery.timedelta(
        seconds=meta.DEFAULT_RETRY_AFTER
    )
    assert str(code) in row.last_error
    fake_clock.advance(seconds=30)
    dispatch_due_channels.call()
    assert len(graph_api.sent("whatsapp.send")) == 1  # not yet due
    for _ in range(2):
        fake_clock.advance(seconds=61)
        dispatch_due_channels.call()
    row.refresh_from_db()
    message.refresh_from_db()
    assert (row.state, row.attempts) == (OutboundState.SENT, 3)
    assert len(graph_api.sent("whatsapp.send")) == 3
    assert message.delivery_status == DeliveryStatus.SENT


def test_server_errors_are_retried_then_sent(
    graph_api,
    fb_conversation,
    agent_a,
    actor_of,
    fake_clock,
    django_capture_on_commit_callbacks,
):
    graph_api.fail("messenger.send", 500, 2)
    _reply(fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert row.state == OutboundState.QUEUED
    assert row.next_attempt_at == fake_clock.now + delivery.retry_delay(1)
    fake_clock.advance(hours=1)
    dispatch_due_channels.call()
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboundState.SENT, 2)


def test_outside_the_24_hour_window_is_permanent_and_the_agent_sees_why(
    graph_api,
    wa_conversation,
    agent_a,
    actor_of,
    django_capture_on_commit_callbacks,
):
    graph_api.fail("whatsapp.send", 400, 131047)
    message = _reply(wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    dispatch_due_channels.call()
    assert len(graph_api.sent("whatsapp.send")) == 1  # not retried
    row = OutboundDelivery.objects.get()
    assert (row.state, row.last_error) == (OutboundState.FAILED, meta.OUTSIDE_WINDOW)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert AuditEntry.objects.filter(action="message.delivery_failed").count() == 1
    client = Client()
    client.force_login(agent_a)
    url = reverse("workspace:conversation", args=[wa_conversation.pk])
    html = client.get(url).content.decode()
    assert "Failed:" in html
    assert "Ask them to write first" in html
    with translation.override("zh-hans"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "请客户先" in html


def test_messenger_outside_the_window_is_permanent(
    graph_api, fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    graph_api.fail("messenger.send", 400, 10, subcode=2018278)
    _reply(fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert (row.state, row.attempts, row.last_error) == (
        OutboundState.FAILED,
        1,
        meta.OUTSIDE_WINDOW,
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [(190, meta.TOKEN_INVALID), (131026, meta.UNDELIVERABLE), (100, "WhatsApp send: 100")],
)
def test_token_undeliverable_and_other_errors_are_permanent(
    graph_api, wa_conversation, agent_a, actor_of, code, reason, django_capture_on_commit_callbacks
):
    graph_api.fail("whatsapp.send", 400, code)
    _reply(wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    row = OutboundDelivery.objects.get()
    assert (row.state, row.attempts) == (OutboundState.FAILED, 1)
    assert row.last_error.startswith(reason)


def test_whatsapp_statuses_move_the_delivery_state_forward_only(
    graph_api, wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    wamid = OutboundDelivery.objects.get().provider_message_id

    def status_of(*statuses):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(Client(), "whatsapp", whatsapp(statuses=list(statuses))).status_code == 200
        message.refresh_from_db()
        return message.delivery_status

    assert status_of(wa_status(wamid, "delivered")) == DeliveryStatus.DELIVERED
    assert status_of(wa_status(wamid, "read")) == DeliveryStatus.READ
    # Out of order: a late "delivered" does not move it back.
    assert status_of(wa_status(wamid, "delivered"), wa_status("wamid.OTHER", "read")) == "read"
    events = InboundEvent.objects.order_by("pk")
    assert [e.state for e in events] == [InboundState.PROCESSED] * 4  # the first is the message
    assert events.last().message_id == message.pk
    client = Client()
    client.force_login(agent_a)
    html = client.get(reverse("workspace:conversation", args=[wa_conversation.pk])).content
    assert b"Read by the customer" in html


def test_whatsapp_failed_status_marks_the_reply_failed_with_the_reason(
    graph_api, wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    wamid = OutboundDelivery.objects.get().provider_message_id
    failed = wa_status(
        wamid,
        "failed",
        errors=[{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp(statuses=[failed]))
    message.refresh_from_db()
    row = OutboundDelivery.objects.get()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert (row.state, row.last_error) == (OutboundState.FAILED, meta.OUTSIDE_WINDOW)
    assert AuditEntry.objects.filter(action="message.delivery_failed").count() == 1


def test_status_for_an_unknown_message_is_ignored(graph_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp(statuses=[wa_status("wamid.NOPE", "delivered")]))
    event = InboundEvent.objects.get()
    assert (event.state, event.ignored_reason) == (
        InboundState.IGNORED,
        "receipt for a message not (yet) recorded",
    )
    # Kept a day in case its send is being recorded (next test), then pruned.
    assert EarlyReceipt.objects.filter(provider_message_id="wamid.NOPE").count() == 1


def test_a_status_that_outruns_the_send_is_applied_when_the_send_is_recorded(
    graph_api, wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    # The reply is stored and its delivery queued; the worker has not sent it yet.
    with django_capture_on_commit_callbacks(execute=False) as pending:
        message = services.message_reply(
            conversation=wa_conversation, body="We are checking it.", actor=actor_of(agent_a)
        )
    # Meta answers the send with this id and, before Kefu writes it down, calls the webhook.
    wamid = f"wamid.SENT{graph_api.next_id + 1}"
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp(statuses=[wa_status(wamid, "delivered")]))
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert EarlyReceipt.objects.filter(provider_message_id=wamid).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()  # the worker sends it and records the id
    assert OutboundDelivery.objects.get().provider_message_id == wamid
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert not EarlyReceipt.objects.exists()


def test_a_receipt_for_a_later_part_of_a_long_reply_is_matched(
    graph_api, fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(
        fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, body="y" * 2500
    )
    row = OutboundDelivery.objects.get()
    second = DeliveryPart.objects.get(delivery=row).provider_message_id
    assert second != row.provider_message_id
    receipt = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 2,
        "delivery": {"mids": [second], "watermark": 1733460000000},
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(receipt))
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert not EarlyReceipt.objects.exists()


def test_early_receipts_nobody_claims_are_pruned_after_a_day(fake_clock):
    from datetime import timedelta

    old = EarlyReceipt.objects.create(
        channel="whatsapp",
        provider_message_id="wamid.FROM-THE-APP",
        status="read",
        received_at=fake_clock.now - timedelta(hours=25),
    )
    fresh = EarlyReceipt.objects.create(
        channel="whatsapp",
        provider_message_id="wamid.RECENT",
        status="delivered",
        received_at=fake_clock.now - timedelta(hours=1),
    )
    dispatch_due_channels.call()
    assert list(EarlyReceipt.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert old.pk != fresh.pk


def test_messenger_delivery_receipt_marks_the_reply_delivered(
    graph_api, fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(fb_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    mid = OutboundDelivery.objects.get().provider_message_id
    receipt = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": 2,
        "delivery": {"mids": [mid], "watermark": 1733460000000},
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "messenger", messenger(receipt))
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_poison_payload_fails_then_replays_after_the_fix(
    graph_api, fake_clock, admin_user, actor_of, django_capture_on_commit_callbacks
):
    graph_api.fail("whatsapp.media", 500, 2, times=inbound.MAX_ATTEMPTS)
    graph_api.media["7001"] = (PNG, "image/png")
    image = wa_message("wamid.P1", kind="image", image={"id": "7001", "mime_type": "image/png"})
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", whatsapp([image]))
    for _ in range(inbound.MAX_ATTEMPTS):
        fake_clock.advance(hours=1)
        dispatch_due_channels.call()
    event = InboundEvent.objects.get()
    assert (event.state, event.attempts) == (InboundState.FAILED, inbound.MAX_ATTEMPTS)
    assert "WhatsApp media: 2" in event.last_error
    assert Message.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        inbound.inbound_replay(event=event, actor=actor_of(admin_user))
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    assert Message.objects.get().attachments.count() == 1


def test_invalid_whatsapp_payload_fails_at_once(graph_api, django_capture_on_commit_callbacks):
    broken = whatsapp([wa_message("wamid.X")])
    del broken["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), "whatsapp", broken)
    event = InboundEvent.objects.get()
    assert (event.state, event.attempts) == (InboundState.FAILED, 1)
    assert "without id or sender" in event.last_error


def test_tokens_never_reach_logs_audit_rows_or_errors(
    graph_api,
    wa_conversation,
    agent_a,
    actor_of,
    caplog,
    fake_clock,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    graph_api.fail("whatsapp.send", 500, 2)
    graph_api.fail("whatsapp.send", 401, 190)
    _reply(wa_conversation, agent_a, actor_of, django_capture_on_commit_callbacks)
    fake_clock.advance(hours=1)
    dispatch_due_channels.call()
    row = OutboundDelivery.objects.get()
    assert row.state == OutboundState.FAILED
    logged = "\n".join(r.getMessage() for r in caplog.records)
    audited = json.dumps(list(AuditEntry.objects.values("action", "data")), default=str)
    errors = json.dumps(list(OutboundDelivery.objects.values("last_error")))
    for token in (WHATSAPP_TOKEN, PAGE_TOKEN):
        assert token not in logged
        assert token not in audited
        assert token not in errors
