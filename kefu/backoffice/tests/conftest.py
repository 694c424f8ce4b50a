"""Helpers for the backoffice tests (the personas come from the root conftest)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import translation

from kefu.audit.models import AuditEntry


@pytest.fixture(autouse=True)
def _reset_language():
    """A request by a Chinese-speaking user leaves Chinese active in this thread; put it back
    so later tests (in any app) see the default language."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def client_for():
    """client_for(user) -> a test client signed in as ``user``."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def assert_hidden(client: Client, method: str, url: str, data: dict | None = None) -> None:
    """The page answers 404 and writes nothing to the audit log."""
    before = AuditEntry.objects.count()
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    assert response.status_code == 404
    assert AuditEntry.objects.count() == before


def assert_login_redirect(method: str, url: str, data: dict | None = None) -> None:
    client = Client()
    before = AuditEntry.objects.count()
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={quote(url)}"
    assert AuditEntry.objects.count() == before
