"""The help center's entry points: the language redirect, the home page and the sitemap."""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element, SubElement, tostring  # building XML, not parsing it

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.helpcenter import selectors
from kefu.helpcenter.languages import best_language, help_languages
from kefu.helpcenter.views.common import help_page, render_help


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    lang = best_language(getattr(request, "LANGUAGE_CODE", None))
    return HttpResponseRedirect(reverse("helpcenter:home", args=[lang]))


@require_GET
@help_page
def home(request: HttpRequest, lang: str) -> HttpResponse:
    return render_help(
        request,
        lang,
        "helpcenter/home.html",
        {"categories": selectors.public_categories(lang)},
        path_for=lambda code: reverse("helpcenter:home", args=[code]),
        title=_("Help center"),
        description=_("Answers about deposits, withdrawals, your account, security and fees."),
    )


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    """Every live article in every language, each with its hreflang alternates."""
    base = request.build_absolute_uri("/").rstrip("/")
    urlset = Element(
        "urlset",
        {"xmlns": "http://www.sitemaps.org/schemas/sitemap/0.9", "xmlns:xhtml": _XHTML},
    )
    for code in help_languages():
        _url(
            urlset,
            base + reverse("helpcenter:home", args=[code]),
            None,
            [
                (other, base + reverse("helpcenter:home", args=[other]))
                for other in help_languages()
            ],
        )
    for slug, language, published_at, live_in in selectors.public_sitemap_rows():
        _url(
            urlset,
            base + reverse("helpcenter:article", args=[language, slug]),
            published_at,
            [
                (other, base + reverse("helpcenter:article", args=[other, slug]))
                for other in live_in
            ],
        )
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(urlset, encoding="utf-8")
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


_XHTML = "http://www.w3.org/1999/xhtml"


def _url(
    parent: Element, loc: str, lastmod: datetime | None, alternates: list[tuple[str, str]]
) -> None:
    url = SubElement(parent, "url")
    SubElement(url, "loc").text = loc
    if lastmod is not None:
        SubElement(url, "lastmod").text = lastmod.date().isoformat()
    for language, href in alternates:
        SubElement(url, "xhtml:link", {"rel": "alternate", "hreflang": language, "href": href})
