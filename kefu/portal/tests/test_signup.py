from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import User, UserKind
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.portal.views import auth

URL = reverse("portal:signup")


def _data(**overrides: str) -> dict[str, str]:
    data = {
        "email": "New.Customer@Example.com",
        "name": "New Customer",
        "password": "purple-otter-canyon-42",
        "language": "zh-hans",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_signup_page_has_labelled_fields():
    response = Client().get(URL)
    assert response.status_code == 200
    for field in ("email", "name", "password", "language"):
        assert f'for="id_{field}"' in response.content.decode()


@pytest.mark.django_db
def test_signup_creates_customer_with_contact_and_signs_in():
    client = Client()
    response = client.post(URL, _data())
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request_list")
    user = User.objects.get(email="new.customer@example.com")
    assert user.kind == UserKind.CUSTOMER
    assert user.language == "zh-hans"
    assert user.display_name == "New Customer"
    assert user.contact.email == "new.customer@example.com"
    assert int(client.session["_auth_user_id"]) == user.pk
    entry = AuditEntry.objects.get(action="customer.signed_up")
    assert entry.object_id == str(user.contact.pk)
    assert entry.ip == "127.0.0.1"
    assert client.get(reverse("portal:request_list")).status_code == 200


def test_signup_with_existing_email_is_refused(customer_1):
    users, contacts, audits = (
        User.objects.count(),
        Contact.objects.count(),
        AuditEntry.objects.count(),
    )
    client = Client()
    response = client.post(URL, _data(email="ALICE@example.com"))
    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert (User.objects.count(), Contact.objects.count(), AuditEntry.objects.count()) == (
        users,
        contacts,
        audits,
    )
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signup_with_weak_password_is_refused():
    response = Client().post(URL, _data(password="12345"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "This password is too short. It must contain at least 8 characters." in content
    assert "This password is entirely numeric." in content
    assert not User.objects.filter(email="new.customer@example.com").exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_signup_is_rate_limited_per_ip():
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(auth.SIGNUP_LIMIT):
        response = client.post(URL, _data(email=f"bad-{i}@example.com", password="x"))
        assert response.status_code == 200
    response = client.post(URL, _data())
    assert response.status_code == 429
    assert "Too many sign-up attempts from your network. Please try again in an hour." in (
        response.content.decode()
    )
    assert not User.objects.exists()
    assert not AuditEntry.objects.exists()
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post(URL, _data()).status_code == 302
    assert User.objects.filter(email="new.customer@example.com").exists()


def test_signed_in_customer_visiting_signup_goes_to_requests(client_1):
    response = client_1.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request_list")
