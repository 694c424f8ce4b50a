"""Public knowledge-base pages: categories, articles, search results, feedback, images."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts import permissions
from kefu.community.searching import forum_search
from kefu.core import ratelimit
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import KefuError, NotFound
from kefu.helpcenter import searching, selectors, services
from kefu.helpcenter.languages import pick
from kefu.helpcenter.models import ArticleImage, Category
from kefu.helpcenter.services.articles import voter_key
from kefu.helpcenter.views.common import help_page, render_help

SEARCH_PAGE_SIZE = 20
FORUM_RESULTS = 5
SECTION_PAGE = 200  # articles listed per section on a category page


@require_GET
@help_page
def category(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    found = next(
        iter(selectors.public_categories(lang, category_slug=slug, per_section=SECTION_PAGE)),
        None,
    )
    if found is None:
        raise Http404
    languages = list(
        Category.objects.filter(slug=slug).values_list("names", flat=True).first() or {}
    )
    return render_help(
        request,
        lang,
        "helpcenter/category.html",
        {"category": found},
        path_for=lambda code: (
            reverse("helpcenter:category", args=[code, slug]) if code in languages else None
        ),
        title=found["name"],
        description=found["description"],
    )


@require_GET
@help_page
def article(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    try:
        translation = selectors.public_article(lang, slug)
    except NotFound as exc:
        raise Http404 from exc
    links = selectors.public_article_links(translation)
    live_in = links["languages"]
    token = request.GET.get("s")
    if token:  # opened from a suggestion in the widget or the request form
        services.suggestion_opened(token=token[:32], article_id=translation.article_id)
    services.article_viewed(translation_id=translation.pk)
    section = translation.article.section
    voted = request.session.get(f"kb-voted-{translation.pk}")
    return render_help(
        request,
        lang,
        "helpcenter/article.html",
        {
            "translation": translation,
            "section_name": pick(section.names, lang),
            "category_name": pick(section.category.names, lang),
            "category_slug": section.category.slug,
            "related": links["related"],
            "voted": voted,
        },
        path_for=lambda code: (
            reverse("helpcenter:article", args=[code, slug]) if code in live_in else None
        ),
        title=translation.title,
        description=translation.summary,
        og_type="article",
    )


@require_POST
@help_page
def article_feedback(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    try:
        translation = selectors.public_article(lang, slug)
    except NotFound as exc:
        raise Http404 from exc
    back = reverse("helpcenter:article", args=[lang, slug]) + "#feedback"
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
        return HttpResponseRedirect(back)
    if not request.session.session_key:
        request.session.save()
    user = request.user if request.user.is_authenticated else None
    actor = (
        Actor(kind=ActorKind.CUSTOMER, user_id=user.pk, label=str(user))
        if user is not None
        else Actor(kind=ActorKind.CUSTOMER, label="anonymous reader")
    )
    try:
        ratelimit.hit(
            f"kb-feedback:{ratelimit.client_ip(request.META)}", limit=30, window_seconds=60
        )
        services.article_feedback(
            translation=translation,
            helpful=helpful == "yes",
            comment=request.POST.get("comment", ""),
            voter=voter_key(request.session.session_key or "", user.pk if user else None),
            actor=actor,
        )
    except KefuError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    request.session[f"kb-voted-{translation.pk}"] = helpful
    messages.success(request, _("Thank you for your feedback."))
    return HttpResponseRedirect(back)


@require_GET
@help_page
def search(request: HttpRequest, lang: str) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    results = searching.kb_search(query, language=lang, limit=SEARCH_PAGE_SIZE) if query else []
    # Community threads come under the articles, labelled, never mixed into their ranking.
    threads = forum_search(query, language=lang, limit=FORUM_RESULTS) if query else []
    return render_help(
        request,
        lang,
        "helpcenter/search.html",
        {"query": query, "results": results, "threads": threads},
        path_for=lambda code: reverse("helpcenter:search", args=[code]),
        title=_("Search results") if query else _("Search"),
    )


@require_GET
def media(request: HttpRequest, pk: int, filename: str) -> FileResponse:
    """An article image: public once the article is live in any language; before that only
    knowledge-base writers (previewing a draft) may load it."""
    image = ArticleImage.objects.filter(pk=pk, filename=filename).first()
    if image is None:
        raise Http404
    live = image.article.translations.filter(published_revision__isnull=False).exists()
    user = request.user
    if not live and not (user.is_authenticated and permissions.can_write_kb(user)):
        raise Http404
    response = FileResponse(image.file.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "public, max-age=86400" if live else "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
