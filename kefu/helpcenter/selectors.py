"""Public reads of the official contact options (no permission needed: customers see them)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.core.cache import cache
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from kefu.core.errors import NotFound
from kefu.helpcenter.languages import pick
from kefu.helpcenter.models import Article, ArticleTranslation, Category, ContactOption, Section


class PublicContactOption(TypedDict):
    kind: str
    label: str
    value: str
    url: str
    hours: str


class PublicSection(TypedDict):
    slug: str
    name: str
    description: str
    articles: list[ArticleTranslation]
    article_count: int


class PublicCategory(TypedDict):
    slug: str
    name: str
    description: str
    sections: list[PublicSection]
    article_count: int
    top: list[ArticleTranslation]  # the first few articles, across sections


def public_contact_options(language: str) -> list[PublicContactOption]:
    """The active options in display order, labelled in ``language`` (Chinese for ``zh-*``,
    English otherwise). A missing Chinese hours note falls back to the English one."""
    chinese = (language or "").lower().startswith("zh")
    return [
        {
            "kind": option.kind,
            "label": option.label_zh if chinese else option.label_en,
            "value": option.value,
            "url": option.url,
            "hours": (option.hours_note_zh or option.hours_note_en)
            if chinese
            else option.hours_note_en,
        }
        for option in ContactOption.objects.filter(is_active=True).order_by("order", "id")
    ]


# --- Knowledge base: public reads (only live translations) -----------------------------------


# Lists show titles and summaries: never load the bodies.
LIST_DEFERRED = ("html", "search_text")


def live_translations(language: str) -> QuerySet[ArticleTranslation]:
    """Published translations in ``language``, with their article and section loaded (the
    search text, only the index needs, is left out)."""
    return (
        ArticleTranslation.objects.filter(language=language, published_revision__isnull=False)
        .select_related("article__section__category")
        .defer("search_text")
    )


def public_categories(
    language: str, *, category_slug: str | None = None, per_section: int = 3
) -> list[PublicCategory]:
    """``_categories``, cached until the next publish or unpublish (see public_article_links):
    ranking every live article per section is the costly part of the home page."""
    version = cache.get_or_set(KB_VERSION_KEY, 1, timeout=None)
    key = f"kb:categories:{version}:{language}:{category_slug or ''}:{per_section}"
    found: list[PublicCategory] | None = cache.get(key)
    if found is None:
        found = _categories(language, category_slug=category_slug, per_section=per_section)
        cache.set(key, found, timeout=LINKS_CACHE_SECONDS)
    return found


def _categories(
    language: str, *, category_slug: str | None, per_section: int
) -> list[PublicCategory]:
    """Categories with their sections and the first ``per_section`` live articles of each
    section in ``language``, plus article counts (four queries whatever the size of the KB:
    the articles are ranked per section in the database). Categories and sections with no live
    article in the language are left out. ``category_slug`` keeps only that category."""
    sections = Section.objects.order_by("position", "id")
    categories = Category.objects.order_by("position", "id")
    live = live_translations(language)
    if category_slug is not None:
        sections = sections.filter(category__slug=category_slug)
        categories = categories.filter(slug=category_slug)
        live = live.filter(article__section__category__slug=category_slug)
    counts = dict(
        live.order_by()
        .values_list("article__section_id")
        .annotate(n=Count("id"))
        .values_list("article__section_id", "n")
    )
    first = (
        live.defer(*LIST_DEFERRED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("article__section_id")],
                order_by=[F("article__position").asc(), F("article_id").asc()],
            )
        )
        .filter(rank__lte=per_section)
        .order_by("article__position", "article_id")
    )
    by_section: dict[int, list[ArticleTranslation]] = {}
    for tr in first:
        by_section.setdefault(tr.article.section_id, []).append(tr)
    grouped: dict[int, list[Section]] = {}
    for section in sections:
        grouped.setdefault(section.category_id, []).append(section)
    result: list[PublicCategory] = []
    for category in categories:
        rows: list[PublicSection] = [
            {
                "slug": s.slug,
                "name": pick(s.names, language),
                "description": pick(s.descriptions, language),
                "articles": by_section[s.pk],
                "article_count": counts.get(s.pk, 0),
            }
            for s in grouped.get(category.pk, [])
            if by_section.get(s.pk)
        ]
        if rows:
            result.append(
                {
                    "slug": category.slug,
                    "name": pick(category.names, language),
                    "description": pick(category.descriptions, language),
                    "sections": rows,
                    "article_count": sum(r["article_count"] for r in rows),
                    "top": [tr for r in rows for tr in r["articles"]][:per_section],
                }
            )
    return result


def public_article(language: str, slug: str) -> ArticleTranslation:
    """The live translation of article ``slug`` in ``language``; NotFound otherwise."""
    translation = live_translations(language).filter(article__slug=slug).first()
    if translation is None:
        raise NotFound(_("No such article."))
    return translation


def public_article_languages(article_id: int) -> list[str]:
    """The languages in which an article is live (for hreflang alternates)."""
    return list(
        ArticleTranslation.objects.filter(
            article_id=article_id, published_revision__isnull=False
        ).values_list("language", flat=True)
    )


def public_related(translation: ArticleTranslation, limit: int = 5) -> list[ArticleTranslation]:
    """Live related articles in the same language: the ones authors chose, then others from
    the same section to fill up to ``limit`` (two queries).

    Candidates are picked from the small Article table by section first; joining the large
    translation table to the section (the obvious query) scans every live translation of the
    language on SQLite."""
    article = translation.article
    chosen_ids = list(article.related.values_list("pk", flat=True)[:limit])
    neighbours = list(
        Article.objects.filter(section_id=article.section_id)
        .exclude(pk__in=[*chosen_ids, article.pk])
        .order_by("position", "id")
        .values_list("pk", flat=True)[: limit * 2]
    )
    order = {pk: i for i, pk in enumerate([*chosen_ids, *neighbours])}
    rows = (
        ArticleTranslation.objects.filter(
            article_id__in=order, language=translation.language, published_revision__isnull=False
        )
        .select_related("article")
        .defer(*LIST_DEFERRED)
    )
    return sorted(rows, key=lambda tr: order[tr.article_id])[:limit]


class ArticleLinks(TypedDict):
    """What an article page shows around the article itself."""

    languages: list[str]
    related: list[tuple[str, str]]  # (slug, title)


KB_VERSION_KEY = "kb:version"
LINKS_CACHE_SECONDS = 300


def kb_changed() -> None:
    """Forget cached article links (called on commit after every publish or unpublish)."""
    try:
        cache.incr(KB_VERSION_KEY)
    except ValueError:
        cache.set(KB_VERSION_KEY, 1, timeout=None)


def public_article_links(translation: ArticleTranslation) -> ArticleLinks:
    """The languages an article is live in and its related articles, cached until the next
    publish or unpublish anywhere (shared across nodes when the cache is Redis; otherwise at
    most LINKS_CACHE_SECONDS late on other processes)."""
    version = cache.get_or_set(KB_VERSION_KEY, 1, timeout=None)
    key = f"kb:links:{version}:{translation.pk}"
    links: ArticleLinks | None = cache.get(key)
    if links is None:
        links = {
            "languages": public_article_languages(translation.article_id),
            "related": [(tr.article.slug, tr.title) for tr in public_related(translation)],
        }
        cache.set(key, links, timeout=LINKS_CACHE_SECONDS)
    return links


def public_sitemap_rows() -> list[tuple[str, str, datetime | None, list[str]]]:
    """(slug, language, last published, all live languages) for every live translation."""
    languages: dict[int, list[str]] = {}
    rows = list(
        ArticleTranslation.objects.filter(published_revision__isnull=False)
        .order_by("article__section__category__position", "article__position", "article_id")
        .values_list("article_id", "article__slug", "language", "published_at")
    )
    for article_id, _slug, language, _at in rows:
        languages.setdefault(article_id, []).append(language)
    return [(slug, lang, at, languages[aid]) for aid, slug, lang, at in rows]
