"""The inbound pipeline: bounded retries, failed events on the admin page, replay (page and
command line), and the bot token kept out of logs, audit rows and stored headers."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.conversations import services as conversation_services
from kefu.conversations.models import Conversation
from kefu.core.errors import PermissionDenied
from kefu.inbox import inbound
from kefu.inbox.models import InboundEvent, InboundState, OutboundDelivery
from kefu.inbox.tasks import dispatch_due_channels
from kefu.inbox.tests.telegram_server import TOKEN
from kefu.inbox.tests.telegram_updates import message_update, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_receive(monkeypatch):
    """A bug in message_receive: every attempt raises until the test "fixes" it."""
    real = conversation_services.message_receive

    def boom(**kwargs):
        raise RuntimeError("database says no")

    monkeypatch.setattr(conversation_services, "message_receive", boom)
    return lambda: monkeypatch.setattr(conversation_services, "message_receive", real)


def _retry_until_done(fake_clock) -> InboundEvent:
    for _ in range(inbound.MAX_ATTEMPTS):
        fake_clock.advance(hours=1)
        dispatch_due_channels.call()
    return InboundEvent.objects.get()


def _fail_event(fake_clock, capture) -> InboundEvent:
    with capture(execute=True):
        assert post(Client(), message_update(50)).status_code == 200
    return _retry_until_done(fake_clock)


def test_poison_event_fails_after_the_retry_bound(
    bot_api, broken_receive, fake_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(50))
    event = InboundEvent.objects.get()
    assert (event.state, event.attempts) == (InboundState.RECEIVED, 1)
    assert "database says no" in event.last_error
    event = _retry_until_done(fake_clock)
    assert (event.state, event.attempts) == (InboundState.FAILED, inbound.MAX_ATTEMPTS)
    assert Conversation.objects.count() == 0
    failed = AuditEntry.objects.get(action="inbound_event.failed")
    assert failed.object_id == str(event.pk)
    fake_clock.advance(hours=5)
    dispatch_due_channels.call()  # a failed event is never retried on its own
    event.refresh_from_db()
    assert event.attempts == inbound.MAX_ATTEMPTS


def test_invalid_payload_fails_at_once(bot_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), {"update_id": 60, "message": {"text": "no chat"}})
    event = InboundEvent.objects.get()
    assert (event.state, event.attempts) == (InboundState.FAILED, 1)
    assert "without chat" in event.last_error


def test_failed_event_is_listed_and_replay_after_the_fix_works(
    bot_api, broken_receive, fake_clock, admin_user, django_capture_on_commit_callbacks
):
    event = _fail_event(fake_clock, django_capture_on_commit_callbacks)
    assert event.state == InboundState.FAILED
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("backoffice:inbound:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "database says no" in html
    assert reverse("backoffice:inbound:replay", args=[event.pk]) in html
    broken_receive()  # the fix is deployed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:inbound:replay", args=[event.pk]))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    conversation = Conversation.objects.get()
    assert event.conversation_id == conversation.pk
    replayed = AuditEntry.objects.get(action="inbound_event.replayed")
    assert replayed.actor_ref == f"agent:{admin_user.pk}"


def test_only_admins_may_replay(
    bot_api, broken_receive, fake_clock, supervisor, actor_of, django_capture_on_commit_callbacks
):
    event = _fail_event(fake_clock, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        inbound.inbound_replay(event=event, actor=actor_of(supervisor))
    client = Client()
    client.force_login(supervisor)
    assert client.get(reverse("backoffice:inbound:list")).status_code == 404
    assert client.post(reverse("backoffice:inbound:replay", args=[event.pk])).status_code == 404
    event.refresh_from_db()
    assert event.state == InboundState.FAILED
    assert not AuditEntry.objects.filter(action="inbound_event.replayed").exists()


def test_cli_replays_every_failed_event(
    bot_api, broken_receive, fake_clock, django_capture_on_commit_callbacks
):
    event = _fail_event(fake_clock, django_capture_on_commit_callbacks)
    broken_receive()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("inbound", "replay", "--all-failed", stdout=out)
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED
    assert "Replayed 1 event(s)." in out.getvalue()
    assert AuditEntry.objects.get(action="inbound_event.replayed").data["channel"] == "telegram"


def test_cli_replays_one_event_by_id(
    bot_api, broken_receive, fake_clock, django_capture_on_commit_callbacks
):
    event = _fail_event(fake_clock, django_capture_on_commit_callbacks)
    broken_receive()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("inbound", "replay", "--id", str(event.pk), stdout=StringIO())
    event.refresh_from_db()
    assert event.state == InboundState.PROCESSED


def test_bot_token_never_reaches_logs_audit_or_stored_rows(
    bot_api,
    agent_a,
    actor_of,
    caplog,
    fake_clock,
    django_capture_on_commit_callbacks,
):
    caplog.set_level(logging.DEBUG)
    bot_api.files["doc-9"] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    document = {
        "file_id": "doc-9",
        "file_unique_id": "d9",
        "file_name": "proof.pdf",
        "file_size": 50,
    }
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(70, text="see file", document=document))
    conversation = Conversation.objects.get()
    bot_api.fail("sendMessage", 500)
    bot_api.fail("sendMessage", 403)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_services.message_reply(
            conversation=conversation, body="Thanks", actor=actor_of(agent_a)
        )
    fake_clock.advance(hours=1)
    dispatch_due_channels.call()
    secret_part = TOKEN.split(":", 1)[1]
    assert bot_api.sent("getFile")
    assert len(bot_api.sent("sendMessage")) == 2
    assert secret_part not in caplog.text
    for entry in AuditEntry.objects.all():
        assert secret_part not in str(entry.data)
    for event in InboundEvent.objects.all():
        assert secret_part not in str(event.headers)
        assert secret_part not in event.last_error
    assert secret_part not in OutboundDelivery.objects.get().last_error


def test_erasure_forgets_the_telegram_identity_and_raw_payloads(
    bot_api, admin_user, actor_of, django_capture_on_commit_callbacks
):
    from kefu.inbox.models import ChannelIdentity
    from kefu.privacy.services.erasure import customer_erase

    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(80, text="my secret story"))
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        summary = customer_erase(contact=conversation.contact, actor=actor_of(admin_user))
    assert summary["channel_identities"] == 1
    assert ChannelIdentity.objects.count() == 0
    event = InboundEvent.objects.get()
    assert bytes(event.payload) == b""


def test_old_finished_events_are_pruned_but_failed_ones_stay(
    bot_api, fake_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(Client(), message_update(90))
        post(Client(), {"update_id": 91, "message": {"text": "no chat"}})
    fake_clock.advance(days=inbound.KEEP_FINISHED_DAYS + 1)
    dispatch_due_channels.call()
    assert list(InboundEvent.objects.values_list("event_id", "state")) == [("91", "failed")]
    assert Conversation.objects.count() == 1
