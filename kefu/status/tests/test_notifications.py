"""notify_subscribers: each public update emailed once to each confirmed subscriber."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client, override_settings
from django_tasks import default_task_backend

from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import RetryableError
from kefu.status import services, tasks, tokens
from kefu.status.models import IncidentUpdate, StatusDelivery, StatusSubscriber
from kefu.status.tests.conftest import ETH, NOW

VISITOR = Actor(kind=ActorKind.CUSTOMER, label="status page visitor")
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _subscriber(email: str, language: str = "en", *, confirmed: bool = True) -> StatusSubscriber:
    return StatusSubscriber.objects.create(
        email=email,
        language=language,
        nonce=f"nonce-{email}",
        confirmed_at=NOW - timedelta(days=1) if confirmed else None,
    )


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.KEFU_PUBLIC_URL = "https://support.example.com"


@pytest.fixture
def readers(db):
    return {
        "en": _subscriber("ann@example.com"),
        "zh": _subscriber("wang@example.cn", "zh-hans"),
        "unconfirmed": _subscriber("new@example.com", confirmed=False),
    }


def _open(manager, capture, **changes):
    with capture(execute=True):
        return services.incident_create(**{**ETH, **changes}, actor=manager)


def test_a_new_public_incident_is_emailed_to_confirmed_subscribers_in_their_language(
    readers, manager, django_capture_on_commit_callbacks, mailoutbox
):
    incident = _open(manager, django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_address) == ["ann@example.com", "wang@example.cn"]

    english = by_address["ann@example.com"]
    assert english.subject == (
        "[Incident] ETH withdrawals delayed by network congestion: Investigating"
    )
    assert english.body.startswith("ETH withdrawals delayed by network congestion\n")
    assert "Status: Investigating. Impact: Major." in english.body
    assert "Affected: ETH (ERC20), USDT (ERC20)" in english.body
    assert "Withdrawals are **slow**. Your funds are safe." in english.body
    assert (
        f"Details and history: https://support.example.com/help/en/status/incidents/{incident.pk}/"
    ) in english.body
    unsubscribe = "https://support.example.com/help/status/unsubscribe/" + tokens.subscriber_token(
        readers["en"], tokens.UNSUBSCRIBE
    )
    assert f"Unsubscribe: {unsubscribe}" in english.body
    assert english.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert english.message()["List-Unsubscribe"] == f"<{unsubscribe}>"

    chinese = by_address["wang@example.cn"]
    assert chinese.subject == "【故障】ETH 提现因网络拥堵延迟：调查中"
    assert "状态：调查中。影响：严重。" in chinese.body
    assert "提现较慢。您的资金安全。" in chinese.body
    assert f"/help/zh-hans/status/incidents/{incident.pk}/" in chinese.body
    assert "退订： https://support.example.com/help/status/unsubscribe/" in chinese.body

    update = incident.updates.get()
    assert set(
        StatusDelivery.objects.filter(update=update).values_list("subscriber__email", "sent_at")
    ) == {
        ("ann@example.com", StatusDelivery.objects.get(subscriber=readers["en"]).sent_at),
        ("wang@example.cn", StatusDelivery.objects.get(subscriber=readers["zh"]).sent_at),
    }
    assert not StatusDelivery.objects.filter(sent_at__isnull=True).exists()


def test_each_update_is_emailed_and_a_rerun_job_sends_nothing_twice(
    readers, eth_incident, manager, django_capture_on_commit_callbacks, mailoutbox
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = services.incident_update(
            incident=eth_incident,
            state="resolved",
            body_en="Withdrawals are back to normal.",
            body_zh="",
            actor=manager,
        )
    assert len(mailoutbox) == 2
    zh = next(m for m in mailoutbox if m.to == ["wang@example.cn"])
    assert zh.subject == "【故障】ETH 提现因网络拥堵延迟：已解决"
    assert "Withdrawals are back to normal." in zh.body  # no Chinese text: the English one

    tasks.notify_subscribers.call(update_id=update.pk)
    tasks.notify_subscribers.enqueue(update_id=update.pk)
    assert len(mailoutbox) == 2
    assert StatusDelivery.objects.filter(update=update).count() == 2


def test_drafts_and_unpublished_entries_are_not_emailed_until_published(
    readers, manager, django_capture_on_commit_callbacks, mailoutbox
):
    draft = _open(manager, django_capture_on_commit_callbacks, is_public=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update(
            incident=draft, state="identified", body_en="Found it.", actor=manager
        )
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_set_public(incident=draft, is_public=True, actor=manager)
    # Publishing sends the latest update only.
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@example.com", "wang@example.cn"]
    assert all(m.subject.endswith(("Identified", "已查明原因")) for m in mailoutbox)

    # Taken off the page before the job ran: nothing is sent.
    mailoutbox.clear()
    with override_settings(TASKS=DUMMY_TASKS), django_capture_on_commit_callbacks(execute=True):
        services.incident_update(incident=draft, state="monitoring", body_en="Ok.", actor=manager)
        services.incident_set_public(incident=draft, is_public=False, actor=manager)
    update = draft.updates.order_by("-id").first()
    tasks.notify_subscribers.call(update_id=update.pk)
    tasks.notify_subscribers.call(update_id=999_999)
    assert mailoutbox == []


def test_subscribers_who_confirm_after_an_update_do_not_get_it(
    db, manager, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    with override_settings(TASKS=DUMMY_TASKS):
        incident = services.incident_create(**ETH, actor=manager)
    late = _subscriber("late@example.com", confirmed=False)
    late.confirmed_at = NOW + timedelta(minutes=1)
    late.save()
    tasks.notify_subscribers.call(update_id=incident.updates.get().pk)
    assert mailoutbox == []


def test_a_failed_send_is_retried_for_the_missing_subscribers_only(
    readers, manager, monkeypatch, mailoutbox
):
    with override_settings(TASKS=DUMMY_TASKS):
        incident = services.incident_create(**ETH, actor=manager)
    update = IncidentUpdate.objects.get(incident=incident)
    real = EmailBackend.send_messages

    def flaky(self, messages):
        if messages[0].to == ["wang@example.cn"]:
            raise smtplib.SMTPServerDisconnected("gone")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    with override_settings(TASKS=DUMMY_TASKS):
        tasks.notify_subscribers.call(update_id=update.pk, attempt=1)
        [retry] = default_task_backend.results
    assert retry.kwargs == {"attempt": 2, "update_id": update.pk}
    assert retry.task.run_after == NOW + timedelta(seconds=5)
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
    # The failed recipient's claim was released; the sent one is recorded.
    assert list(StatusDelivery.objects.values_list("subscriber__email", flat=True)) == [
        "ann@example.com"
    ]

    monkeypatch.setattr(EmailBackend, "send_messages", real)
    tasks.notify_subscribers.call(update_id=update.pk, attempt=2)
    assert [m.to for m in mailoutbox] == [["ann@example.com"], ["wang@example.cn"]]


def test_smtp_failure_raises_retryable_inside_the_job(readers, manager, monkeypatch):
    with override_settings(TASKS=DUMMY_TASKS):
        incident = services.incident_create(**ETH, actor=manager)

    def down(self, messages):
        raise ConnectionRefusedError(111, "refused")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    seen = {}

    def recording_run_with_retry(task, func, *, attempt, **kwargs):
        with pytest.raises(RetryableError):
            func()
        seen.update(task=task, kwargs=kwargs)

    monkeypatch.setattr(tasks, "run_with_retry", recording_run_with_retry)
    tasks.notify_subscribers.call(update_id=incident.updates.get().pk)
    assert seen == {
        "task": tasks.notify_subscribers,
        "kwargs": {"update_id": incident.updates.get().pk},
    }
    assert not StatusDelivery.objects.exists()


def test_the_one_click_unsubscribe_link_in_the_email_works(
    readers, manager, django_capture_on_commit_callbacks, mailoutbox
):
    _open(manager, django_capture_on_commit_callbacks)
    english = next(m for m in mailoutbox if m.to == ["ann@example.com"])
    url = english.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("https://support.example.com")
    # What a mail provider sends (RFC 8058): no cookies, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not StatusSubscriber.objects.filter(email="ann@example.com").exists()
    assert StatusSubscriber.objects.filter(email="wang@example.cn").exists()
