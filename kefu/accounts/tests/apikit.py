"""Helpers for REST API tests: create a key through the service, call the API with it, and
check the one error shape."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.test import Client

from kefu.accounts.models import ApiKey, User
from kefu.accounts.permissions import API_SCOPES
from kefu.accounts.services import actor_for_user, apikey_create

BASE = "/api/v1"


def make_key(
    admin: User, scopes: Iterable[str] = API_SCOPES, name: str = "Exchange backend"
) -> tuple[ApiKey, str]:
    return apikey_create(name=name, scopes=list(scopes), actor=actor_for_user(admin))


class Api:
    """A test client that sends ``Authorization: Bearer <secret>`` and JSON bodies."""

    def __init__(self, secret: str | None, client: Client | None = None) -> None:
        self.secret = secret
        self.client = client or Client()

    def _headers(
        self, idempotency_key: str | None, headers: dict[str, str] | None
    ) -> dict[str, str]:
        result = {}
        if self.secret is not None:
            result["Authorization"] = f"Bearer {self.secret}"
        if idempotency_key is not None:
            result["Idempotency-Key"] = idempotency_key
        result.update(headers or {})
        return result

    def get(self, path: str, params: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self._headers(None, headers))

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | None = None,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        if method == "GET":
            return self.get(path, headers=headers)
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        call = getattr(self.client, method.lower())
        return call(
            BASE + path,
            data,
            content_type="application/json",
            headers=self._headers(idempotency_key, headers),
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.send("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.send("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.send("PATCH", path, body, **kwargs)


def assert_error(
    response: Any, status: int, code: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The response is ``status`` with the error shape, ``code`` and (if given) exact fields."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if fields is not None:
        assert body["error"]["fields"] == fields
    return body["error"]


def iso(value: Any) -> str:
    """A datetime as the API renders it (ISO 8601, milliseconds, ``Z`` for UTC)."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z"
