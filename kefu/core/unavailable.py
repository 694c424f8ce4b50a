"""The database is unreachable: answer 503 with a Retry-After hint, never a bare 500.

PostgreSQL restarting, a failover or an exhausted connection pool raise ``OperationalError``
or ``InterfaceError`` wherever the request happens to touch the database: in a view, in a
middleware (the session, the signed-in user), in an API operation. Django turns any of them
into its 500 handler, so ``server_error`` (``handler500`` in ``config.urls``) is the one place
that tells them apart; the API has the same mapping in ``kefu.core.api_support``, and the
WebSocket consumers answer an ``unavailable`` error frame and close with 1013 (try again
later). Every service writes in one transaction, so a request that failed here left nothing
behind; clients retry with the same idempotency key. The page is rendered without the request
context: the context processors would touch the database again.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 5
CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455 registry: "Try Again Later"
DATABASE_ERRORS = (OperationalError, InterfaceError)


def is_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot be reached now."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DATABASE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def message() -> str:
    return _("The service is briefly unavailable. Please try again in a few seconds.")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API and the chat endpoints, else a small page."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        from kefu.core.api_support import error_response

        response = error_response(503, "unavailable", message())
    elif request.path.startswith("/chat/") or "html" not in request.headers.get("Accept", ""):
        # The chat endpoints' error frame (docs/subsystems/realtime.md).
        response = JsonResponse({"type": "error", "code": "unavailable", "message": message()})
        response.status_code = 503
    else:
        html = render_to_string(
            "core/unavailable.html", {"message": message(), "retry": RETRY_AFTER_SECONDS}
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 + Retry-After when the database is down, Django's 500 otherwise."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
