"""What every public help-center page shares: the language in the URL, hreflang alternates,
canonical URLs and Open Graph tags."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import get_language_info

from kefu.helpcenter.languages import help_languages, require_language

P = ParamSpec("P")

_OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN"}


def help_page(
    view: Callable[Concatenate[HttpRequest, str, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, str, P], HttpResponse]:
    """Validate the ``lang`` URL segment (404 if not published) and render the page in it."""

    def wrapper(request: HttpRequest, lang: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        lang = require_language(lang)
        with translation.override(lang):
            request.LANGUAGE_CODE = lang
            response = view(request, lang, *args, **kwargs)
        response.headers.setdefault("Content-Language", lang)
        return response

    functools.update_wrapper(wrapper, view)
    # Django passes URL captures as keywords (lang=...), so the parameters keep their names.
    return cast(Callable[Concatenate[HttpRequest, str, P], HttpResponse], wrapper)


def alternates(request: HttpRequest, path_for: Callable[[str], str | None]) -> list[dict[str, str]]:
    """One entry per published language in which this page exists: lang, name, path, url."""
    rows = []
    for code in help_languages():
        path = path_for(code)
        if path is None:
            continue
        rows.append(
            {
                "lang": code,
                "name": str(get_language_info(code)["name_local"]),
                "path": path,
                "url": request.build_absolute_uri(path),
            }
        )
    return rows


def render_help(
    request: HttpRequest,
    lang: str,
    template: str,
    context: dict[str, Any],
    *,
    path_for: Callable[[str], str | None],
    title: str,
    description: str = "",
    og_type: str = "website",
    status: int = 200,
) -> HttpResponse:
    """Render a help-center page with its alternates, canonical URL and Open Graph tags."""
    alts = alternates(request, path_for)
    own = path_for(lang) or request.path
    default = next((a["url"] for a in alts if a["lang"] == help_languages()[0]), None)
    context = {
        **context,
        "hc_lang": lang,
        "hc_alternates": alts,
        "hc_x_default": default,
        "canonical_url": request.build_absolute_uri(own),
        "og": {"title": title, "description": description, "type": og_type},
        "og_locale": _OG_LOCALES.get(lang, lang.replace("-", "_")),
        "page_title": title,
    }
    return render(request, template, context, status=status)
