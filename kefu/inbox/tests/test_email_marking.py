"""Every email Kefu sends on its own is marked so other systems don't answer it (issue 8) and
carries the recipient's anti-phishing code exactly once.

Each mail is triggered through its real task, with Django's locmem backend (``mailoutbox``),
and checked on the rendered message (the headers as they go on the wire).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage

from kefu.accounts.antiphishing import antiphishing_code_set
from kefu.accounts.models import LoginDevice
from kefu.accounts.services import actor_for_user
from kefu.accounts.tasks import notify_new_device
from kefu.cases.models import CaseKind, CaseState, VerificationCase
from kefu.cases.tasks import notify_case_decision
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Message
from kefu.conversations.tasks import notify_customer_of_reply
from kefu.core import clock
from kefu.csat.models import Survey
from kefu.csat.tasks import survey_deliver
from kefu.inbox.adapters.email.compose import LOOP_HEADER, compose_customer_email
from kefu.inbox.adapters.email.threading import loop_id
from kefu.inbox.adapters.webchat.tasks import continue_chat_by_email
from kefu.status import services as status_services
from kefu.status import tasks as status_tasks
from kefu.status.models import IncidentKind, StatusSubscriber

CODE = "Tiger2026"
HEADER = f"Anti-phishing code: {CODE}"


def _case_decision(ctx) -> None:
    now = clock.now()
    case = VerificationCase.objects.create(
        kind=CaseKind.UNLOCK,
        state=CaseState.COMPLETED,
        description="Locked out.",
        contact=ctx["customer"].contact,
        created_at=now,
        updated_at=now,
    )
    notify_case_decision.call(case_id=case.pk)


def _survey(ctx) -> None:
    conversation = ctx["conversation"]
    conversation.channel = Channel.EMAIL
    conversation.save(update_fields=["channel"])
    now = clock.now()
    survey = Survey.objects.create(
        conversation=conversation,
        channel=Channel.EMAIL,
        created_at=now,
        open_until=now + timedelta(days=7),
    )
    survey_deliver.call(survey_id=survey.pk)


def _status_confirmation(ctx) -> None:
    subscriber = StatusSubscriber.objects.create(
        email=ctx["customer"].email, language="en", nonce="n-1", confirmed_at=None
    )
    status_tasks.send_subscriber_confirmation.call(subscriber_id=subscriber.pk)


def _status_update(ctx) -> None:
    StatusSubscriber.objects.create(
        email=ctx["customer"].email,
        language="en",
        nonce="n-2",
        confirmed_at=clock.now() - timedelta(days=1),
    )
    incident = status_services.incident_create(
        kind=IncidentKind.ANNOUNCEMENT,
        title_en="Maintenance",
        title_zh="维护",
        body_en="We are upgrading.",
        body_zh="我们正在升级。",
        actor=ctx["actor_of"](ctx["supervisor"]),
    )
    ctx["mailoutbox"].clear()  # anything incident_create queued is not what we check
    status_tasks.notify_subscribers.call(update_id=incident.updates.order_by("-pk").first().pk)


def _agent_reply(ctx) -> Message:
    message = conversations.message_reply(
        conversation=ctx["conversation"],
        body="Your withdrawal was sent.",
        actor=ctx["actor_of"](ctx["agent"]),
    )
    Message.objects.filter(pk=message.pk).update(customer_notified_at=None)
    ctx["mailoutbox"].clear()
    return message


def _chat_by_email(ctx) -> None:
    continue_chat_by_email.call(message_id=_agent_reply(ctx).pk)


def _reply_notification(ctx) -> None:
    notify_customer_of_reply.call(message_id=_agent_reply(ctx).pk)


def _new_device(ctx) -> None:
    now = clock.now()
    device = LoginDevice.objects.create(
        user=ctx["customer"],
        token_hash="0" * 64,
        browser="Firefox on Linux",
        first_seen_at=now,
        last_seen_at=now,
    )
    notify_new_device.call(device_id=device.pk)


MAILS: dict[str, Callable[[dict], None]] = {
    "case decision": _case_decision,
    "survey": _survey,
    "status confirmation": _status_confirmation,
    "status update": _status_update,
    "chat by email": _chat_by_email,
    "reply notification": _reply_notification,
    "new device": _new_device,
}


@pytest.fixture
def ctx(customer_1, conversation_a, agent_a, supervisor, actor_of, mailoutbox):
    assert conversation_a.contact.email == customer_1.email
    return {
        "customer": customer_1,
        "conversation": conversation_a,
        "agent": agent_a,
        "supervisor": supervisor,
        "actor_of": actor_of,
        "mailoutbox": mailoutbox,
    }


def _only_mail(mailoutbox, recipient: str) -> EmailMessage:
    (email,) = mailoutbox
    assert email.to == [recipient]
    return email


def _assert_marked(email: EmailMessage) -> None:
    wire = email.message()
    assert wire[LOOP_HEADER] == loop_id()
    assert wire["X-Auto-Response-Suppress"] == "All"
    assert wire["Auto-Submitted"] == "auto-generated"
    assert len(wire.get_all("Auto-Submitted")) == 1
    assert wire["Message-ID"]


@pytest.mark.parametrize("name", list(MAILS))
def test_marked_and_the_code_once(name, ctx, mailoutbox):
    antiphishing_code_set(user=ctx["customer"], code=CODE, actor=actor_for_user(ctx["customer"]))
    MAILS[name](ctx)
    email = _only_mail(mailoutbox, ctx["customer"].email)
    _assert_marked(email)
    assert email.body.startswith(HEADER)
    assert email.body.count("Anti-phishing code:") == 1
    assert email.message().as_string().count(CODE) == 1


@pytest.mark.parametrize("name", list(MAILS))
def test_marked_without_a_code(name, ctx, mailoutbox):
    MAILS[name](ctx)
    email = _only_mail(mailoutbox, ctx["customer"].email)
    _assert_marked(email)
    assert "Anti-phishing code:" not in email.body


def test_status_update_keeps_its_unsubscribe_headers(ctx, mailoutbox):
    _status_update(ctx)
    wire = _only_mail(mailoutbox, ctx["customer"].email).message()
    assert re.fullmatch(r"<https?://\S+>", wire["List-Unsubscribe"])
    assert wire["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_extra_headers_cannot_unmark_a_message(db):
    email = compose_customer_email(
        to="someone@example.com",
        subject="Hello",
        text="Body",
        headers={
            "x-kefu-loop": "forged",
            "X-Auto-Response-Suppress": "None",
            "Auto-Submitted": "no",
            "Message-ID": "<forged@example.com>",
            "List-Id": "<status.example.com>",
        },
    )
    wire = email.message()
    assert wire.get_all(LOOP_HEADER) == [loop_id()]
    assert wire.get_all("X-Auto-Response-Suppress") == ["All"]
    assert wire.get_all("Auto-Submitted") is None  # an agent's reply: not auto-submitted
    assert wire["Message-ID"] != "<forged@example.com>"
    assert wire["List-Id"] == "<status.example.com>"
