"""Map typed application errors raised in HTML views to proper responses.

NotFound -> 404 (a denied read never reveals that the row exists), PermissionDenied -> 403,
RateLimited -> 429, StorageUnavailable -> 503 (a file could not be written; nothing was stored).
Views handle ValidationFailed themselves (they re-render the form).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from kefu.core.errors import NotFound, PermissionDenied, RateLimited, StorageUnavailable


class KefuErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # the API has its own handler
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, PermissionDenied):
            return TemplateResponse(
                request,
                "core/error.html",
                {"status": 403, "message": exception.message},
                status=403,
            )
        if isinstance(exception, StorageUnavailable):
            response = TemplateResponse(
                request,
                "core/error.html",
                {"status": 503, "message": exception.message},
                status=503,
            )
            response["Retry-After"] = "60"
            return response
        if isinstance(exception, RateLimited):
            return TemplateResponse(
                request,
                "core/error.html",
                {"status": 429, "message": exception.message},
                status=429,
            )
        return None
