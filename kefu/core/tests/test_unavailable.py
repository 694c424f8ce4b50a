"""The database is down: HTTP pages, the chat endpoints and the API answer 503 with
Retry-After, and a chat socket gets an ``unavailable`` frame and close 1013 — never a 500 or
a dropped connection without a reason. (tests/faults/test_postgres_restart.py does it for real.)"""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from kefu.core import unavailable


def _down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def db_down_in_session(monkeypatch):
    """Every session lookup fails as when PostgreSQL is restarting."""
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", _down)


@pytest.mark.django_db
def test_a_page_answers_503_with_retry_after_when_the_database_is_down(db_down_in_session):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/agent/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    assert b"Briefly unavailable" in response.content


@pytest.mark.django_db
def test_the_chat_http_endpoint_answers_an_unavailable_frame(monkeypatch):
    monkeypatch.setattr("kefu.inbox.adapters.webchat.views.open_session", _down)
    client = Client(raise_request_exception=False)
    response = client.post("/chat/v1/hello", {"type": "hello", "site": "x"}, "application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    assert response.json()["code"] == "unavailable"


@pytest.mark.django_db
def test_the_api_answers_503_in_its_error_shape(monkeypatch):
    def gone(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr("kefu.accounts.api_auth.apikey_authenticate", gone)
    response = Client().get("/api/v1/conversations", HTTP_AUTHORIZATION="Bearer kf_abc_def")
    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.django_db
def test_other_errors_stay_500(monkeypatch):
    def bug(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr("kefu.inbox.adapters.webchat.views.open_session", bug)
    response = Client(raise_request_exception=False).post(
        "/chat/v1/hello", {"type": "hello", "site": "x"}, "application/json"
    )
    assert response.status_code == 500
    assert "Retry-After" not in response
