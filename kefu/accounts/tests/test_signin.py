"""The sign-in sequence through the one login page: password, then a second factor for staff
with two-factor sign-in on; and Django admin's login page sending people there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from kefu.accounts import signin
from kefu.accounts.tests.twofactor_kit import enrol
from kefu.audit.models import AuditEntry
from kefu.testing.factories import PASSWORD

LOGIN = reverse("portal:login")
CODE = reverse("portal:login_code")


def _password(client: Client, email: str, **extra: str):
    return client.post(LOGIN, {"username": email, "password": PASSWORD, **extra})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_password_alone_does_not_sign_in_with_two_factor_on(agent_a, clock):
    enrol(agent_a, clock)
    client = Client()
    response = _password(client, agent_a.email)
    assert response.status_code == 302
    assert response["Location"] == CODE
    assert not _signed_in(client)
    assert client.get("/agent/").status_code == 302  # still anonymous: to the login page
    page = client.get(CODE)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()


def test_correct_code_signs_in_and_goes_on(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    client = Client()
    _password(client, agent_a.email, next="/agent/account/")
    response = client.post(CODE, {"code": enrolled.code(clock)})
    assert response.status_code == 302
    assert response["Location"] == "/agent/account/"
    assert int(client.session["_auth_user_id"]) == agent_a.pk
    assert signin.PENDING_KEY not in client.session
    entry = AuditEntry.objects.filter(action="auth.signed_in").latest("pk")
    assert entry.data["two_factor"] == "totp"


def test_wrong_code_does_not_sign_in(agent_a, clock):
    enrol(agent_a, clock)
    client = Client()
    _password(client, agent_a.email)
    response = client.post(CODE, {"code": "000000"})
    assert response.status_code == 422
    assert "That code is not correct" in response.content.decode()
    assert not _signed_in(client)
    assert AuditEntry.objects.filter(action="two_factor.code_rejected").count() == 1


def test_a_used_code_does_not_sign_in_again(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    code = enrolled.code(clock)
    first = Client()
    _password(first, agent_a.email)
    assert first.post(CODE, {"code": code}).status_code == 302
    second = Client()
    _password(second, agent_a.email)
    response = second.post(CODE, {"code": code})
    assert response.status_code == 422
    assert not _signed_in(second)


def test_recovery_code_signs_in_once(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    code = enrolled.recovery_codes[3]
    client = Client()
    _password(client, agent_a.email)
    assert client.post(CODE, {"code": code}).status_code == 302
    assert _signed_in(client)
    again = Client()
    _password(again, agent_a.email)
    assert again.post(CODE, {"code": code}).status_code == 422
    assert not _signed_in(again)


def test_wrong_codes_also_lock_the_password_step(agent_a, clock):
    """A wrong code counts like a wrong password (django-axes), so guessing codes for a
    stolen password locks the account's sign-in for that network too."""
    enrol(agent_a, clock)
    client = Client()
    _password(client, agent_a.email)
    for _ in range(4):
        client.post(CODE, {"code": "000000"})
    response = client.post(LOGIN, {"username": agent_a.email, "password": "wrong-wrong"})
    assert response.status_code == 429
    assert _password(Client(), agent_a.email).status_code == 429
    assert not _signed_in(client)


def test_code_step_is_rate_limited(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    client = Client()
    _password(client, agent_a.email)
    statuses = [client.post(CODE, {"code": "000000"}).status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert client.post(CODE, {"code": enrolled.code(clock)}).status_code == 429
    assert not _signed_in(client)


def test_pending_sign_in_expires(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    client = Client()
    _password(client, agent_a.email)
    clock.advance(signin.PENDING_SECONDS + 1)
    response = client.post(CODE, {"code": enrolled.code(clock)})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not _signed_in(client)


def test_code_page_without_a_password_goes_to_login(db):
    response = Client().get(CODE)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_pending_ends_when_the_password_changes(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    client = Client()
    _password(client, agent_a.email)
    agent_a.set_password("another-password-77")
    agent_a.save()
    assert client.post(CODE, {"code": enrolled.code(clock)})["Location"] == LOGIN
    assert not _signed_in(client)


def test_without_two_factor_the_password_signs_in(agent_a):
    client = Client()
    response = _password(client, agent_a.email)
    assert response["Location"] == "/agent/"
    assert _signed_in(client)


def test_timestep_moves_on_between_logins(agent_a, clock):
    """Signing in again later with the then-current code works (only replays are refused)."""
    enrolled = enrol(agent_a, clock)
    for _ in range(2):
        client = Client()
        _password(client, agent_a.email)
        assert client.post(CODE, {"code": enrolled.code(clock)}).status_code == 302
        clock.advance(timedelta(seconds=30).total_seconds())


# --- Django admin ----------------------------------------------------------------------------


def test_django_admin_login_redirects_to_the_one_login_page(db):
    response = Client().get("/django-admin/login/", {"next": "/django-admin/"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/django-admin/"


def test_django_admin_login_ignores_offsite_next(db):
    response = Client().get("/django-admin/login/", {"next": "https://evil.example/"})
    assert response["Location"] == f"{LOGIN}?next=/django-admin/"


def test_django_admin_index_sends_anonymous_people_through_the_login_page(db):
    client = Client()
    first = client.get("/django-admin/")
    assert first.status_code == 302
    second = client.get(first["Location"])
    assert second.status_code == 302
    assert second["Location"].startswith(LOGIN)


@pytest.mark.parametrize("method", ["post"])
def test_django_admin_login_form_cannot_be_posted(db, method, admin_user):
    response = getattr(Client(), method)(
        "/django-admin/login/", {"username": admin_user.email, "password": PASSWORD}
    )
    assert response.status_code == 405
