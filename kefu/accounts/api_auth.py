"""API-key authentication for the REST API: who is calling, and may this key do that?

A key is sent as ``Authorization: Bearer kf_<prefix>_<secret>`` or as ``X-API-Key: kf_...``.
Every endpoint names the one scope it needs with ``auth=scoped("conversations:read")``: no key
or an unknown or revoked key is a 401, a valid key without the scope a 403. An API key acts with
staff-wide visibility: it is an integration an administrator created.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security.base import AuthBase
from pydantic import BaseModel

from kefu.accounts.models import ApiKey
from kefu.accounts.permissions import API_SCOPES
from kefu.accounts.services import apikey_authenticate
from kefu.core.actor import Actor, ActorKind
from kefu.core.api_support import idempotent_create
from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.ratelimit import client_ip


def _authenticate(raw: str | None, scope: str) -> ApiKey | None:
    """The active key for ``raw`` if it holds ``scope``; None if there is no valid key."""
    if not raw:
        return None
    try:
        key = apikey_authenticate(raw)
    except NotFound:
        return None
    if scope not in key.scopes:
        raise PermissionDenied(
            _("This API key lacks the %(scope)s scope.") % {"scope": scope},
        )
    return key


class ApiKeyBearer(HttpBearer):
    """``Authorization: Bearer kf_<prefix>_<secret>``."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return _authenticate(token, self.scope)


class ApiKeyHeader(APIKeyHeader):
    """``X-API-Key: kf_<prefix>_<secret>``."""

    param_name = "X-API-Key"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return _authenticate(key, self.scope)


def scoped(scope: str) -> list[AuthBase]:
    """The ``auth=`` for an endpoint that needs ``scope``."""
    if scope not in API_SCOPES:
        raise ValueError(f"unknown API scope {scope!r}")
    return [ApiKeyBearer(scope), ApiKeyHeader(scope)]


def request_key(request: HttpRequest) -> ApiKey:
    """The key that authenticated ``request`` (set by ninja after ``scoped`` auth passed)."""
    key = getattr(request, "auth", None)
    if not isinstance(key, ApiKey):
        raise PermissionDenied(_("You do not have permission to do that."))
    return key


def api_actor(request: HttpRequest) -> Actor:
    """The Actor for a request authenticated by an API key (audit ref ``api:<key id>``)."""
    key = request_key(request)
    return Actor(
        kind=ActorKind.API,
        api_key_id=key.pk,
        label=f"API: {key.name}",
        ip=client_ip(request.META) or None,
    )


def create_once(
    request: HttpRequest,
    *,
    idempotency_key: str | None,
    payload: BaseModel,
    perform: Callable[[], BaseModel],
    status: int = 201,
) -> HttpResponse:
    """Run a create under the caller's ``Idempotency-Key``, scoped to the calling API key."""
    return idempotent_create(
        request,
        scope=f"apikey:{request_key(request).pk}",
        key=idempotency_key,
        payload=payload,
        perform=perform,
        status=status,
    )
