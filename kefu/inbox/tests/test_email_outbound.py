"""Email out, against a real SMTP server on 127.0.0.1 (aiosmtpd): threading headers, the
per-conversation Reply-To, loop and auto-reply headers, the anti-phishing code on every
customer email (replies and notifications share one compose function), STARTTLS with AUTH,
4xx retried, 5xx failed with the server's reason; and the whole round trip."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.test import Client

from kefu.accounts.antiphishing import antiphishing_code_set
from kefu.conversations import services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Conversation, DeliveryStatus, Message
from kefu.core.actor import Actor
from kefu.inbox.adapters.email import threading
from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.models import OutboundDelivery, OutboundState
from kefu.inbox.tasks import dispatch_due_channels
from kefu.inbox.tests.email_corpus import PDF, mail
from kefu.inbox.tests.smtp_server import PASSWORD, USER, SmtpServer

pytestmark = pytest.mark.django_db

CODE = "Tiger2026"


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture
def alice(customer_1, actor_of):
    antiphishing_code_set(user=customer_1, code=CODE, actor=actor_of(customer_1))
    return customer_1


@pytest.fixture
def email_conversation(alice, django_capture_on_commit_callbacks) -> Conversation:
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = email_ingest(
            raw=mail(sender="Alice <alice@example.com>", message_id="<First@x.example>"),
            account="support@localhost",
            source="test",
        )
    event.refresh_from_db()
    return Conversation.objects.get(pk=event.conversation_id)


def _reply(conversation, actor, capture, body="We are checking your deposit.", **kwargs):
    with capture(execute=True):
        return services.message_reply(conversation=conversation, body=body, actor=actor, **kwargs)


def _received(server, index=-1):
    return email.message_from_bytes(server.handler.received[index].data, policy=policy.default)


def test_agent_reply_goes_out_with_threading_headers_and_the_code(
    smtp, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    message = _reply(
        email_conversation,
        actor_of(agent_a),
        django_capture_on_commit_callbacks,
        attachments=[UploadedFile("steps.pdf", PDF)],
    )
    assert len(smtp.handler.received) == 1
    assert smtp.handler.received[0].rcpt_tos == ["alice@example.com"]
    sent = _received(smtp)
    own = threading.own_message_id(message.pk)
    assert sent["To"] == "alice@example.com"
    assert sent["From"] == "support@localhost"
    assert sent["Message-ID"] == f"<{own}>"
    assert sent["In-Reply-To"] == "<first@x.example>"
    assert "<first@x.example>" in sent["References"]
    assert sent["Reply-To"] == threading.reply_address(email_conversation.pk)
    assert sent["Subject"] == f"Re: Deposit missing [{email_conversation.reference}]"
    assert sent["Auto-Submitted"] is None  # a person wrote it (RFC 3834)
    assert sent["X-Auto-Response-Suppress"] == "All"
    assert sent["X-Kefu-Loop"] == threading.loop_id()
    text = sent.get_body(preferencelist=("plain",)).get_content()
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert text.startswith(f"Anti-phishing code: {CODE}")
    assert "We are checking your deposit." in text
    assert email_conversation.reference in text
    assert CODE in html
    assert "We are checking your deposit." in html
    files = [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()]
    assert files == [("steps.pdf", PDF)]
    delivery = OutboundDelivery.objects.get(message=message)
    assert (delivery.state, delivery.provider_message_id) == (OutboundState.SENT, own)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT


def test_a_keyed_agent_reply_is_delivered_once(
    smtp, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    # The workspace's idempotency key (ADR 0030) is not an external_id: the reply still goes out,
    # and sending it again with the same key neither stores nor sends a second copy.
    first = _reply(
        email_conversation,
        actor_of(agent_a),
        django_capture_on_commit_callbacks,
        client_key="page-key-0000001",
    )
    again = _reply(
        email_conversation,
        actor_of(agent_a),
        django_capture_on_commit_callbacks,
        client_key="page-key-0000001",
    )

    assert again.pk == first.pk
    assert first.external_id is None
    assert len(smtp.handler.received) == 1
    assert OutboundDelivery.objects.get(message=first).state == OutboundState.SENT
    assert Message.objects.filter(conversation=email_conversation, author_user=agent_a).count() == 1


def test_system_mail_is_marked_auto_generated(
    smtp, email_conversation, django_capture_on_commit_callbacks
):
    _reply(
        email_conversation,
        Actor.system("test"),
        django_capture_on_commit_callbacks,
        body="Your request was received.",
        author="system",
    )
    assert _received(smtp)["Auto-Submitted"] == "auto-generated"


def test_a_4xx_answer_is_retried_then_sent(
    smtp, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks, fake_clock
):
    smtp.handler.answer = "451 4.3.0 Mailbox busy, try later"
    message = _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.state == OutboundState.QUEUED
    assert "451" in delivery.last_error
    assert "Mailbox busy" in delivery.last_error
    smtp.handler.answer = "250 OK"
    fake_clock.advance(minutes=5)
    dispatch_due_channels.call()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (OutboundState.SENT, 2)
    assert len(smtp.handler.received) == 1


def test_a_5xx_answer_fails_with_the_servers_reason(
    smtp, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    smtp.handler.answer = "550 5.7.1 Message rejected by policy"
    message = _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.state == OutboundState.FAILED
    assert "550" in delivery.last_error
    assert "rejected by policy" in delivery.last_error
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED


def test_an_unreachable_server_is_retried(
    settings, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from kefu.inbox.tests.smtp_server import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    message = _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get(message=message)
    assert delivery.state == OutboundState.QUEUED
    assert "ConnectionRefused" in delivery.last_error


def test_starttls_and_auth(
    settings,
    tmp_path,
    monkeypatch,
    email_conversation,
    agent_a,
    actor_of,
    django_capture_on_commit_callbacks,
):
    with SmtpServer(tls_dir=tmp_path) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # trust the test certificate
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = True, False
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = USER, PASSWORD
        message = _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
        assert OutboundDelivery.objects.get(message=message).state == OutboundState.SENT
        assert len(server.handler.received) == 1
        settings.EMAIL_HOST_PASSWORD = "wrong"
        second = _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
        failed = OutboundDelivery.objects.get(message=second)
        assert failed.state == OutboundState.FAILED
        assert "535" in failed.last_error
        assert "wrong" not in failed.last_error


def test_reply_notification_for_a_web_request_uses_the_same_compose(
    smtp, alice, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from kefu.testing import factories

    conversation = factories.ConversationFactory(contact=alice.contact, channel="web")
    message = _reply(conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    assert not OutboundDelivery.objects.exists()
    sent = _received(smtp)
    assert sent["To"] == "alice@example.com"
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["X-Kefu-Loop"] == threading.loop_id()
    assert sent["Message-ID"] == f"<{threading.own_message_id(message.pk)}>"
    assert sent["Reply-To"] == threading.reply_address(conversation.pk)
    assert sent.get_content().startswith(f"Anti-phishing code: {CODE}")


def test_round_trip_ingest_reply_and_the_customers_answer(
    smtp, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    sent = _received(smtp)
    answer = mail(
        sender="Alice <alice@example.com>",
        to=sent["Reply-To"],
        subject="Re: " + sent["Subject"],
        message_id="<answer@x.example>",
        body="It arrived now, thanks!\n\nOn Sun, Dec 6, 2026 Support <support@localhost> wrote:\n"
        "> We are checking your deposit.",
        headers={"In-Reply-To": sent["Message-ID"], "References": sent["Message-ID"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = email_ingest(raw=answer, account="support@localhost", source="smtp")
    event.refresh_from_db()
    assert event.conversation_id == email_conversation.pk
    assert Message.objects.get(pk=event.message_id).body == "It arrived now, thanks!"
    assert len(smtp.handler.received) == 1  # the customer's message is not answered by itself
    client = Client()
    client.force_login(agent_a)
    assert client.get(f"/agent/c/{email_conversation.pk}/").status_code in (200, 302, 404)


def test_reply_in_the_customers_language(
    smtp, email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from kefu.contacts.models import Contact

    Contact.objects.filter(pk=email_conversation.contact_id).update(language="zh-hans")
    email_conversation.refresh_from_db()
    _reply(email_conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    sent = _received(smtp)
    assert sent["Subject"].startswith("回复：Deposit missing")
    text = sent.get_body(preferencelist=("plain",)).get_content()
    assert "直接回复此邮件即可答复" in text


def test_an_email_conversation_without_a_channel_identity_uses_the_contacts_address(
    smtp, alice, agent_a, actor_of, django_capture_on_commit_callbacks
):
    from kefu.testing import factories

    conversation = factories.ConversationFactory(contact=alice.contact, channel="email")
    _reply(conversation, actor_of(agent_a), django_capture_on_commit_callbacks)
    assert OutboundDelivery.objects.get().state == OutboundState.SENT
    assert smtp.handler.received[-1].rcpt_tos == ["alice@example.com"]
