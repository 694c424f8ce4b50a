"""Request id and HTTP metrics for every request; first in MIDDLEWARE so it sees them all."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from kefu.core.observability import metrics
from kefu.core.observability.context import accept_or_new, request_id_var, secret_values_var
from kefu.core.observability.logs import redact, url_secrets

log = logging.getLogger("kefu.request")

HEADER = "X-Request-ID"


def route_label(request: HttpRequest) -> str:
    """A bounded name for what was asked: the URL name, else its pattern, else a kind."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class RequestContextMiddleware:
    """Take the caller's X-Request-ID (or make one), log it on every record, echo it back;
    count the request and its latency by route and status; log one line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_or_new(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        secrets_token = secret_values_var.set(())
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            route = route_label(request)
            metrics.HTTP_REQUESTS.labels(
                route=route, method=request.method or "", status=str(response.status_code)
            ).inc()
            metrics.HTTP_LATENCY.labels(route=route, method=request.method or "").observe(elapsed)
            response[HEADER] = request_id
            # The path only, without credentials: query strings and some URL parts carry
            # tokens (signed links, API keys).
            path = redact(request.path)
            log.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "http_method": request.method,
                    "path": path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            return response
        finally:
            secret_values_var.reset(secrets_token)
            request_id_var.reset(token)

    def process_view(
        self, request: HttpRequest, view: object, args: object, kwargs: dict[str, object]
    ) -> None:
        """Once the URL is resolved: its credential parts are scrubbed from every record."""
        secret_values_var.set(url_secrets(kwargs))
