"""The retention page in the backoffice: admins only; policy and legal holds."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kefu.accounts.models import Role
from kefu.audit.models import AuditEntry
from kefu.privacy.models import LegalHold, RetentionPolicy
from kefu.testing import factories

PAGE = "/agent/manage/retention/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_urls_are_where_the_docs_say():
    assert reverse("backoffice:privacy:retention") == PAGE
    assert reverse("backoffice:privacy:erasure_list") == "/agent/manage/erasures/"


@pytest.mark.parametrize("persona", ["supervisor", "agent_a"])
def test_staff_who_are_not_admins_get_404(persona, request):
    client = _client(request.getfixturevalue(persona))

    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"message_days": "1"}).status_code == 404
    assert RetentionPolicy.load().message_days is None
    assert AuditEntry.objects.count() == 0


def test_customers_are_not_let_in(customer_1):
    response = _client(customer_1).get(PAGE)
    assert response.status_code in (302, 404)
    assert RetentionPolicy.objects.filter(message_days__isnull=False).count() == 0


def test_admin_saves_the_policy(admin_user):
    client = _client(admin_user)
    assert client.get(PAGE).status_code == 200

    response = client.post(
        PAGE,
        {"message_days": "365", "attachment_days": "", "erasure_keeps_account_id": "on"},
    )

    assert response.status_code == 302
    policy = RetentionPolicy.load()
    assert policy.message_days == 365
    assert policy.attachment_days is None
    assert policy.erasure_keeps_account_id is True
    assert policy.erasure_keeps_transaction_ids is False


def test_the_page_previews_the_next_run(admin_user, make_conversation, customer_1):
    make_conversation(customer_1.contact, closed_days_ago=40)
    RetentionPolicy.objects.filter(pk=RetentionPolicy.load().pk).update(message_days=30)

    html = _client(admin_user).get(PAGE).content.decode()

    assert "The text of 3 messages would be removed." in html


def test_admin_places_and_releases_a_hold(admin_user, customer_1, make_conversation):
    conversation = make_conversation(customer_1.contact)
    client = _client(admin_user)

    client.post(
        reverse("backoffice:privacy:hold_create"),
        {"subject": conversation.reference, "reason": "Fraud case"},
    )
    client.post(
        reverse("backoffice:privacy:hold_create"),
        {"subject": customer_1.contact.email, "reason": "Court order"},
    )

    assert LegalHold.objects.filter(conversation=conversation).exists()
    assert LegalHold.objects.filter(contact=customer_1.contact).exists()
    hold = LegalHold.objects.get(conversation=conversation)
    client.post(reverse("backoffice:privacy:hold_release", args=[hold.pk]))
    assert not LegalHold.objects.filter(conversation=conversation).exists()


def test_an_unknown_hold_subject_is_shown_on_the_form(admin_user):
    response = _client(admin_user).post(
        reverse("backoffice:privacy:hold_create"), {"subject": "nobody@x.test", "reason": "x"}
    )

    assert response.status_code == 200
    assert "No customer or conversation matches that." in response.content.decode()
    assert LegalHold.objects.count() == 0


def test_a_second_hold_on_the_same_customer_is_refused(admin_user, customer_1):
    client = _client(admin_user)
    data = {"subject": customer_1.contact.email, "reason": "Court order"}
    client.post(reverse("backoffice:privacy:hold_create"), data)

    response = client.post(reverse("backoffice:privacy:hold_create"), data)

    assert "already under a legal hold" in response.content.decode()
    assert LegalHold.objects.count() == 1
    assert AuditEntry.objects.filter(action="legal_hold.placed").count() == 1


def test_the_page_speaks_chinese_to_a_chinese_speaking_admin(db):
    admin = factories.StaffFactory(email="zh.admin@kefu.test", role=Role.ADMIN, language="zh-hans")
    try:
        html = _client(admin).get(PAGE).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)

    assert "数据保留" in html
    assert "法律保全" in html
    assert "当前策略保留所有内容。" in html
