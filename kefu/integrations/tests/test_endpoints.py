"""Endpoint services: who may manage them, URL rules, the sealed secret and its rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.audit.models import AuditEntry
from kefu.core import clock
from kefu.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from kefu.integrations import delivery, sealing, services, signing, targets
from kefu.integrations.models import DeliveryState, WebhookEndpoint

PUBLIC_URL = "https://hooks.example.com/kefu?token=abc"


@pytest.fixture
def public_only(settings):
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = False


def test_admin_creates_an_endpoint_with_a_sealed_secret(admin_user, actor_of):
    created = services.endpoint_create(
        url=PUBLIC_URL,
        description="Ticket mirror",
        events=["message.created", "conversation.created", "message.created"],
        actor=actor_of(admin_user),
    )

    endpoint = WebhookEndpoint.objects.get()
    assert created.secret.startswith("whsec_")
    assert len(created.secret) > 40
    assert endpoint.events == ["conversation.created", "message.created"]
    assert created.secret not in endpoint.secret_sealed
    assert sealing.unseal(endpoint.secret_sealed) == created.secret
    entry = AuditEntry.objects.get(action="webhook.created")
    assert entry.data == {
        "url": "https://hooks.example.com/kefu",
        "events": ["conversation.created", "message.created"],
    }
    assert created.secret not in str(AuditEntry.objects.values_list("data", flat=True)[0])


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "customer_1"])
def test_only_admins_manage_endpoints(persona, request, actor_of):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        services.endpoint_create(url=PUBLIC_URL, events=["ping"], actor=actor_of(user))

    assert WebhookEndpoint.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/", "Only http:// and https:// URLs can receive webhooks."),
        ("javascript:alert(1)", "Only http:// and https:// URLs can receive webhooks."),
        ("file:///etc/passwd", "Only http:// and https:// URLs can receive webhooks."),
        ("https://user:pw@hooks.example.com/", "Do not put a user name or password in the URL:"),
        ("https://hooks.example.com/a b", "The URL must not contain spaces or control characters."),
        ("https://hooks.example.com:99999/", "Enter a valid URL."),
        ("https:///path", "Enter a valid URL."),
        ("https://hooks.example.com/#x", "Remove the #fragment from the URL."),
        ("", "Enter the URL that should receive the events."),
    ],
)
def test_bad_urls_are_refused(url, message, admin_user, actor_of):
    with pytest.raises(ValidationFailed) as excinfo:
        services.endpoint_create(url=url, events=["message.created"], actor=actor_of(admin_user))

    assert excinfo.value.fields["url"][0].startswith(message)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://localhost:8000/",
        "http://api.localhost/",
    ],
)
def test_private_and_loopback_targets_are_refused_in_production(
    url, public_only, admin_user, actor_of
):
    with pytest.raises(ValidationFailed) as excinfo:
        services.endpoint_create(url=url, events=["message.created"], actor=actor_of(admin_user))

    assert excinfo.value.fields["url"] == [
        "Private, loopback and link-local addresses cannot receive webhooks."
    ]


def test_public_addresses_pass_and_the_setting_allows_private_ones(settings):
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = False
    assert targets.clean_url(" https://1.1.1.1/x ") == "https://1.1.1.1/x"
    assert targets.address_allowed("8.8.8.8", allow_private=False)
    assert not targets.address_allowed("10.1.2.3", allow_private=False)
    settings.KEFU_WEBHOOKS_ALLOW_PRIVATE = True
    assert targets.clean_url("http://10.1.2.3/") == "http://10.1.2.3/"
    # Never multicast or "any" addresses, whatever the setting.
    assert not targets.address_allowed("224.0.0.1", allow_private=True)
    assert not targets.address_allowed("0.0.0.0", allow_private=True)  # noqa: S104


def test_an_endpoint_needs_a_known_event(admin_user, actor_of):
    with pytest.raises(ValidationFailed) as excinfo:
        services.endpoint_create(url=PUBLIC_URL, events=[], actor=actor_of(admin_user))
    assert excinfo.value.fields == {"events": ["Choose at least one event."]}
    with pytest.raises(ValidationFailed) as excinfo:
        services.endpoint_create(
            url=PUBLIC_URL, events=["note.created"], actor=actor_of(admin_user)
        )
    assert excinfo.value.fields == {"events": ["Unknown event type: note.created."]}


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    admin_user, actor_of, monkeypatch
):
    created = services.endpoint_create(
        url=PUBLIC_URL, events=["message.created"], actor=actor_of(admin_user)
    )
    old = created.secret

    new = services.endpoint_rotate_secret(endpoint=created.endpoint, actor=actor_of(admin_user))

    endpoint = WebhookEndpoint.objects.get()
    assert new != old
    assert delivery.signing_secrets(endpoint) == [new, old]
    header = signing.header(delivery.signing_secrets(endpoint), 1_700_000_000, b"{}")
    assert signing.verify(new, header, b"{}", now=1_700_000_000)
    assert signing.verify(old, header, b"{}", now=1_700_000_000)
    later = clock.now() + services.ROTATION_GRACE + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert delivery.signing_secrets(endpoint) == [new]
    assert AuditEntry.objects.filter(action="webhook.secret_rotated").count() == 1


def test_a_secret_sealed_under_another_secret_key_cannot_sign(
    receiver, admin_user, actor_of, settings, django_capture_on_commit_callbacks
):
    created = services.endpoint_create(
        url=receiver.url, events=["message.created"], actor=actor_of(admin_user)
    )
    settings.SECRET_KEY = "a-different-secret-key-after-a-migration-0123456789"

    with django_capture_on_commit_callbacks(execute=True):
        sent = services.endpoint_send_ping(endpoint=created.endpoint, actor=actor_of(admin_user))

    sent.refresh_from_db()
    assert sent.state == DeliveryState.FAILED
    assert "rotate it" in sent.last_error
    assert receiver.requests == []


def test_ping_needs_an_active_endpoint(admin_user, actor_of):
    created = services.endpoint_create(
        url=PUBLIC_URL, events=["message.created"], actor=actor_of(admin_user)
    )
    services.endpoint_set_active(
        endpoint=created.endpoint, active=False, actor=actor_of(admin_user)
    )
    before = AuditEntry.objects.count()

    with pytest.raises(InvalidTransition):
        services.endpoint_send_ping(endpoint=created.endpoint, actor=actor_of(admin_user))

    assert created.endpoint.deliveries.count() == 0
    assert AuditEntry.objects.count() == before


def test_update_keeps_the_secret_and_records_what_changed(admin_user, actor_of):
    created = services.endpoint_create(
        url=PUBLIC_URL, events=["message.created"], actor=actor_of(admin_user)
    )

    services.endpoint_update(
        endpoint=created.endpoint,
        url="https://hooks.example.com/v2",
        description="CRM",
        events=["conversation.assigned"],
        actor=actor_of(admin_user),
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == "https://hooks.example.com/v2"
    assert sealing.unseal(endpoint.secret_sealed) == created.secret
    assert AuditEntry.objects.get(action="webhook.updated").data == {
        "url": "https://hooks.example.com/v2",
        "events": ["conversation.assigned"],
        "description": True,
    }


def test_signature_verification_refuses_old_timestamps():
    body = b'{"id":"x"}'
    header = signing.header(["whsec_k"], 1_000_000, body)
    assert signing.verify("whsec_k", header, body, now=1_000_000 + 299)
    assert not signing.verify("whsec_k", header, body, now=1_000_000 + 301)
    assert not signing.verify("whsec_k", "v1=abc", body, now=1_000_000)
    assert not signing.verify("whsec_k", "t=1000000", body, now=1_000_000)


def test_deleting_an_endpoint_removes_its_deliveries(admin_user, actor_of):
    created = services.endpoint_create(
        url=PUBLIC_URL, events=["message.created"], actor=actor_of(admin_user)
    )
    services.endpoint_send_ping(endpoint=created.endpoint, actor=actor_of(admin_user))

    services.endpoint_delete(endpoint=created.endpoint, actor=actor_of(admin_user))

    assert WebhookEndpoint.objects.count() == 0
    assert AuditEntry.objects.filter(action="webhook.deleted").count() == 1
