"""Email in: email_ingest stores the raw mail first, the pipeline makes conversations, threads
replies three ways (only for the conversation's own contact), never answers automatic mail,
and shows malformed mail to admins instead of dropping it."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.urls import reverse

from kefu.contacts.models import Contact
from kefu.conversations import services
from kefu.conversations.models import Conversation, Message, Status
from kefu.inbox.adapters.email import threading
from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.models import ChannelIdentity, InboundState, OutboundDelivery
from kefu.inbox.tests.email_corpus import PDF, dsn, mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    def run(raw: bytes, account: str = "Support@Localhost", source: str = "test"):
        with django_capture_on_commit_callbacks(execute=True):
            event, created = email_ingest(raw=raw, account=account, source=source)
        event.refresh_from_db()
        return event, created

    return run


def test_new_mail_makes_a_conversation_for_a_new_contact(ingest):
    event, created = ingest(mail(subject="Deposit missing", body="Where is my BTC?"))
    assert created
    assert (event.channel, event.account, event.event_id) == (
        "email",
        "support@localhost",
        "mid:m1@mail.example.com",
    )
    assert event.content_type == "message/rfc822"
    assert event.headers == {"x-kefu-source": "test"}
    assert bytes(event.payload).startswith(b"From: Ann Lee <ann@example.com>")
    assert event.state == InboundState.PROCESSED
    conversation = Conversation.objects.get(pk=event.conversation_id)
    assert (conversation.channel, conversation.subject) == ("email", "Deposit missing")
    assert conversation.contact.email == "ann@example.com"
    assert conversation.contact.name == "Ann Lee"
    message = Message.objects.get(pk=event.message_id)
    assert (message.body, message.external_id) == ("Where is my BTC?", "mid:m1@mail.example.com")
    identity = ChannelIdentity.objects.get(channel="email")
    assert (identity.external_id, identity.thread_key) == ("ann@example.com", "ann@example.com")


def test_a_routing_rule_moves_a_new_mail_to_its_team(ingest, team_b, admin_user, actor_of):
    """The customer's own mail opens the conversation; the system applies the routing rule."""
    from kefu.routing.services import routing_rule_save

    routing_rule_save(
        name="email desk", channels=["email"], team=team_b, position=1, actor=actor_of(admin_user)
    )
    event, _ = ingest(mail(subject="Deposit missing", body="Where is my BTC?"))
    assert event.state == InboundState.PROCESSED, event.last_error
    assert Conversation.objects.get(pk=event.conversation_id).team_id == team_b.pk


def test_existing_contact_is_matched_by_address(ingest, customer_1):
    event, _ = ingest(mail(sender="Alice <ALICE@Example.com>"))
    assert Conversation.objects.get(pk=event.conversation_id).contact == customer_1.contact
    assert Contact.objects.filter(email__iexact="alice@example.com").count() == 1


def test_redelivery_is_stored_once(ingest):
    first, created = ingest(mail())
    again, created_again = ingest(mail())
    assert created
    assert not created_again
    assert first.pk == again.pk
    assert Message.objects.count() == 1


def test_without_message_id_the_event_is_keyed_on_the_bytes(ingest):
    raw = mail(message_id=None)
    event, _ = ingest(raw)
    assert event.event_id == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert event.state == InboundState.PROCESSED
    assert "no Message-ID" in event.last_error  # flagged for admins
    assert Message.objects.get().external_id == event.event_id


def test_a_new_mail_without_references_starts_a_new_conversation(ingest):
    first, _ = ingest(mail(message_id="<a@x.example>", subject="Deposit"))
    second, _ = ingest(mail(message_id="<b@x.example>", subject="KYC question"))
    assert first.conversation_id != second.conversation_id


# --- threading ------------------------------------------------------------------------------


def _conversation(ingest, sender="Ann Lee <ann@example.com>") -> Conversation:
    event, _ = ingest(mail(sender=sender, message_id="<first@x.example>"))
    return Conversation.objects.get(pk=event.conversation_id)


def test_threading_by_in_reply_to_of_the_customers_own_message(ingest):
    conversation = _conversation(ingest)
    event, _ = ingest(
        mail(
            message_id="<second@x.example>",
            subject="something else",
            headers={"In-Reply-To": "<FIRST@x.example>", "References": "<first@x.example>"},
        )
    )
    assert event.conversation_id == conversation.pk


def test_threading_by_kefus_own_message_id(ingest, agent_a, actor_of):
    conversation = _conversation(ingest)
    reply = services.message_reply(
        conversation=conversation, body="Checking", actor=actor_of(agent_a)
    )
    own = threading.own_message_id(reply.pk)
    event, _ = ingest(
        mail(message_id="<r@x.example>", subject="x", headers={"In-Reply-To": f"<{own}>"})
    )
    assert event.conversation_id == conversation.pk


def test_threading_by_reference_in_subject(ingest):
    conversation = _conversation(ingest)
    event, _ = ingest(
        mail(message_id="<s@x.example>", subject=f"Re: [{conversation.reference}] hi")
    )
    assert event.conversation_id == conversation.pk


def test_threading_by_signed_reply_address(ingest):
    conversation = _conversation(ingest)
    address = threading.reply_address(conversation.pk)
    assert address.startswith("support+c")
    assert address.endswith("@localhost")
    event, _ = ingest(mail(message_id="<p@x.example>", subject="new words", to=address.upper()))
    assert event.conversation_id == conversation.pk


def test_a_forged_reply_address_token_is_not_trusted(ingest):
    conversation = _conversation(ingest)
    forged = f"support+c{conversation.pk}.aaaaaaaaaaaaaaaaaaaa@localhost"
    assert threading.conversation_from_address(forged) is None
    event, _ = ingest(mail(message_id="<f@x.example>", subject="new", to=forged))
    assert event.conversation_id != conversation.pk


@pytest.mark.parametrize("way", ["subject", "in-reply-to", "reply-address"])
def test_a_stranger_cannot_inject_into_someone_elses_conversation(ingest, way):
    victim = _conversation(ingest)
    headers, subject, to = {}, "hello", "support@localhost"
    if way == "subject":
        subject = f"Re: [{victim.reference}] please add this"
    elif way == "in-reply-to":
        headers = {"In-Reply-To": "<first@x.example>"}
    else:
        to = threading.reply_address(victim.pk)
    event, _ = ingest(
        mail(
            sender="Mallory <mallory@evil.example>",
            message_id="<evil@evil.example>",
            subject=subject,
            to=to,
            headers=headers,
        )
    )
    assert event.state == InboundState.PROCESSED
    assert event.conversation_id != victim.pk
    assert victim.messages.count() == 1
    assert (
        Conversation.objects.get(pk=event.conversation_id).contact.email == "mallory@evil.example"
    )
    assert "another contact's conversation ignored" in event.last_error


def test_a_reply_to_a_closed_conversation_starts_a_new_one(ingest, agent_a, actor_of):
    conversation = _conversation(ingest)
    services.conversation_set_status(
        conversation=conversation, status=Status.CLOSED, actor=actor_of(agent_a)
    )
    event, _ = ingest(
        mail(message_id="<late@x.example>", headers={"In-Reply-To": "<first@x.example>"})
    )
    assert event.conversation_id != conversation.pk


# --- automatic mail and loops -------------------------------------------------------------


AUTOMATIC = [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"X-Autoreply": "yes"},
    {"List-Id": "<list.example.com>"},
    {"Return-Path": "<>"},
    {"X-Kefu-Loop": "0123456789abcdef"},
]


@pytest.mark.parametrize("headers", AUTOMATIC)
def test_automatic_mail_is_stored_recorded_and_never_answered(ingest, headers):
    event, _ = ingest(mail(headers=headers))
    assert event.state == InboundState.IGNORED
    assert event.ignored_reason
    assert bytes(event.payload)  # kept for admins
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    assert not OutboundDelivery.objects.exists()
    assert django_mail.outbox == []


def test_kefus_own_outgoing_mail_coming_back_is_ignored(ingest, settings):
    from kefu.inbox.adapters.email.compose import compose_customer_email

    own = compose_customer_email(to="support@localhost", subject="x", text="y")
    event, _ = ingest(own.message().as_bytes())
    assert event.state == InboundState.IGNORED
    assert "X-Kefu-Loop" in event.ignored_reason


def test_a_bounce_marks_the_delivery_failed(
    ingest, agent_a, actor_of, django_capture_on_commit_callbacks
):
    conversation = _conversation(ingest)
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.message_reply(
            conversation=conversation, body="Checking", actor=actor_of(agent_a)
        )
    delivery = OutboundDelivery.objects.get(message=reply)
    assert delivery.state == "sent"
    event, _ = ingest(dsn(original_message_id=delivery.provider_message_id))
    assert event.state == InboundState.IGNORED
    delivery.refresh_from_db()
    reply.refresh_from_db()
    assert delivery.state == "failed"
    assert "5.1.1" in delivery.last_error
    assert "bounced" in delivery.last_error
    assert reply.delivery_status == "failed"


# --- malformed mail -----------------------------------------------------------------------


def test_mail_without_a_from_fails_with_a_clear_reason(ingest):
    event, _ = ingest(mail(sender=""))
    assert event.state == InboundState.FAILED
    assert "no usable From address" in event.last_error


def test_a_non_email_blob_is_stored_and_failed(ingest):
    blob = b"\x00\x01\x02\xff\xfe not mail at all" * 100
    event, _ = ingest(blob)
    assert event.state == InboundState.FAILED
    assert bytes(event.payload) == blob


def test_broken_mime_is_processed_and_flagged(ingest):
    raw = (
        b"From: ann@example.com\r\nSubject: x\r\nMessage-ID: <b@x.example>\r\nMIME-Version: 1.0"
        b'\r\nContent-Type: multipart/mixed; boundary="nope"\r\n\r\nplease help \xff'
    )
    event, _ = ingest(raw)
    assert event.state == InboundState.PROCESSED
    assert "MIME defects" in event.last_error
    assert "no Date" in event.last_error
    assert "please help" in Message.objects.get().body


def test_an_attachment_over_the_limit_is_named_in_the_message(ingest, settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1000
    raw = mail(
        body="statement attached",
        attachments=[
            ("huge.pdf", "application/pdf", PDF + b"0" * 5000),
            ("ok.pdf", "application/pdf", PDF),
        ],
    )
    event, _ = ingest(raw)
    message = Message.objects.get(pk=event.message_id)
    assert "huge.pdf was not accepted: the file is too large." in message.body
    assert [a.filename for a in message.attachments.all()] == ["ok.pdf"]


def test_malformed_and_automatic_mail_is_visible_on_the_admin_page(ingest, admin_user):
    ingest(mail(sender="", message_id="<nofrom@x.example>"))
    ingest(mail(message_id="<auto@x.example>", headers={"Auto-Submitted": "auto-replied"}))
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("backoffice:inbound:list")).content.decode()
    assert "no usable From address" in page
    assert "auto-submitted: auto-replied" in page
    assert "support@localhost" in page  # the mailbox


def test_warnings_of_a_processed_mail_are_shown_to_admins(ingest, admin_user):
    ingest(mail(message_id=None, date=None))
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("backoffice:inbound:list")).content.decode()
    assert "Warnings:" in page
    assert "no Message-ID; no Date" in page


def test_a_reused_message_id_does_not_swallow_someone_elses_mail(ingest):
    mallory, _ = ingest(mail(sender="mallory@evil.example", message_id="<x@x.example>"))
    ann, created = ingest(mail(sender="ann@example.com", message_id="<x@x.example>", body="mine"))
    assert created
    assert ann.pk != mallory.pk
    assert ann.event_id.startswith("sha256:")
    assert ann.state == InboundState.PROCESSED
    message = Message.objects.get(pk=ann.message_id)
    assert message.body == "mine"
    assert message.conversation.contact.email == "ann@example.com"


def test_a_relay_redelivery_with_new_trace_headers_is_one_message(ingest):
    first, _ = ingest(mail())
    second, created = ingest(b"Received: from relay2.example.net\r\n" + mail())
    assert created
    assert second.state == InboundState.PROCESSED
    assert second.message_id == first.message_id
    assert Message.objects.count() == 1


# --- cost of the receive path (docs/benchmarks.md, "Email ingestion (issue 8)") ----------------


def _statements(queries, table: str, verb: str = "SELECT") -> int:
    return sum(1 for q in queries if q["sql"].startswith(verb) and f'FROM "{table}"' in q["sql"])


def test_a_threaded_reply_is_stored_without_rereading_what_the_path_holds(ingest):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kefu.routing.services import policy_get

    policy_get()  # the routing policy row exists (its first read creates it: a new version)
    conversation = _conversation(ingest)
    with CaptureQueriesContext(connection) as captured:
        event, _ = ingest(
            mail(
                message_id="<second@x.example>",
                subject="Re: something",
                headers={"In-Reply-To": "<first@x.example>"},
                attachments=[("receipt.pdf", "application/pdf", PDF)],
            )
        )
    assert event.conversation_id == conversation.pk
    assert event.state == InboundState.PROCESSED
    queries = captured.captured_queries
    # Messages are read once by the adapter (a reused Message-ID and the thread's references in
    # one query) and once by message_receive (idempotency); never again for the push or result.
    assert _statements(queries, "conversations_message") == 2
    assert _statements(queries, "conversations_attachment") == 0
    # Policy rows come from the per-process cache (ADR 0028): not one is read for this reply;
    # its version is read with the claim (and once more here by the webhook hook, which this
    # test runs after the event's block).
    for table in ("integrations_webhookendpoint", "automation_automationrule", "sla_slapolicy"):
        assert _statements(queries, table) == 0, table
    assert _statements(queries, "core_policyversion") == 2
    assert len(queries) <= 26  # store, claim, parse, thread, reply, audit, timeline, finish
