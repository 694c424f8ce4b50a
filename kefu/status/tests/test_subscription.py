"""subscriber_subscribe / subscriber_confirm / subscriber_unsubscribe and the confirmation job
(double opt-in)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import NotFound, ValidationFailed
from kefu.status import services, tokens
from kefu.status.models import StatusSubscriber
from kefu.status.tests.conftest import NOW

VISITOR = Actor(kind=ActorKind.CUSTOMER, label="status page visitor", ip="203.0.113.9")
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def subscribe(django_capture_on_commit_callbacks, settings):
    settings.KEFU_PUBLIC_URL = "https://support.example.com/"

    def run(email: str = "Trader@Example.com ", language: str = "en") -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.subscriber_subscribe(email=email, language=language, actor=VISITOR)

    return run


def _link(body: str, kind: str) -> str:
    [url] = [u for u in LINK.findall(body) if f"/status/{kind}/" in u]
    return url


def test_subscribing_emails_a_confirmation_link_and_writes_an_audit_row(db, subscribe, mailoutbox):
    subscribe()
    subscriber = StatusSubscriber.objects.get()
    assert (subscriber.email, subscriber.language, subscriber.confirmed_at) == (
        "trader@example.com",
        "en",
        None,
    )
    [email] = mailoutbox
    assert email.to == ["trader@example.com"]
    assert email.subject == "Confirm your subscription to service status updates"
    token = tokens.subscriber_token(subscriber, tokens.CONFIRM)
    assert _link(email.body, "confirm") == (
        f"https://support.example.com/help/status/confirm/{token}"
    )
    assert "https://support.example.com/help/en/status/" in email.body
    assert "If you did not ask for this, ignore this email" in email.body
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.object_id, entry.actor_kind, entry.ip) == (
        "status_subscriber.subscribed",
        str(subscriber.pk),
        "customer",
        "203.0.113.9",
    )
    assert "trader@example.com" not in str(entry.data)  # the log keeps no address
    assert entry.data["language"] == "en"


def test_the_confirmation_comes_in_simplified_chinese(db, subscribe, mailoutbox):
    subscribe("wang@example.cn", "zh-hans")
    [email] = mailoutbox
    assert email.subject == "请确认订阅服务状态通知"
    assert "请打开以下链接并点击按钮确认：" in email.body
    assert "https://support.example.com/help/zh-hans/status/" in email.body
    assert "我们绝不会向您索要密码、二次验证（2FA）验证码或助记词。" in email.body


def test_confirming_and_unsubscribing_with_the_tokens(db, subscribe, mailoutbox):
    subscribe()
    subscriber = StatusSubscriber.objects.get()
    confirm_token = tokens.subscriber_token(subscriber, tokens.CONFIRM)
    confirmed = services.subscriber_confirm(token=confirm_token, actor=VISITOR)
    assert confirmed.confirmed_at is not None
    first = confirmed.confirmed_at
    services.subscriber_confirm(token=confirm_token, actor=VISITOR)  # idempotent
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at == first
    assert AuditEntry.objects.filter(action="status_subscriber.confirmed").count() == 1

    unsubscribe_token = tokens.subscriber_token(subscriber, tokens.UNSUBSCRIBE)
    services.subscriber_unsubscribe(token=unsubscribe_token, actor=VISITOR)
    assert not StatusSubscriber.objects.exists()
    assert AuditEntry.objects.filter(action="status_subscriber.unsubscribed").count() == 1
    with pytest.raises(NotFound):
        services.subscriber_unsubscribe(token=unsubscribe_token, actor=VISITOR)


def test_tokens_cannot_be_forged_or_swapped(db, subscribe):
    subscribe()
    subscriber = StatusSubscriber.objects.get()
    confirm_token = tokens.subscriber_token(subscriber, tokens.CONFIRM)
    unsubscribe_token = tokens.subscriber_token(subscriber, tokens.UNSUBSCRIBE)
    assert confirm_token != unsubscribe_token
    assert str(subscriber.nonce) not in confirm_token
    for bad in (
        "",
        "abc",
        f"{subscriber.pk}.",
        f"{subscriber.pk}.{'0' * 64}",
        f"{subscriber.pk + 1}.{confirm_token.split('.')[1]}",
        unsubscribe_token,  # the wrong purpose
        "9" * 40 + "." + "0" * 64,
    ):
        with pytest.raises(NotFound):
            services.subscriber_confirm(token=bad, actor=VISITOR)
    with pytest.raises(NotFound):
        services.subscriber_unsubscribe(token=confirm_token, actor=VISITOR)
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    assert StatusSubscriber.objects.count() == 1


def test_old_links_keep_working_while_the_old_secret_is_a_fallback(db, subscribe, settings):
    subscribe()
    subscriber = StatusSubscriber.objects.get()
    token = tokens.subscriber_token(subscriber, tokens.CONFIRM)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-that-is-long-enough-for-django-0123456789"
    assert tokens.subscriber_by_token(token, tokens.CONFIRM) == subscriber
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(NotFound):
        tokens.subscriber_by_token(token, tokens.CONFIRM)


def test_subscribing_an_unconfirmed_address_again_resends_after_a_cooldown(
    db, subscribe, mailoutbox, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    subscribe()
    subscribe("TRADER@example.com", "zh-hans")  # within the cooldown: nothing new is sent
    assert len(mailoutbox) == 1
    monkeypatch.setattr(clock, "now", lambda: NOW + services.CONFIRMATION_COOLDOWN)
    subscribe("trader@example.com", "zh-hans")
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "请确认订阅服务状态通知"
    subscriber = StatusSubscriber.objects.get()
    assert subscriber.language == "zh-hans"
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "status_subscriber.subscribed",
        "status_subscriber.confirmation_resent",
    ]
    # The link in either email confirms the same subscription.
    assert _link(mailoutbox[0].body, "confirm") == _link(mailoutbox[1].body, "confirm")


def test_subscribing_a_confirmed_address_again_changes_and_sends_nothing(
    db, subscribe, mailoutbox, monkeypatch
):
    subscribe()
    subscriber = StatusSubscriber.objects.get()
    services.subscriber_confirm(
        token=tokens.subscriber_token(subscriber, tokens.CONFIRM), actor=VISITOR
    )
    audit_rows = AuditEntry.objects.count()
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(days=1))
    subscribe("trader@example.com", "zh-hans")
    assert len(mailoutbox) == 1
    subscriber.refresh_from_db()
    assert subscriber.language == "en"
    assert AuditEntry.objects.count() == audit_rows


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address."),
        ("   ", "Enter your email address."),
        ("not-an-email", "Enter a valid email address."),
        ("a@b", "Enter a valid email address."),
        ("trader@example.com\nBcc: x@evil.test", "Enter a valid email address."),
        ("x" * 10_000 + "@example.com", "Enter a valid email address."),
        ("a" * 250 + "@b.co", "Enter a valid email address."),
    ],
)
def test_bad_addresses_are_refused_and_nothing_is_written(
    db, subscribe, mailoutbox, email, message
):
    with pytest.raises(ValidationFailed) as excinfo:
        subscribe(email)
    assert excinfo.value.fields == {"email": [message]}
    assert not StatusSubscriber.objects.exists()
    assert not AuditEntry.objects.exists()
    assert mailoutbox == []


def test_an_unknown_language_is_refused(db, subscribe):
    with pytest.raises(ValidationFailed) as excinfo:
        subscribe("trader@example.com", "fr")
    assert excinfo.value.fields == {"language": ["Unknown language."]}
    assert not StatusSubscriber.objects.exists()


def test_the_confirmation_job_sends_nothing_once_confirmed_or_gone(db, subscribe, mailoutbox):
    from kefu.status import tasks

    subscribe()
    subscriber = StatusSubscriber.objects.get()
    services.subscriber_confirm(
        token=tokens.subscriber_token(subscriber, tokens.CONFIRM), actor=VISITOR
    )
    tasks.send_subscriber_confirmation.call(subscriber_id=subscriber.pk)
    tasks.send_subscriber_confirmation.call(subscriber_id=999_999)
    assert len(mailoutbox) == 1
