"""Mail in through the real transports and the real adapter, out as a conversation.

The transport tests (test_email_smtpd.py, test_email_imap.py) record what reaches ``deliver``;
the adapter tests (test_email_inbound.py) call ``email_ingest`` directly. These join the two:
smtplib → the SMTP receiver, and Dovecot → IMAP polling, each with the default deliver, then
the stored event is processed by the pipeline into a conversation.
"""

from __future__ import annotations

import smtplib

import pytest

from kefu.conversations.models import Channel, Conversation, Message
from kefu.inbox import mailboxes
from kefu.inbox.adapters.email.smtpd import ReceiverConfig, RecipientPolicy, SmtpReceiver
from kefu.inbox.inbound import inbound_process
from kefu.inbox.models import EmailMailbox, InboundEvent, InboundState
from kefu.inbox.tests import dovecot


def mail(n: int, to: str) -> bytes:
    return (
        f"From: Customer {n} <e2e{n}@customer.example>\r\n"
        f"To: {to}\r\n"
        f"Subject: =?gb2312?b?zOHP1g==?= question {n}\r\n"  # "提现" in GB2312
        f"Message-ID: <e2e-{n}@customer.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"My withdrawal number {n} has not arrived.\r\n"
    ).encode()


def process_all() -> list[InboundEvent]:
    """Process what the worker has not yet (the test's task backend may already have run it)."""
    events = list(InboundEvent.objects.filter(channel="email").order_by("pk"))
    for event in events:
        if event.state == InboundState.RECEIVED:
            assert inbound_process(event_pk=event.pk, attempts=event.attempts) == "processed"
        event.refresh_from_db()
        assert event.state == InboundState.PROCESSED, event.last_error
    return events


def assert_conversation_for(n: int) -> None:
    message = Message.objects.get(
        channel=Channel.EMAIL, external_id=f"mid:e2e-{n}@customer.example"
    )
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.channel == Channel.EMAIL
    assert conversation.contact.email == f"e2e{n}@customer.example"
    assert "提现" in conversation.subject
    assert f"My withdrawal number {n} has not arrived." in message.body


@pytest.mark.django_db(transaction=True)
def test_smtp_receiver_to_conversation():
    config = ReceiverConfig(domains=["kefu.test"])
    server = SmtpReceiver(
        host="127.0.0.1",
        port=0,
        config=config,
        policy=RecipientPolicy(domains=config.domains, addresses=lambda: set()),
    )  # the default deliver: email_ingest
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.sendmail("e2e1@customer.example", ["Support@Kefu.test"], mail(1, "support"))
            # The same message again (a sender's retry) is stored once.
            client.sendmail("e2e1@customer.example", ["support@kefu.test"], mail(1, "support"))
    finally:
        server.stop()
    events = process_all()
    assert [(e.account, e.headers.get("x-kefu-source")) for e in events] == [
        ("support@kefu.test", "smtp")
    ]
    assert_conversation_for(1)
    assert Message.objects.filter(channel=Channel.EMAIL).count() == 1


@pytest.mark.django_db
@pytest.mark.skipif(not dovecot.available(), reason="Dovecot is not installed")
def test_imap_mailbox_to_conversation(settings):
    with dovecot.running_dovecot() as server:
        settings.KEFU_EMAIL_IMAP_CA_FILE = str(server.certs.ca_file)
        settings.KEFU_EMAIL_IMAP_TIMEOUT_SECONDS = 10
        for n in (2, 3):
            server.append(mail(n, dovecot.USER))
        mailbox = EmailMailbox(
            address=dovecot.USER,
            host="127.0.0.1",
            port=server.imaps_port,
            security="ssl",
            username=dovecot.USER,
            folder="INBOX",
            processed_folder="Kefu Processed",
            after="move",
            poll_interval_seconds=60,
        )
        mailbox.password = dovecot.PASSWORD
        mailbox.save()
        outcome = mailboxes.mailbox_poll(mailbox_pk=mailbox.pk)  # the default deliver
        assert outcome is not None
        assert (outcome.delivered, outcome.failed) == (2, 0)
        assert server.messages("INBOX") == []
    events = process_all()
    assert {e.state for e in InboundEvent.objects.filter(pk__in=[e.pk for e in events])} == {
        InboundState.PROCESSED
    }
    assert_conversation_for(2)
    assert_conversation_for(3)
