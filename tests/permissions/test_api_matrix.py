"""Permission matrix over every REST API operation, for every kind of caller.

The operations are read from the published OpenAPI document, so a new operation must get a
row in ``SCOPES`` (the test fails otherwise). Callers: nobody, a made-up key, a revoked key, a
signed-in admin's browser session (the API takes keys only), and a key holding each single
scope. Expected: 401 without a valid key, 403 with a valid key that lacks the operation's
scope, and neither with the right scope. A refused write must change nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from kefu.accounts.permissions import API_SCOPES
from kefu.accounts.services import actor_for_user, apikey_create, apikey_revoke
from kefu.audit.models import AuditEntry
from kefu.conversations.models import Conversation

BACKEND = "django.contrib.auth.backends.ModelBackend"
BASE = "/api/v1"

# (method, path as in the OpenAPI document) -> the one scope it needs.
SCOPES: dict[tuple[str, str], str] = {
    ("get", "/customers"): "customers:read",
    ("post", "/customers"): "customers:write",
    ("get", "/customers/{customer_id}"): "customers:read",
    ("patch", "/customers/{customer_id}"): "customers:write",
    ("get", "/conversations"): "conversations:read",
    ("post", "/conversations"): "conversations:write",
    ("get", "/conversations/{conversation_id}"): "conversations:read",
    ("get", "/conversations/{conversation_id}/messages"): "conversations:read",
    ("post", "/conversations/{conversation_id}/messages"): "conversations:write",
    ("post", "/conversations/{conversation_id}/notes"): "conversations:write",
    ("put", "/conversations/{conversation_id}/assignment"): "conversations:write",
    ("put", "/conversations/{conversation_id}/status"): "conversations:write",
    ("put", "/conversations/{conversation_id}/priority"): "conversations:write",
    ("put", "/conversations/{conversation_id}/tags"): "conversations:write",
    ("post", "/conversations/{conversation_id}/escalations"): "conversations:write",
    ("post", "/assistant/classify"): "conversations:read",
}
# Public parts of the API: the document itself and its viewer.
PUBLIC_PATHS = {"/openapi.json", "/docs"}


def _operations() -> list[tuple[str, str]]:
    document = json.loads(Client().get(f"{BASE}/openapi.json").content)
    found = []
    for path, item in document["paths"].items():
        relative = path.removeprefix(BASE)
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method, relative))
    return found


@pytest.mark.django_db
def test_every_api_operation_names_its_scope():
    operations = _operations()
    assert operations, "the OpenAPI document lists no operations"
    unclassified = sorted(op for op in operations if op not in SCOPES)
    assert unclassified == [], "add these operations to SCOPES"
    assert sorted(set(SCOPES) - set(operations)) == [], "SCOPES rows for missing operations"


@pytest.fixture
def callers(admin_user, conversation_a) -> dict[str, dict[str, str]]:
    """Caller name -> the headers it sends."""
    admin = actor_for_user(admin_user)
    headers: dict[str, dict[str, str]] = {"nobody": {}, "made-up key": {}}
    headers["made-up key"] = {"Authorization": "Bearer kf_zzzzzzzz_" + "x" * 40}
    revoked, secret = apikey_create(name="revoked", scopes=list(API_SCOPES), actor=admin)
    apikey_revoke(key=revoked, actor=admin)
    headers["revoked key"] = {"Authorization": f"Bearer {secret}"}
    for scope in API_SCOPES:
        _key, secret = apikey_create(name=scope, scopes=[scope], actor=admin)
        headers[scope] = {"Authorization": f"Bearer {secret}"}
    return headers


def _url(path: str, conversation: Conversation) -> str:
    path = path.replace("{conversation_id}", str(conversation.pk))
    path = path.replace("{customer_id}", str(conversation.contact_id))
    return BASE + path


def _call(client: Client, method: str, url: str, headers: dict[str, str]) -> Any:
    body: dict[str, Any] = {"status": "solved", "body": "matrix", "priority": "high"}
    if method == "get":
        return client.get(url, headers=headers)
    return client.generic(
        method.upper(), url, json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.mark.django_db
def test_each_operation_admits_exactly_the_keys_with_its_scope(callers, conversation_a, admin_user):
    client = Client()
    session = Client()
    session.force_login(admin_user, backend=BACKEND)
    problems: list[str] = []
    for (method, path), scope in sorted(SCOPES.items()):
        url = _url(path, conversation_a)
        for caller, headers in callers.items():
            before = AuditEntry.objects.count()
            status = _call(client, method, url, headers).status_code
            if caller in API_SCOPES and caller == scope:
                if status in (401, 403) or status >= 500:
                    problems.append(f"{method} {path} with {caller}: {status}, expected let in")
                continue
            expected = 403 if caller in API_SCOPES else 401
            if status != expected:
                problems.append(f"{method} {path} with {caller}: {status}, expected {expected}")
            if AuditEntry.objects.count() != before:
                problems.append(f"{method} {path} with {caller}: a refused call changed data")
        before = AuditEntry.objects.count()
        status = _call(session, method, url, {}).status_code
        if status != 401:
            problems.append(f"{method} {path} with an admin's session cookie: {status}")
        if AuditEntry.objects.count() != before:
            problems.append(f"{method} {path} with a session cookie changed data")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
def test_the_api_document_is_public(path):
    assert Client().get(BASE + path).status_code == 200


def test_scope_names_are_resource_colon_access():
    assert all(re.fullmatch(r"[a-z]+:(read|write)", scope) for scope in API_SCOPES)
