from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kefu.testing.factories import PASSWORD

URL = reverse("portal:login")


def test_customer_login_goes_to_request_list(customer_1):
    client = Client()
    response = client.post(URL, {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request_list")
    assert int(client.session["_auth_user_id"]) == customer_1.pk


def test_login_email_is_case_insensitive(customer_1):
    client = Client()
    response = client.post(URL, {"username": " Alice@Example.COM ", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == customer_1.pk


def test_staff_login_goes_to_agent_workspace(agent_a):
    client = Client()
    response = client.post(URL, {"username": "agent.a@kefu.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    assert int(client.session["_auth_user_id"]) == agent_a.pk


def test_login_respects_safe_next(customer_1):
    response = Client().post(
        URL, {"username": "alice@example.com", "password": PASSWORD, "next": "/requests/new"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/requests/new"


def test_login_ignores_offsite_next(customer_1):
    response = Client().post(
        URL,
        {"username": "alice@example.com", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request_list")


def test_login_page_keeps_next_in_form():
    response = Client().get(URL, {"next": "/requests/new"})
    assert response.status_code == 200
    assert '<input type="hidden" name="next" value="/requests/new">' in response.content.decode()


def test_wrong_password_shows_error(customer_1):
    client = Client()
    response = client.post(URL, {"username": "alice@example.com", "password": "wrong-password"})
    assert response.status_code == 200
    assert "The email or password is not correct." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_locks_out_after_five_failures(customer_1):
    client = Client()
    for _ in range(4):
        response = client.post(URL, {"username": "alice@example.com", "password": "nope-nope"})
        assert response.status_code == 200
    response = client.post(URL, {"username": "alice@example.com", "password": "nope-nope"})
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post(URL, {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_requires_post(client_1, customer_1):
    response = client_1.get(reverse("portal:logout"))
    assert response.status_code == 405
    assert int(client_1.session["_auth_user_id"]) == customer_1.pk


def test_logout_signs_out(client_1):
    response = client_1.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert "_auth_user_id" not in client_1.session
    assert client_1.get(reverse("portal:request_list")).status_code == 302


@pytest.mark.django_db
def test_signed_in_staff_visiting_login_goes_to_workspace(agent_client):
    response = agent_client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/agent/"


def test_sign_in_attempts_are_capped_per_ip_across_accounts(client, customer_1, settings):
    from kefu.portal.views import auth

    for n in range(auth.LOGIN_LIMIT):
        response = client.post("/login", {"username": f"nobody{n}@example.com", "password": "x"})
        assert response.status_code == 200
    response = client.post("/login", {"username": customer_1.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
