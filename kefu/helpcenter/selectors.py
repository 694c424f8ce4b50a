"""Public reads of the official contact options (no permission needed: customers see them)."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kefu.core.errors import NotFound
from kefu.helpcenter.languages import pick
from kefu.helpcenter.models import ArticleTranslation, Category, ContactOption, Section


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


class PublicCategory(TypedDict):
    slug: str
    name: str
    description: str
    sections: list[PublicSection]
    article_count: int


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


def live_translations(language: str) -> QuerySet[ArticleTranslation]:
    """Published translations in ``language``, with their article and section loaded."""
    return ArticleTranslation.objects.filter(
        language=language, published_revision__isnull=False
    ).select_related("article__section__category")


def public_categories(language: str) -> list[PublicCategory]:
    """Categories with their sections and live articles in ``language`` (three queries).
    Categories and sections with no live article in the language are left out."""
    by_section: dict[int, list[ArticleTranslation]] = {}
    for tr in live_translations(language).order_by("article__position", "article_id"):
        by_section.setdefault(tr.article.section_id, []).append(tr)
    result: list[PublicCategory] = []
    sections = Section.objects.order_by("position", "id")
    grouped: dict[int, list[Section]] = {}
    for section in sections:
        grouped.setdefault(section.category_id, []).append(section)
    for category in Category.objects.order_by("position", "id"):
        rows: list[PublicSection] = [
            {
                "slug": s.slug,
                "name": pick(s.names, language),
                "description": pick(s.descriptions, language),
                "articles": by_section[s.pk],
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
                    "article_count": sum(len(r["articles"]) for r in rows),
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
    the same section to fill up to ``limit``."""
    chosen = list(
        live_translations(translation.language).filter(
            article__in=translation.article.related.all()
        )[:limit]
    )
    if len(chosen) < limit:
        seen = [tr.article_id for tr in chosen] + [translation.article_id]
        chosen += list(
            live_translations(translation.language)
            .filter(article__section_id=translation.article.section_id)
            .exclude(article_id__in=seen)
            .order_by("article__position", "article_id")[: limit - len(chosen)]
        )
    return chosen


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
