"""The customer's anti-phishing code: validation, and its place at the top of every email Kefu
sends a customer (reply notification, chat-by-email, new-device alert, status emails)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.antiphishing import antiphishing_code_set, with_antiphishing_code
from kefu.accounts.models import LoginDevice
from kefu.accounts.services import actor_for_user
from kefu.accounts.tasks import notify_new_device
from kefu.audit.models import AuditEntry
from kefu.conversations import services as conversations
from kefu.conversations.models import Message
from kefu.core import clock
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.inbox.adapters.webchat.tasks import continue_chat_by_email
from kefu.status import services as status_services
from kefu.status import tasks as status_tasks
from kefu.status.models import IncidentKind, StatusSubscriber
from kefu.testing import factories

HEADER = "Anti-phishing code: Tiger2026"


def _set(user, code):
    return antiphishing_code_set(user=user, code=code, actor=actor_for_user(user))


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["Tiger2026", "abcd", "a" * 20, "老虎老虎", "我的Code9", "Ｔｉｇｅｒ２０２６"]
)
def test_valid_codes(customer_1, code):
    _set(customer_1, code)
    customer_1.refresh_from_db()
    assert customer_1.antiphishing_code == code.replace("Ｔｉｇｅｒ２０２６", "Tiger2026")


@pytest.mark.parametrize(
    "code",
    [
        "abc",  # too short
        "a" * 21,  # too long
        "two words",
        "https://evil.example",
        "evil.example",
        "www.example",
        "tiger!",
        "tiger\u200bcat",  # invisible
        "abc\u202edcba",  # right-to-left override
        "тигр2026",  # Cyrillic look-alikes
    ],
)
def test_invalid_codes_are_refused(customer_1, code):
    with pytest.raises(ValidationFailed) as info:
        _set(customer_1, code)
    assert "code" in info.value.fields
    customer_1.refresh_from_db()
    assert customer_1.antiphishing_code == ""
    assert not AuditEntry.objects.filter(action="antiphishing_code.changed").exists()


def test_change_is_audited_without_the_code(customer_1):
    _set(customer_1, "Tiger2026")
    _set(customer_1, "")
    rows = list(
        AuditEntry.objects.filter(action="antiphishing_code.changed")
        .order_by("pk")
        .values_list("data", flat=True)
    )
    assert rows == [{"set": True}, {"set": False}]


def test_staff_have_no_anti_phishing_code(agent_a, customer_1):
    with pytest.raises(PermissionDenied):
        _set(agent_a, "Tiger2026")
    with pytest.raises(PermissionDenied):
        antiphishing_code_set(user=customer_1, code="Tiger2026", actor=actor_for_user(agent_a))


def test_header_only_for_a_customer_with_a_code(customer_1, customer_2, agent_a):
    _set(customer_1, "Tiger2026")
    assert with_antiphishing_code("Hello", recipient="ALICE@example.com ").startswith(HEADER)
    assert with_antiphishing_code("Hello", recipient=customer_2.email) == "Hello"
    assert with_antiphishing_code("Hello", recipient=agent_a.email) == "Hello"
    assert with_antiphishing_code("Hello", recipient="") == "Hello"


# --- every customer email ----------------------------------------------------------------------


@pytest.fixture
def coded(customer_1):
    _set(customer_1, "Tiger2026")
    return customer_1


def test_reply_notification_starts_with_the_code(
    coded, conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    assert conversation_a.contact.email == coded.email
    with django_capture_on_commit_callbacks(execute=True):
        conversations.message_reply(
            conversation=conversation_a, body="Your withdrawal was sent.", actor=actor_of(agent_a)
        )
    (email,) = mailoutbox
    assert email.body.startswith(HEADER)
    assert "Your withdrawal was sent." in email.body


def test_chinese_reply_notification_has_the_chinese_header(
    db, agent_b, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    user = factories.CustomerUserFactory(email="wang@example.cn", language="zh-hans")
    user.contact.language = "zh-hans"
    user.contact.save(update_fields=["language"])
    _set(user, "老虎密语")
    conversation = factories.ConversationFactory(contact=user.contact, subject="提现")
    with django_capture_on_commit_callbacks(execute=True):
        conversations.message_reply(
            conversation=conversation, body="已处理", actor=actor_of(agent_b)
        )
    (email,) = mailoutbox
    assert email.body.startswith("防钓鱼码：老虎密语")


def test_chat_by_email_starts_with_the_code(coded, conversation_a, agent_a, actor_of, mailoutbox):
    message = conversations.message_reply(
        conversation=conversation_a, body="Chat answer", actor=actor_of(agent_a)
    )
    Message.objects.filter(pk=message.pk).update(customer_notified_at=None)
    mailoutbox.clear()
    continue_chat_by_email.call(message_id=message.pk)
    (email,) = mailoutbox
    assert email.body.startswith(HEADER)
    assert "Chat answer" in email.body


def test_new_device_alert_starts_with_the_code(coded, mailoutbox):
    now = clock.now()
    device = LoginDevice.objects.create(
        user=coded,
        token_hash="0" * 64,
        browser="Firefox on Linux",
        first_seen_at=now,
        last_seen_at=now,
    )
    notify_new_device.call(device_id=device.pk)
    (email,) = mailoutbox
    assert email.body.startswith(HEADER)


def test_status_emails_start_with_the_code(coded, supervisor, actor_of, mailoutbox):
    subscriber = StatusSubscriber.objects.create(
        email=coded.email, language="en", nonce="n-1", confirmed_at=None
    )
    status_tasks.send_subscriber_confirmation.call(subscriber_id=subscriber.pk)
    (confirmation,) = mailoutbox
    assert confirmation.body.startswith(HEADER)
    mailoutbox.clear()
    StatusSubscriber.objects.filter(pk=subscriber.pk).update(
        confirmed_at=clock.now() - timedelta(days=1)
    )
    incident = status_services.incident_create(
        kind=IncidentKind.ANNOUNCEMENT,
        title_en="Maintenance",
        title_zh="维护",
        body_en="We are upgrading.",
        body_zh="我们正在升级。",
        actor=actor_of(supervisor),
    )
    update = incident.updates.order_by("-pk").first()
    status_tasks.notify_subscribers.call(update_id=update.pk)
    (notice,) = mailoutbox
    assert notice.body.startswith(HEADER)


# --- the portal ------------------------------------------------------------------------------


def test_portal_form_saves_and_shows_the_code_in_the_header(customer_1):
    client = Client()
    client.force_login(customer_1, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("portal:account_antiphishing"), {"code": "Tiger2026"})
    assert response.status_code == 302
    page = client.get(reverse("portal:request_list")).content.decode()
    assert 'id="antiphishing-code"' in page
    assert "Tiger2026" in page


def test_portal_form_shows_validation_errors(customer_1):
    client = Client()
    client.force_login(customer_1, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("portal:account_antiphishing"), {"code": "http://x.io"})
    assert response.status_code == 400
    assert "Use 4 to 20 letters, digits or Chinese characters" in response.content.decode()
    customer_1.refresh_from_db()
    assert customer_1.antiphishing_code == ""


def test_staff_pages_never_show_the_code(coded, conversation_a, agent_a):
    client = Client()
    client.force_login(agent_a, backend="django.contrib.auth.backends.ModelBackend")
    for url in (reverse("workspace:conversation", args=[conversation_a.pk]), "/agent/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Tiger2026" not in response.content.decode()
