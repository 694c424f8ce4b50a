"""Glue every REST endpoint shares: one error shape, JSON URL fallbacks and idempotent creates.

Every 4xx and 5xx answer has the same body::

    {"error": {"code": "validation_failed", "message": "...", "fields": {"subject": ["..."]}}}

``install_error_handlers`` maps typed application errors (by their ``status``), ninja's request
validation, authentication failures, unparsable JSON, ``Http404`` and unexpected exceptions onto
it. ``idempotent_create`` stores the answer to a create request under the client's
``Idempotency-Key`` in the same transaction as the create, and replays it on a retry.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.params import HeaderEx, P
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel, ConfigDict, Field

from kefu.core import secretbox
from kefu.core.errors import Conflict, KefuError, ValidationFailed
from kefu.core.models import IdempotencyRecord
from kefu.core.unavailable import DATABASE_ERRORS, unavailable_response

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY_MAX = 255
NON_FIELD = "__all__"
# Views name their JSON body argument ``payload`` and their query-schema argument ``query``;
# these names are left out of field names.
_WRAPPER_PARAMS = {"payload", "query"}
_CONTENT_TYPE = "application/json; charset=utf-8"

# Human messages for errors raised without one (e.g. a bare ``NotFound()``).
_DEFAULT_MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to do that.",
    404: "Not found.",
    409: "Conflict.",
    422: "Invalid input.",
    429: "Too many requests.",
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    429: "rate_limited",
}

# Friendlier wording for the pydantic errors integrators hit most often.
_PYDANTIC_MESSAGES = {
    "extra_forbidden": "Unknown field.",
    "missing": "This field is required.",
}

# The sources ninja prefixes to a validation error's location.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


# --- the error shape ------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The body of every error response."""

    error: ErrorDetail


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": dict(fields or {})}}
    return JsonResponse(body, status=status, content_type=_CONTENT_TYPE)


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Turn ninja/pydantic errors into ``{"field": [messages]}``.

    A location such as ``("body", "payload", "tags", 0)`` becomes ``"tags.0"``: the source and
    the name of the view's schema argument are dropped. Errors about the whole body go under
    ``"__all__"``.
    """
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = list(error.get("loc") or ())
        if loc and loc[0] in _SOURCES:
            loc.pop(0)
        if loc and loc[0] in _WRAPPER_PARAMS:
            loc.pop(0)
        name = ".".join(str(part) for part in loc) or NON_FIELD
        kind = str(error.get("type"))
        if name == NON_FIELD and kind in ("missing", "model_attributes_type"):
            message = "Send a JSON object as the request body."
        else:
            message = _PYDANTIC_MESSAGES.get(kind, str(error.get("msg", "Invalid.")))
        fields.setdefault(name, [])
        if message not in fields[name]:
            fields[name].append(message)
    return fields


def _summary(fields: Mapping[str, list[str]]) -> str:
    if not fields:
        return "Invalid input."
    name, messages = next(iter(fields.items()))
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return f"Invalid input: {name}: {messages[0]}{more}"


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every error ``api`` returns use the one error shape."""

    def kefu_error(request: HttpRequest, exc: KefuError | type[KefuError]) -> HttpResponse:
        assert isinstance(exc, KefuError)
        message = exc.message
        if message == exc.code:
            message = _DEFAULT_MESSAGES.get(exc.status, message)
        return error_response(exc.status, exc.code, message, exc.fields)

    def request_invalid(
        request: HttpRequest, exc: ValidationError | type[ValidationError]
    ) -> HttpResponse:
        assert isinstance(exc, ValidationError)
        fields = validation_fields(exc.errors)
        return error_response(422, "validation_failed", _summary(fields), fields)

    def http_error(request: HttpRequest, exc: HttpError | type[HttpError]) -> HttpResponse:
        assert isinstance(exc, HttpError)
        if isinstance(exc, AuthenticationError):
            response = error_response(401, "unauthenticated", "Missing or invalid API key.")
            response["WWW-Authenticate"] = 'Bearer realm="kefu"'
            return response
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return error_response(400, "invalid_json", "The request body is not valid JSON.")
        code = _HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc))

    def suspicious(
        request: HttpRequest, exc: SuspiciousOperation | type[SuspiciousOperation]
    ) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return error_response(413, "payload_too_large", "The request body is too large.")
        return error_response(400, "bad_request", "Bad request.")

    def not_found(request: HttpRequest, exc: Http404 | type[Http404]) -> HttpResponse:
        return error_response(404, "not_found", "Not found.")

    def database_unavailable(
        request: HttpRequest, exc: Exception | type[Exception]
    ) -> HttpResponse:
        log.warning("API %s %s: database unavailable: %s", request.method, request.path, exc)
        return unavailable_response(request)

    def unexpected(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        assert isinstance(exc, Exception)
        log.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return error_response(500, "internal_error", "Something went wrong on our side.")

    api.add_exception_handler(KefuError, kefu_error)
    api.add_exception_handler(ValidationError, request_invalid)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(SuspiciousOperation, suspicious)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(Exception, unexpected)
    for database_error in DATABASE_ERRORS:  # the database is down: 503 + Retry-After
        api.add_exception_handler(database_error, database_unavailable)


def json_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a URL's view so what Django or ninja answer outside an operation (a 404 from the
    URL resolver or the API root, a 405 for an unsupported method) also uses the error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return error_response(404, "not_found", "Not found.")
        if response.status_code == 405 and not _is_json(response):
            allowed = response.get("Allow", "")
            shaped = error_response(
                405, "method_not_allowed", f"Method {request.method} is not allowed here."
            )
            if allowed:
                shaped["Allow"] = allowed
            return shaped
        return response

    return wrapper


def _is_json(response: HttpResponseBase) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The catch-all for unknown URLs under the API prefix."""
    return error_response(404, "not_found", "No such endpoint.")


# --- serialising ----------------------------------------------------------------------------


def to_json_data(model: BaseModel) -> Any:
    """``model`` as plain JSON data, encoded exactly as ninja renders responses."""
    return json.loads(json.dumps(model.model_dump(), cls=NinjaJSONEncoder))


# --- request and response building blocks --------------------------------------------------


class InputSchema(Schema):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(InputSchema):
    """``?cursor=&limit=`` of a keyset-paginated list."""

    cursor: str | None = Field(
        None, max_length=1000, description="The `next_cursor` of the previous page."
    )
    limit: int = Field(25, ge=1, le=100, description="Items per page (1-100).")


# A row id: bounded so an absurd number is a 422, never a database overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

# Every documented error status answers with ErrorOut.
ERROR_RESPONSES: dict[Any, type[Schema]] = {(400, 401, 403, 404, 409, 422): ErrorOut}

IdempotencyKey = HeaderEx[
    str | None,
    P(
        alias=IDEMPOTENCY_HEADER,
        max_length=IDEMPOTENCY_KEY_MAX,
        description="Send the same key to retry a create safely (replayed, never duplicated).",
    ),
]


# --- idempotency ----------------------------------------------------------------------------


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class _LostRace(Exception):
    """Another request with the same key committed first; roll our create back."""


_FINGERPRINT_PURPOSE = b"kefu.core.idempotency-fingerprint.v1"


def _fingerprints(method: str, path: str, payload: BaseModel) -> list[str]:
    """Keyed digests of the request (current key first, then each fallback key's). Keyed, not a
    plain hash: a body may hold a secret the guard redacts before storing, and a plain SHA-256 of
    a short password next to known fields could be guessed back."""
    data = {"method": method, "path": path, "body": to_json_data(payload)}
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return secretbox.digests(raw, purpose=_FINGERPRINT_PURPOSE)


def _find(scope: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(scope=scope, key=key).first()


def _replay(record: IdempotencyRecord, request_hashes: list[str]) -> HttpResponse:
    if record.request_hash not in request_hashes:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request.",
            fields={IDEMPOTENCY_HEADER: ["Already used for a different request."]},
        )
    response = HttpResponse(
        record.response_body, status=record.status_code, content_type=_CONTENT_TYPE
    )
    response[REPLAY_HEADER] = "true"
    return response


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        message = f"Use 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."
        raise ValidationFailed(
            f"Invalid {IDEMPOTENCY_HEADER} header.", fields={IDEMPOTENCY_HEADER: [message]}
        )
    return key


def idempotent_create(
    request: HttpRequest,
    *,
    scope: str,
    key: str | None,
    payload: BaseModel,
    perform: Callable[[], BaseModel],
    status: int = 201,
) -> HttpResponse:
    """Run ``perform`` (a create) once per ``(scope, key)`` and answer with its result.

    Without a key the create simply runs. With one, the create and the stored answer commit
    together: a retry with the same body replays the stored status and body (header
    ``Idempotent-Replayed: true``) without creating anything; the same key with a different
    method, path or body is a 409 ``idempotency_key_reused``. Failed creates (any error) store
    nothing, so the client may fix the request and retry with the same key. Two concurrent
    requests with one key race on the table's unique constraint; the loser rolls back its
    create and replays the winner.
    """
    key = check_idempotency_key(key)
    if key is None:
        return JsonResponse(
            to_json_data(perform()), status=status, safe=False, content_type=_CONTENT_TYPE
        )
    request_hashes = _fingerprints(request.method or "", request.path, payload)
    existing = _find(scope, key)
    if existing is not None:
        return _replay(existing, request_hashes)
    try:
        with transaction.atomic():
            response = JsonResponse(
                to_json_data(perform()), status=status, safe=False, content_type=_CONTENT_TYPE
            )
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        scope=scope,
                        key=key,
                        request_hash=request_hashes[0],
                        status_code=status,
                        response_body=response.content.decode(),
                    )
            except IntegrityError as exc:
                raise _LostRace from exc
    except _LostRace:
        return _replay(IdempotencyRecord.objects.get(scope=scope, key=key), request_hashes)
    return response
