"""REST API glue: API-key authentication, scopes, the one error shape, OpenAPI and docs."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from kefu.accounts.permissions import API_SCOPES
from kefu.accounts.services import actor_for_user, apikey_revoke
from kefu.accounts.tests.apikit import BASE, Api, assert_error, make_key
from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message

CR, CW = "customers:read", "customers:write"
VR, VW = "conversations:read", "conversations:write"

# Every endpoint, with the one scope it needs. test_every_operation_is_listed keeps it complete.
ENDPOINTS = [
    ("GET", "/customers", CR),
    ("POST", "/customers", CW),
    ("GET", "/customers/{customer}", CR),
    ("PATCH", "/customers/{customer}", CW),
    ("GET", "/conversations", VR),
    ("POST", "/conversations", VW),
    ("GET", "/conversations/{conversation}", VR),
    ("GET", "/conversations/{conversation}/messages", VR),
    ("POST", "/conversations/{conversation}/messages", VW),
    ("POST", "/conversations/{conversation}/notes", VW),
    ("PUT", "/conversations/{conversation}/assignment", VW),
    ("PUT", "/conversations/{conversation}/status", VW),
    ("PUT", "/conversations/{conversation}/priority", VW),
    ("PUT", "/conversations/{conversation}/tags", VW),
    ("POST", "/conversations/{conversation}/escalations", VW),
    ("POST", "/assistant/classify", VR),
]


def _url(path: str, conversation: Conversation) -> str:
    return path.format(customer=conversation.contact_id, conversation=conversation.pk)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (AuditEntry, Contact, Conversation, Message))


# --- 401 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_every_endpoint_answers_401_without_a_key(method, path, scope, conversation_a):
    before = _counts()
    response = Api(None).send(method, _url(path, conversation_a), {})
    error = assert_error(response, 401, "unauthenticated", {})
    assert error["message"] == "Missing or invalid API key."
    assert response["WWW-Authenticate"] == 'Bearer realm="kefu"'
    assert _counts() == before


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer kf_deadbeef_not-the-secret",
        "Bearer not-a-kefu-key",
        "Bearer ",
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "kf_deadbeef_secret",
    ],
)
def test_bad_keys_answer_401(authorization, admin_user):
    make_key(admin_user)
    response = Api(None).get("/customers", headers={"Authorization": authorization})
    assert_error(response, 401, "unauthenticated", {})


def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused(admin_user):
    _, secret = make_key(admin_user)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert_error(Api(tampered).get("/customers"), 401, "unauthenticated", {})


def test_revoked_key_answers_401(admin_user):
    key, secret = make_key(admin_user)
    assert Api(secret).get("/customers").status_code == 200
    apikey_revoke(key=key, actor=actor_for_user(admin_user))
    assert_error(Api(secret).get("/customers"), 401, "unauthenticated", {})


def test_x_api_key_header_is_accepted(admin_user, customer_1):
    _, secret = make_key(admin_user)
    response = Api(None).get("/customers", headers={"X-API-Key": secret})
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [customer_1.contact.pk]


def test_a_signed_in_session_is_not_an_api_credential(client, admin_user):
    client.force_login(admin_user)
    assert_error(Api(None, client).get("/customers"), 401, "unauthenticated", {})


def test_successful_authentication_records_last_use(admin_user):
    key, secret = make_key(admin_user)
    assert key.last_used_at is None
    Api(secret).get("/customers")
    key.refresh_from_db()
    assert key.last_used_at is not None


# --- 403 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_every_endpoint_answers_403_without_its_scope(
    method, path, scope, admin_user, conversation_a
):
    _, secret = make_key(admin_user, scopes=[s for s in API_SCOPES if s != scope])
    before = _counts()
    response = Api(secret).send(method, _url(path, conversation_a), {})
    error = assert_error(response, 403, "permission_denied", {})
    assert error["message"] == f"This API key lacks the {scope} scope."
    assert _counts() == before


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_the_scope_alone_is_enough(method, path, scope, admin_user, conversation_a):
    _, secret = make_key(admin_user, scopes=[scope])
    response = Api(secret).send(method, _url(path, conversation_a), {})
    # Authorised: what follows is the endpoint's own answer (here: a body error, or success).
    assert response.status_code not in (401, 403), response.content


def test_every_operation_is_listed_with_its_scope_in_the_openapi_description(client):
    schema = client.get(f"{BASE}/openapi.json").json()
    documented = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented.add((method.upper(), path))
            expected = next(
                s
                for m, p, s in ENDPOINTS
                if m == method.upper()
                and BASE
                + p.replace("{customer}", "{customer_id}").replace(
                    "{conversation}", "{conversation_id}"
                )
                == path
            )
            assert f"Scope: `{expected}`" in operation["description"]
            assert {next(iter(s)) for s in operation["security"]} == {
                "ApiKeyBearer",
                "ApiKeyHeader",
            }
    assert len(documented) == len(ENDPOINTS)


# --- CSRF and the actor ---------------------------------------------------------------------


def test_api_key_requests_need_no_csrf_token_even_with_a_session(admin_user):
    _, secret = make_key(admin_user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    response = Api(secret, browser).post("/customers", {"email": "new@example.com"})
    assert response.status_code == 201, response.content


def test_writes_are_audited_as_the_api_key(admin_user):
    key, secret = make_key(admin_user, name="Exchange backend")
    response = Api(secret).post("/customers", {"email": "new@example.com"})
    contact_id = response.json()["id"]
    entry = AuditEntry.objects.get(action="contact.created")
    assert (entry.actor_kind, entry.actor_ref, entry.object_id, entry.ip) == (
        "api",
        f"api:{key.pk}",
        str(contact_id),
        "127.0.0.1",
    )


# --- one error shape ------------------------------------------------------------------------


def test_unknown_url_under_the_api_is_a_json_404(admin_user):
    _, secret = make_key(admin_user)
    assert_error(Api(secret).get("/nothing-here"), 404, "not_found", {})
    assert_error(Api(secret).get("/customers/"), 404, "not_found", {})
    assert_error(Api(None).get("/"), 404, "not_found", {})


def test_unsupported_method_is_a_json_405_with_allow(admin_user):
    _, secret = make_key(admin_user)
    response = Api(secret).send("DELETE", "/customers")
    error = assert_error(response, 405, "method_not_allowed", {})
    assert error["message"] == "Method DELETE is not allowed here."
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.parametrize("raw", ["{bad json", "{'single': 'quotes'}", "\x00"])
def test_invalid_json_is_a_400(raw, admin_user):
    _, secret = make_key(admin_user)
    before = _counts()
    response = Api(secret).post("/customers", raw=raw)
    error = assert_error(response, 400, "invalid_json", {})
    assert error["message"] == "The request body is not valid JSON."
    assert _counts() == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Send a JSON object as the request body."),
        ("[1, 2]", "Send a JSON object as the request body."),
        ('"text"', "Send a JSON object as the request body."),
    ],
)
def test_a_body_that_is_not_an_object_is_a_422(raw, message, admin_user):
    _, secret = make_key(admin_user)
    response = Api(secret).post("/customers", raw=raw)
    assert_error(response, 422, "validation_failed", {"__all__": [message]})


def test_a_body_over_the_upload_limit_is_a_413(admin_user, settings):
    _, secret = make_key(admin_user)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = Api(secret).post("/customers", {"email": "a@example.com", "name": "x" * 200})
    assert_error(response, 413, "payload_too_large", {})
    assert Contact.objects.count() == 0


def test_unexpected_exception_is_a_logged_500_in_the_error_shape(admin_user, monkeypatch, caplog):
    _, secret = make_key(admin_user)

    def explode(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("kefu.contacts.api.contact_list_for_api", explode)
    with caplog.at_level(logging.ERROR, logger="kefu.core.api_support"):
        response = Api(secret).get("/customers")
    error = assert_error(response, 500, "internal_error", {})
    assert "database on fire" not in error["message"]
    assert any(r.exc_info and "database on fire" in str(r.exc_info[1]) for r in caplog.records)


# --- OpenAPI and docs -----------------------------------------------------------------------


def test_openapi_document_is_served_without_a_key_and_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Kefu API"
    assert sorted(schema["paths"]) == [
        "/api/v1/assistant/classify",
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/assignment",
        "/api/v1/conversations/{conversation_id}/escalations",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/notes",
        "/api/v1/conversations/{conversation_id}/priority",
        "/api/v1/conversations/{conversation_id}/status",
        "/api/v1/conversations/{conversation_id}/tags",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
    ]
    assert schema["components"]["securitySchemes"] == {
        "ApiKeyBearer": {"type": "http", "scheme": "bearer"},
        "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    create = schema["paths"]["/api/v1/conversations"]["post"]
    assert [p["name"] for p in create["parameters"]] == ["Idempotency-Key"]
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == error_ref


def test_docs_page_loads_swagger_from_the_api_itself(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>' in html
    assert '"url": "/api/v1/openapi.json"' in html
    assert "http" not in html.split("<body", 1)[1]  # no CDN
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert asset["Content-Type"] == "text/javascript"
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)
    assert_error(client.get("/api/v1/docs/assets/secret.py"), 404, "not_found", {})
