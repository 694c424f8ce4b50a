"""The webhook pages in the backoffice: admins only, secret shown once, delivery log, redeliver."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kefu.accounts.models import Role
from kefu.audit.models import AuditEntry
from kefu.integrations import sealing, services
from kefu.integrations.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from kefu.testing import factories

LIST = "/agent/manage/webhooks/"
NEW = "/agent/manage/webhooks/new/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_urls_are_where_the_docs_say():
    assert reverse("backoffice:webhooks:endpoint_list") == LIST
    assert reverse("backoffice:webhooks:endpoint_create") == NEW


@pytest.mark.parametrize("persona", ["supervisor", "agent_a", "customer_1"])
def test_non_admins_get_404_and_nothing_is_created(persona, request, receiver):
    client = _client(request.getfixturevalue(persona))

    assert client.get(LIST).status_code in (404, 302)
    response = client.post(NEW, {"url": receiver.url, "events": ["message.created"]})

    assert response.status_code in (404, 302)
    assert WebhookEndpoint.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_staff_who_are_not_admins_get_404(supervisor, agent_a):
    for user in (supervisor, agent_a):
        assert _client(user).get(LIST).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(LIST)
    assert response.status_code == 302
    assert "login" in response.url


def test_admin_creates_an_endpoint_and_sees_the_secret_once(admin_user, receiver):
    client = _client(admin_user)

    response = client.post(
        NEW, {"url": receiver.url, "description": "CRM", "events": ["message.created"]}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    secret = sealing.unseal(endpoint.secret_sealed)
    assert secret in response.content.decode()
    edit = client.get(reverse("backoffice:webhooks:endpoint_edit", args=[endpoint.pk]))
    assert edit.status_code == 200
    assert secret not in edit.content.decode()
    assert endpoint.events == ["message.created"]


def test_a_bad_url_is_shown_on_the_form(admin_user):
    response = _client(admin_user).post(
        NEW, {"url": "ftp://example.com/", "events": ["message.created"]}
    )

    assert response.status_code == 200
    assert "Only http:// and https:// URLs can receive webhooks." in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_admin_rotates_the_secret_and_sees_the_new_one(admin_user, make_endpoint, receiver):
    endpoint, old = make_endpoint(receiver.url)

    response = _client(admin_user).post(
        reverse("backoffice:webhooks:endpoint_rotate", args=[endpoint.pk])
    )

    endpoint.refresh_from_db()
    new = sealing.unseal(endpoint.secret_sealed)
    assert new != old
    assert new in response.content.decode()
    assert AuditEntry.objects.filter(action="webhook.secret_rotated").count() == 1


def test_edit_page_lists_deliveries_with_status_attempts_and_error(
    admin_user, make_endpoint, receiver, actor_of, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(400)
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED

    page = _client(admin_user).get(reverse("backoffice:webhooks:endpoint_edit", args=[endpoint.pk]))

    html = page.content.decode()
    assert str(delivery.delivery_id) in html
    assert "HTTP 400" in html
    assert "Failed" in html


def test_admin_redelivers_a_failed_delivery(
    admin_user, make_endpoint, receiver, actor_of, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(400)
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = _client(admin_user).post(
            reverse("backoffice:webhooks:delivery_redeliver", args=[endpoint.pk, delivery.pk])
        )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert len(receiver.requests) == 2
    assert (
        receiver.requests[0].headers["Kefu-Delivery"]
        == receiver.requests[1].headers["Kefu-Delivery"]
    )


def test_supervisor_cannot_redeliver(
    supervisor, admin_user, make_endpoint, receiver, actor_of, django_capture_on_commit_callbacks
):
    endpoint, _secret = make_endpoint(receiver.url)
    receiver.answer(400)
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))
    delivery = WebhookDelivery.objects.get()

    response = _client(supervisor).post(
        reverse("backoffice:webhooks:delivery_redeliver", args=[endpoint.pk, delivery.pk])
    )

    assert response.status_code == 404
    assert len(receiver.requests) == 1


def test_admin_turns_an_endpoint_off_and_deletes_it(admin_user, make_endpoint, receiver):
    endpoint, _secret = make_endpoint(receiver.url)
    client = _client(admin_user)

    client.post(reverse("backoffice:webhooks:endpoint_toggle", args=[endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert endpoint.is_active is False

    client.post(reverse("backoffice:webhooks:endpoint_delete", args=[endpoint.pk]))
    assert WebhookEndpoint.objects.count() == 0
    assert AuditEntry.objects.filter(action="webhook.deleted").count() == 1


def test_list_shows_the_endpoint_with_counts(admin_user, make_endpoint, receiver):
    make_endpoint(receiver.url)

    html = _client(admin_user).get(LIST).content.decode()

    assert receiver.url.replace("&", "&amp;") in html or "/hooks/kefu" in html


def test_the_pages_speak_chinese_to_a_chinese_speaking_admin(db):
    admin = factories.StaffFactory(email="zh.admin@kefu.test", role=Role.ADMIN, language="zh-hans")
    try:
        html = _client(admin).get(NEW).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)

    assert "添加端点" in html
    assert "会话已创建" in html  # an event choice
    assert "Webhook" in html
