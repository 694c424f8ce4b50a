"""Deliveries against a real HTTP server on 127.0.0.1: signatures, retries, failures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.integrations import delivery, services, signing, transport
from kefu.integrations.models import DeliveryState, DisabledReason, WebhookDelivery
from kefu.integrations.tasks import deliver_webhook
from kefu.testing import factories


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def fake_clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(clock, "now", lambda: c.now)
    return c


def _ping(endpoint, admin_user, actor_of, capture):
    with capture(execute=True):
        return services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))


def test_ping_is_signed_with_the_secret_shown_at_creation(
    receiver, make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    endpoint, secret = make_endpoint(receiver.url)

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/kefu?tenant=1"
    assert request.headers["Kefu-Event"] == "ping"
    assert request.headers["Kefu-Delivery"] == str(sent.delivery_id)
    assert request.headers["Content-Type"] == "application/json"
    assert signing.verify(secret, request.headers["Kefu-Signature"], request.body)
    assert not signing.verify(secret, request.headers["Kefu-Signature"], request.body + b" ")
    assert not signing.verify("whsec_other", request.headers["Kefu-Signature"], request.body)
    document = json.loads(request.body)
    assert document["id"] == str(sent.delivery_id)
    assert document["type"] == "ping"
    assert document["data"] == {"endpoint_id": endpoint.pk, "sent_by": admin_user.pk}
    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.last_status_code) == (DeliveryState.SUCCEEDED, 1, 200)
    assert sent.next_attempt_at is None


def test_a_500_is_retried_later_with_the_same_id_and_body_then_succeeds(
    receiver, make_endpoint, admin_user, actor_of, fake_clock, django_capture_on_commit_callbacks
):
    endpoint, secret = make_endpoint(receiver.url)
    receiver.answer(500)
    started = fake_clock.now

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.last_status_code) == (DeliveryState.PENDING, 1, 500)
    assert sent.last_error == "HTTP 500"
    wait = sent.next_attempt_at - started
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)  # 60 s ± 20% jitter

    assert services.deliveries_dispatch_due() == 0  # not due yet
    assert len(receiver.requests) == 1

    fake_clock.advance(seconds=73)
    assert services.deliveries_dispatch_due() == 1

    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.last_status_code) == (DeliveryState.SUCCEEDED, 2, 200)
    first, second = receiver.requests
    assert first.headers["Kefu-Delivery"] == second.headers["Kefu-Delivery"]
    assert first.body == second.body
    assert (first.headers["Kefu-Attempt"], second.headers["Kefu-Attempt"]) == ("1", "2")
    assert signing.verify(secret, second.headers["Kefu-Signature"], second.body)


@pytest.mark.parametrize("status", [400, 401, 404, 422, 301])
def test_a_refusal_is_permanent_and_never_retried(
    status,
    receiver,
    make_endpoint,
    admin_user,
    actor_of,
    fake_clock,
    django_capture_on_commit_callbacks,
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(status)

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.last_status_code) == (DeliveryState.FAILED, 1, status)
    assert sent.next_attempt_at is None
    fake_clock.advance(days=2)
    assert services.deliveries_dispatch_due() == 0
    assert len(receiver.requests) == 1
    endpoint.refresh_from_db()
    assert endpoint.is_active is True


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_timeouts_rate_limits_and_server_errors_are_retried(
    status, receiver, make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(status)

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    assert (sent.state, sent.last_status_code) == (DeliveryState.PENDING, status)


def test_a_receiver_slower_than_the_deadline_times_out_and_is_retried(
    receiver,
    make_endpoint,
    admin_user,
    actor_of,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 0.5)
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.delay = 3.0

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.last_status_code) == (DeliveryState.PENDING, 1, None)
    assert sent.last_error == "timed out"
    assert sent.next_attempt_at is not None


def test_nothing_listening_is_a_retryable_network_error(
    make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint, _secret = make_endpoint(f"http://127.0.0.1:{port}/")

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    assert sent.state == DeliveryState.PENDING
    assert sent.last_error.startswith("connection failed")


def test_410_gone_turns_the_endpoint_off_and_stops_its_events(
    receiver,
    make_endpoint,
    admin_user,
    actor_of,
    customer_1,
    django_capture_on_commit_callbacks,
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(410)

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    endpoint.refresh_from_db()
    assert sent.state == DeliveryState.FAILED
    assert endpoint.is_active is False
    assert endpoint.disabled_reason == DisabledReason.GONE
    entry = AuditEntry.objects.get(action="webhook.auto_disabled")
    assert (entry.actor_kind, entry.object_id) == ("system", str(endpoint.pk))
    assert entry.data == {"reason": "gone", "delivery": str(sent.delivery_id)}

    with django_capture_on_commit_callbacks(execute=True):
        factories.ConversationFactory(contact=customer_1.contact)
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_a_delivery_is_dead_after_the_attempt_bound(
    receiver, make_endpoint, admin_user, actor_of, fake_clock, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.default = 503
    started = fake_clock.now

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        fake_clock.advance(hours=15)
        assert services.deliveries_dispatch_due() == 1

    sent.refresh_from_db()
    assert (sent.state, sent.attempts) == (DeliveryState.DEAD, delivery.MAX_ATTEMPTS)
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS
    fake_clock.advance(days=3)
    assert services.deliveries_dispatch_due() == 0
    endpoint.refresh_from_db()
    assert endpoint.consecutive_dead == 1
    assert endpoint.is_active is True
    # The schedule itself spans about a day: the sum of the waits without jitter.
    assert timedelta(hours=20) < timedelta(seconds=sum(delivery.RETRY_DELAYS)) < timedelta(days=1)
    assert fake_clock.now - started > timedelta(days=1)


def test_the_endpoint_is_turned_off_after_consecutive_dead_deliveries(
    receiver, make_endpoint, admin_user, actor_of, fake_clock, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    type(endpoint).objects.filter(pk=endpoint.pk).update(
        consecutive_dead=delivery.DISABLE_AFTER_DEAD - 1
    )
    receiver.default = 500

    _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        fake_clock.advance(hours=15)
        services.deliveries_dispatch_due()

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason == DisabledReason.FAILING
    assert AuditEntry.objects.filter(action="webhook.auto_disabled").count() == 1


def test_a_success_resets_the_dead_count(
    receiver, make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    type(endpoint).objects.filter(pk=endpoint.pk).update(consecutive_dead=3)

    _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert endpoint.consecutive_dead == 0


def test_redelivery_keeps_the_delivery_id_and_stale_jobs_do_nothing(
    receiver, make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    endpoint, secret = make_endpoint(receiver.url)
    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    stale_version = sent.version

    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_redeliver(delivery=sent, actor=actor_of(admin_user))

    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["Kefu-Delivery"] == str(sent.delivery_id)
    assert receiver.requests[1].headers["Kefu-Delivery"] == str(sent.delivery_id)
    assert receiver.requests[0].body == receiver.requests[1].body
    assert signing.verify(
        secret, receiver.requests[1].headers["Kefu-Signature"], receiver.requests[1].body
    )
    sent.refresh_from_db()
    assert (sent.state, sent.attempts) == (DeliveryState.SUCCEEDED, 1)
    assert AuditEntry.objects.filter(action="webhook.redelivered").count() == 1

    # A duplicated job, or one queued before the redelivery, sends nothing.
    deliver_webhook.enqueue(delivery_pk=sent.pk, version=stale_version)
    deliver_webhook.enqueue(delivery_pk=sent.pk, version=sent.version)
    assert len(receiver.requests) == 2


def test_a_lost_job_is_recovered_by_the_dispatcher(
    receiver, make_endpoint, admin_user, actor_of, fake_clock
):
    endpoint, _secret = make_endpoint(receiver.url)
    # No on-commit execution: the job that would have sent it is lost.
    sent = services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))
    assert receiver.requests == []
    assert services.deliveries_dispatch_due() == 0  # its queue lease has not expired

    fake_clock.advance(seconds=services.QUEUE_LEASE.total_seconds() + 1)
    assert services.deliveries_dispatch_due() == 1

    sent.refresh_from_db()
    assert sent.state == DeliveryState.SUCCEEDED
    assert len(receiver.requests) == 1


def test_a_loopback_receiver_is_refused_in_production_without_a_request(
    receiver, make_endpoint, admin_user, actor_of, settings, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url.replace("127.0.0.1", "localhost"))
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = False

    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    sent.refresh_from_db()
    assert sent.state == DeliveryState.FAILED
    assert sent.last_error == "the host resolves to a private or loopback address"
    assert receiver.requests == []


def test_deliveries_to_a_turned_off_endpoint_wait(
    receiver, make_endpoint, admin_user, actor_of, fake_clock, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(500)
    sent = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)
    services.endpoint_set_active(endpoint=endpoint, active=False, actor=actor_of(admin_user))

    fake_clock.advance(hours=1)
    assert services.deliveries_dispatch_due() == 0
    assert len(receiver.requests) == 1

    services.endpoint_set_active(endpoint=endpoint, active=True, actor=actor_of(admin_user))
    assert services.deliveries_dispatch_due() == 1
    sent.refresh_from_db()
    assert sent.state == DeliveryState.SUCCEEDED


def test_old_finished_deliveries_are_pruned(
    receiver, make_endpoint, admin_user, actor_of, fake_clock, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)
    receiver.answer(500)
    pending = _ping(endpoint, admin_user, actor_of, django_capture_on_commit_callbacks)

    fake_clock.advance(days=29)
    assert services.deliveries_prune() == 0
    fake_clock.advance(days=2)
    assert services.deliveries_prune() == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [pending.pk]


def test_retry_waits_grow_and_stay_within_the_jitter():
    assert delivery.retry_delay(1, rand=0.5) == timedelta(minutes=1)
    assert delivery.retry_delay(1, rand=0.0) == timedelta(seconds=48)
    assert delivery.retry_delay(1, rand=1.0) == timedelta(seconds=72)
    assert delivery.retry_delay(7, rand=0.5) == timedelta(hours=12)
    assert delivery.retry_delay(20, rand=0.5) == timedelta(hours=12)
