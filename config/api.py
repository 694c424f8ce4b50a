"""REST API v1: one NinjaAPI; each app contributes a router from its own api.py.

Served under ``/api/v1/``: the OpenAPI document at ``openapi.json`` and interactive docs at
``docs`` (Swagger UI, served from the installed django-ninja package so the page works offline
and under the site's ``script-src 'self'`` Content Security Policy). Any URL under the prefix
that matches no endpoint answers a JSON 404 in the API's error shape.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, re_path, reverse
from django.utils.html import escape
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

from kefu.assistant.api import router as assistant_router
from kefu.contacts.api import router as customers_router
from kefu.conversations.api import router as conversations_router
from kefu.core.api_support import api_not_found, install_error_handlers, json_errors

_NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
_DOCS_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"}

_DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="icon" href="{assets}favicon.png" type="image/png">
</head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script src="{assets}swagger-ui-init.js"></script>
</body>
</html>
"""


class LocalSwagger(DocsBase):
    """Swagger UI with its assets served by the API itself (no CDN, no inline script)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
        }
        # "</" cannot end the JSON script element early once escaped this way.
        settings_json = json.dumps(settings).replace("</", "<\\/")
        assets = reverse(f"{api.urls_namespace}:docs-asset", args=["x"]).removesuffix("x")
        html = _DOCS_PAGE.format(title=escape(api.title), assets=assets, settings=settings_json)
        return HttpResponse(html)


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in _DOCS_ASSETS:
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((_NINJA_STATIC / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


class KefuNinjaAPI(NinjaAPI):
    """NinjaAPI plus the docs assets, a JSON catch-all 404, and every URL wrapped so Django's
    own 404/405 answers use the API's error shape too."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = [
            *super()._get_urls(),
            path("docs/assets/<str:name>", docs_asset, name="docs-asset"),
            re_path(r"^.*$", api_not_found, name="not-found"),
        ]
        return [
            URLPattern(p.pattern, json_errors(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in urls
        ]


api = KefuNinjaAPI(
    title="Kefu API",
    version="1.0.0",
    description=(
        "Kefu's REST API for integrations. Authenticate with an API key "
        "(`Authorization: Bearer kf_...` or `X-API-Key`). Errors always have the shape "
        '`{"error": {"code", "message", "fields"}}`. See docs/api.md.'
    ),
    urls_namespace="api-v1",
    docs=LocalSwagger(),
)
install_error_handlers(api)
api.add_router("/customers", customers_router)
api.add_router("/conversations", conversations_router)
api.add_router("/assistant", assistant_router)
