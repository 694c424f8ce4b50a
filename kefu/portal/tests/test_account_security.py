"""The account page's sign-in security sections: password change and sign out everywhere
(the anti-phishing code is tested with the emails in kefu/accounts/tests)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from kefu.audit.models import AuditEntry
from kefu.testing.factories import PASSWORD

ACCOUNT = reverse("portal:account")
PASSWORD_URL = reverse("portal:account_password")


def test_account_page_shows_the_security_sections(client_1):
    page = client_1.get(ACCOUNT).content.decode()
    for anchor in ('id="antiphishing"', 'id="devices"', 'id="password"'):
        assert anchor in page


def test_change_password_keeps_this_session_and_ends_others(client_1, customer_1):
    other = Client()
    other.force_login(customer_1, backend="django.contrib.auth.backends.ModelBackend")
    response = client_1.post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password": "new-long-passphrase-77"}
    )
    assert response.status_code == 302
    customer_1.refresh_from_db()
    assert customer_1.check_password("new-long-passphrase-77")
    assert client_1.get(ACCOUNT).status_code == 200
    assert other.get(ACCOUNT).status_code == 302
    assert AuditEntry.objects.filter(action="user.password_changed").count() == 1


def test_change_password_errors(client_1, customer_1):
    wrong = client_1.post(
        PASSWORD_URL, {"old_password": "nope", "new_password": "new-long-passphrase-77"}
    )
    assert wrong.status_code == 400
    assert "Your current password is not correct." in wrong.content.decode()
    weak = client_1.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "password"})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    customer_1.refresh_from_db()
    assert customer_1.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.password_changed").exists()


def test_security_forms_need_a_customer(agent_client):
    response = agent_client.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "x"})
    assert response.status_code == 302
    assert response["Location"] == "/agent/"
