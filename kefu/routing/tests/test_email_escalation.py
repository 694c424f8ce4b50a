"""Customers asking to escalate by email: the "escalate" command in a reply (end to end through
email_ingest) and the signed one-click link in Kefu's emails (through the HTTP views)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core import signing
from django.test import Client

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations import services
from kefu.conversations.models import AuthorKind, Conversation, Message, Status
from kefu.core import clock
from kefu.inbox.adapters.email import threading
from kefu.inbox.adapters.email.commands import email_command
from kefu.inbox.adapters.email.ingest import email_ingest
from kefu.inbox.tests.email_corpus import mail
from kefu.routing.email_escalation import escalation_link_for, escalation_token
from kefu.routing.models import EscalationRequest, EscalationState
from kefu.testing import factories

pytestmark = pytest.mark.django_db

ALICE = "Alice <alice@example.com>"


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    def run(raw: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            event, _ = email_ingest(raw=raw, account="support@localhost", source="test")
        event.refresh_from_db()
        return event

    return run


@pytest.fixture
def email_conversation(ingest, customer_1) -> Conversation:
    event = ingest(mail(sender=ALICE, message_id="<first@x.example>"))
    return Conversation.objects.get(pk=event.conversation_id)


def _age(conversation: Conversation, hours: int = 48) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=clock.now() - timedelta(hours=hours)
    )


def _answer(ingest, body: str, *, subject: str = "Re: Deposit missing", mid: str = "<c@x.example>"):
    return ingest(
        mail(
            sender=ALICE,
            subject=subject,
            body=body,
            message_id=mid,
            headers={"In-Reply-To": "<first@x.example>", "References": "<first@x.example>"},
        )
    )


def _auto_replies(conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(conversation=conversation, author_kind=AuthorKind.SYSTEM).order_by(
            "seq"
        )
    )


# --- the command's words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Deposit", "Escalate"),
        ("Deposit", "escalate please!"),
        ("Deposit", "  Please escalate.\nStill nothing."),
        ("Deposit", "Escalate: three days and no answer"),
        ("Deposit", "升级"),
        ("Deposit", "我要升级：三天了还没到账"),
        ("escalate", "Three days and no answer."),
        ("升级", "三天了"),
    ],
)
def test_a_clear_command_in_the_subject_or_first_line_is_recognised(subject, text):
    assert email_command(subject=subject, text=text) == "escalate"


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Deposit", "Should I escalate this?"),
        ("Deposit", "Escalate?"),
        ("Deposit", "Hello\nescalate"),  # only the first line counts
        ("Please escalate my withdrawal issue", "It is stuck."),
        ("Deposit", "投诉"),  # complaints are their own type, filed in the portal
        ("Deposit", "升级了App以后无法登录"),
        ("", ""),
    ],
)
def test_mentions_and_other_words_are_not_commands(subject, text):
    assert email_command(subject=subject, text=text) == ""


# --- the command, end to end -----------------------------------------------------------------


def test_escalate_reply_on_an_eligible_conversation_asks_and_confirms(ingest, email_conversation):
    _age(email_conversation)
    django_mail.outbox.clear()
    event = _answer(ingest, "Escalate: three days and my deposit is still missing")
    assert event.conversation_id == email_conversation.pk
    stored = Message.objects.get(pk=event.message_id)  # the mail itself is kept as a message
    assert stored.body == "Escalate: three days and my deposit is still missing"
    request = EscalationRequest.objects.get()
    assert (request.conversation_id, request.source, request.state) == (
        email_conversation.pk,
        "email",
        EscalationState.PENDING,
    )
    assert request.reason == stored.body
    audit = AuditEntry.objects.get(action="escalation.requested")
    assert audit.actor_kind == "customer"
    assert audit.data == {"request": request.pk, "source": "email"}
    (reply,) = _auto_replies(email_conversation)
    assert "passed your request to a senior colleague" in reply.body
    (sent,) = django_mail.outbox
    assert sent.to == ["alice@example.com"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "passed your request to a senior colleague" in sent.body
    assert "/escalate/e/" not in sent.body  # pending now: no link to ask again


def test_escalate_reply_too_early_is_refused_politely(ingest, email_conversation):
    django_mail.outbox.clear()
    _answer(ingest, "escalate")
    assert not EscalationRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="escalation.requested").exists()
    (reply,) = _auto_replies(email_conversation)
    assert "cannot pass it on right now" in reply.body
    assert "within 24 hours" in reply.body
    (sent,) = django_mail.outbox
    assert "within 24 hours" in sent.body
    email_conversation.refresh_from_db()
    assert email_conversation.status == Status.NEW  # the automatic answer opened nothing


def test_escalate_reply_in_chinese_is_answered_in_chinese(ingest, email_conversation):
    Contact.objects.filter(pk=email_conversation.contact_id).update(language="zh-hans")
    _answer(ingest, "升级")
    assert not EscalationRequest.objects.exists()
    (reply,) = _auto_replies(email_conversation)
    assert "24" in reply.body
    assert "升级" in reply.body
    assert "cannot pass it on" not in reply.body
    _age(email_conversation)
    _answer(ingest, "请升级", mid="<c2@x.example>")
    request = EscalationRequest.objects.get()
    assert request.source == "email"
    assert len(request.reason) >= 3  # "请升级" alone is too short: a stock reason is used
    assert "资深" in _auto_replies(email_conversation)[-1].body


def test_a_second_escalate_mail_while_pending_gets_the_pending_answer(ingest, email_conversation):
    _age(email_conversation)
    _answer(ingest, "escalate")
    _answer(ingest, "escalate please", mid="<c2@x.example>")
    assert EscalationRequest.objects.count() == 1
    last = _auto_replies(email_conversation)[-1]
    assert "being reviewed" in last.body


def test_a_redelivered_command_mail_asks_and_answers_once(ingest, email_conversation):
    _age(email_conversation)
    _answer(ingest, "escalate")
    from kefu.inbox.inbound import inbound_process
    from kefu.inbox.models import InboundEvent

    event = InboundEvent.objects.get(event_id="mid:c@x.example")
    InboundEvent.objects.filter(pk=event.pk).update(state="pending")
    inbound_process(event_pk=event.pk, attempts=event.attempts)
    assert EscalationRequest.objects.count() == 1
    assert len(_auto_replies(email_conversation)) == 1


def test_a_mail_mentioning_escalation_is_just_a_message(ingest, email_conversation):
    _age(email_conversation)
    django_mail.outbox.clear()
    _answer(ingest, "Should I escalate this? It is urgent.")
    assert not EscalationRequest.objects.exists()
    assert _auto_replies(email_conversation) == []
    assert django_mail.outbox == []


def test_escalate_as_a_new_mail_starts_a_conversation_and_is_refused(ingest, customer_1):
    event = ingest(
        mail(sender=ALICE, subject="escalate", body="Nobody answers", message_id="<n@x>")
    )
    assert not EscalationRequest.objects.exists()
    (reply,) = _auto_replies(Conversation.objects.get(pk=event.conversation_id))
    assert "within 24 hours" in reply.body


# --- the link in Kefu's emails ---------------------------------------------------------------


def _link_in(body: str) -> str:
    start = body.index("http://127.0.0.1:8000/escalate/e/")
    return body[start:].split()[0]


def test_agent_reply_carries_the_link_only_while_the_customer_may_ask(
    email_conversation, agent_a, actor_of, django_capture_on_commit_callbacks
):
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_reply(
            conversation=email_conversation, body="Checking", actor=actor_of(agent_a)
        )
    assert "/escalate/e/" not in django_mail.outbox[-1].body  # too early
    _age(email_conversation)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_reply(
            conversation=email_conversation, body="Still checking", actor=actor_of(agent_a)
        )
    sent = django_mail.outbox[-1]
    assert "Ask for a senior colleague to review it:" in sent.body
    link = _link_in(sent.body)
    html = sent.alternatives[0][0]
    assert f'href="{link}"' in html
    assert sent.extra_headers["Message-ID"].strip("<>") == threading.own_message_id(
        Message.objects.filter(conversation=email_conversation).latest("seq").pk
    )


def test_web_reply_notification_carries_the_link_in_chinese(
    customer_1, agent_a, actor_of, django_capture_on_commit_callbacks
):
    Contact.objects.filter(pk=customer_1.contact.pk).update(language="zh-hans")
    conversation = factories.ConversationFactory(contact=customer_1.contact, channel="web")
    _age(conversation)
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_reply(conversation=conversation, body="Checking", actor=actor_of(agent_a))
    body = django_mail.outbox[-1].body
    assert "资深同事" in body
    assert "/escalate/e/" in body


def test_link_get_only_confirms_and_post_asks_as_the_customer(email_conversation):
    _age(email_conversation)
    link = escalation_link_for(email_conversation.pk).removeprefix("http://127.0.0.1:8000")
    client = Client()  # not signed in: the signed link is the authority
    page = client.get(link)
    assert page.status_code == 200
    assert "Ask to escalate" in page.content.decode()
    assert not EscalationRequest.objects.exists()  # a link scanner's GET asks nothing
    response = client.post(link, {"reason": "Three days and no money"})
    assert response.status_code == 200
    assert "Your escalation request was sent" in response.content.decode()
    request = EscalationRequest.objects.get()
    assert (request.source, request.reason, request.state) == (
        "email",
        "Three days and no money",
        EscalationState.PENDING,
    )
    audit = AuditEntry.objects.get(action="escalation.requested")
    assert audit.actor_kind == "customer"
    assert audit.actor_ref == f"customer:{email_conversation.contact_id}"
    assert audit.ip == "127.0.0.1"
    again = client.post(link, {"reason": "Again"})
    assert again.status_code == 409
    assert "being reviewed" in again.content.decode()
    assert EscalationRequest.objects.count() == 1


def test_link_post_too_early_is_refused_and_asks_nothing(email_conversation):
    token = escalation_token(
        conversation_id=email_conversation.pk, contact_id=email_conversation.contact_id
    )
    response = Client().post(f"/escalate/e/{token}/", {"reason": "Hurry up please"})
    assert response.status_code == 400
    assert "within 24 hours" in response.content.decode()
    assert not EscalationRequest.objects.exists()


def test_link_in_chinese(email_conversation):
    _age(email_conversation)
    link = escalation_link_for(email_conversation.pk).removeprefix("http://127.0.0.1:8000")
    page = Client(headers={"accept-language": "zh-hans"}).get(link)
    assert "申请升级" in page.content.decode()


@pytest.mark.parametrize("how", ["tampered", "other_salt", "moved", "expired"])
def test_forged_moved_or_expired_links_are_gone(email_conversation, customer_2, how, monkeypatch):
    _age(email_conversation)
    token = escalation_token(
        conversation_id=email_conversation.pk, contact_id=email_conversation.contact_id
    )
    if how == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif how == "other_salt":
        token = signing.dumps(
            {"c": email_conversation.pk, "k": email_conversation.contact_id},
            salt="kefu.csat.rating-link",
        )
    elif how == "moved":  # the conversation now belongs to someone else (e.g. merged contacts)
        Conversation.objects.filter(pk=email_conversation.pk).update(contact=customer_2.contact)
    else:
        import time

        real = time.time
        monkeypatch.setattr(signing.time, "time", lambda: real() + 15 * 86400)
    client = Client()
    assert client.get(f"/escalate/e/{token}/").status_code == 410
    assert client.post(f"/escalate/e/{token}/", {"reason": "Let me in"}).status_code == 410
    assert not EscalationRequest.objects.exists()
