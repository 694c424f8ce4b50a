"""The public search API behind the chat widget's suggestions and the request form's
"these articles may answer your question". Public data, no cookies: any origin may call it."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from kefu.core import ratelimit
from kefu.core.errors import RateLimited
from kefu.helpcenter import searching, services
from kefu.helpcenter.languages import best_language
from kefu.helpcenter.models import SearchSource

SUGGEST_SOURCES = {SearchSource.WIDGET, SearchSource.REQUEST_FORM}


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    response["Cache-Control"] = "no-store"
    return response


def _error(status: int, code: str, message: str) -> HttpResponse:
    return _cors(JsonResponse({"error": {"code": code, "message": message}}, status=status))


def _public(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """CORS for any origin, OPTIONS preflight, and a per-IP rate limit."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        if request.method == "OPTIONS":
            return _cors(HttpResponse(status=204))
        try:
            ratelimit.hit(
                f"kb-api:{ratelimit.client_ip(request.META)}", limit=300, window_seconds=60
            )
        except RateLimited as exc:
            return _error(429, "rate_limited", exc.message)
        return _cors(view(request))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


@_public
def search(request: HttpRequest) -> HttpResponse:
    """GET ?q=&lang=&limit=&source=&prefix=1[&token=] → {"results": [...], "token": ...}.

    ``source`` is ``widget`` or ``request_form`` when the results are shown to someone about to
    contact support; the answer then carries a token to report what happened next."""
    if request.method != "GET":
        return _error(405, "method_not_allowed", "Use GET.")
    query = request.GET.get("q", "")[:500]
    language = best_language(request.GET.get("lang"))
    try:
        limit = int(request.GET.get("limit", "5"))
    except ValueError:
        limit = 5
    limit = max(1, min(limit, 20))
    prefix = request.GET.get("prefix") == "1"
    results = searching.kb_search(query, language=language, limit=limit, prefix=prefix)
    source = request.GET.get("source", "")
    token = None
    if source in SUGGEST_SOURCES:
        token = services.suggestions_shown(
            source=source,
            language=language,
            query=query,
            article_ids=[r.article_id for r in results],
            previous_token=request.GET.get("token"),
        )
    return JsonResponse(
        {
            "results": [
                {
                    "title": r.title,
                    "summary": r.summary,
                    "url": r.url + (f"?s={token}" if token else ""),
                    "language": r.language,
                    "article_id": r.article_id,
                }
                for r in results
            ],
            "token": token,
        }
    )


def _token(request: HttpRequest) -> str | None:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = {}
    token = data.get("token") if isinstance(data, dict) else None
    return token if isinstance(token, str) else request.POST.get("token")


@_public
def suggestion_submitted(request: HttpRequest) -> HttpResponse:
    """POST {"token": ...}: the reader contacted support after seeing the suggestions."""
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Use POST.")
    services.suggestion_submitted(token=_token(request))
    return HttpResponse(status=204)
