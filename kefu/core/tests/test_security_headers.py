"""Security headers on pages, no inline scripts or styles, and login lockout by django-axes."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from kefu.testing import factories

PASSWORD = factories.PASSWORD


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = _csp_directives(csp)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems += [f"{n} on <{tag}>" for n in names if n.startswith("on")]
        for name, value in attrs:
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")


def _inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.problems


def test_core_page_carries_security_headers_and_no_inline_code(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    _assert_security_headers(response)
    assert _inline_code(response.content.decode()) == []


def test_login_page_carries_security_headers_and_no_inline_code(client, db):
    response = client.get(_login_url())
    assert response.status_code == 200
    _assert_security_headers(response)
    assert _inline_code(response.content.decode()) == []


def test_json_responses_carry_the_headers_too(client):
    response = client.get("/healthz")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


# --- django-axes lockout --------------------------------------------------------------------


def _login(email: str, password: str, ip: str = "198.51.100.7"):
    request = RequestFactory().post("/login", REMOTE_ADDR=ip)
    return authenticate(request=request, username=email, password=password)


def test_five_failures_lock_the_account_even_for_the_right_password(db, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    user = factories.StaffFactory(email="target@kefu.test")
    assert _login("target@kefu.test", PASSWORD) == user  # works before any failure
    for _ in range(5):
        assert _login("target@kefu.test", "wrong-password") is None
    attempt = AccessAttempt.objects.get(username="target@kefu.test")
    assert (attempt.failures_since_start, attempt.ip_address) == (5, "198.51.100.7")
    assert _login("target@kefu.test", PASSWORD) is None  # locked out now


def test_four_failures_do_not_lock(db):
    user = factories.StaffFactory(email="careful@kefu.test")
    for _ in range(4):
        assert _login("careful@kefu.test", "wrong-password") is None
    assert _login("careful@kefu.test", PASSWORD) == user


def test_lockout_is_per_username_and_address(db):
    factories.StaffFactory(email="victim@kefu.test")
    other = factories.StaffFactory(email="bystander@kefu.test")
    for _ in range(5):
        _login("victim@kefu.test", "wrong-password", ip="203.0.113.1")
    assert _login("victim@kefu.test", PASSWORD, ip="203.0.113.1") is None
    # Another account from the same address, and the same account from elsewhere, still work.
    assert _login("bystander@kefu.test", PASSWORD, ip="203.0.113.1") == other
    assert _login("victim@kefu.test", PASSWORD, ip="203.0.113.2") is not None


def _login_url() -> str:
    try:
        return reverse("portal:login")
    except NoReverseMatch:
        pytest.skip("the portal login page is not there yet")


def test_login_page_locks_out_on_the_fifth_failure(client, db):
    url = _login_url()
    factories.CustomerUserFactory(email="locked@example.com")
    for _ in range(4):
        response = client.post(url, {"username": "locked@example.com", "password": "nope-nope"})
        assert response.status_code == 200  # the form again, with an error
    response = client.post(url, {"username": "locked@example.com", "password": "nope-nope"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    _assert_security_headers(response)
    # Even the right password is refused now.
    response = client.post(url, {"username": "locked@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_sign_in_resets_the_failure_count(client, db):
    url = _login_url()
    user = factories.CustomerUserFactory(email="forgetful@example.com")
    for _ in range(4):
        client.post(url, {"username": "forgetful@example.com", "password": "nope-nope"})
    response = client.post(url, {"username": "forgetful@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.logout()
    for _ in range(4):
        response = client.post(url, {"username": "forgetful@example.com", "password": "nope"})
        assert response.status_code == 200
    response = client.post(url, {"username": "forgetful@example.com", "password": PASSWORD})
    assert response.status_code == 302
