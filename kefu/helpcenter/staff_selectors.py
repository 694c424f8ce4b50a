"""Knowledge-base reads for the staff who write it (``permissions.can_write_kb``).

Staff without a KB role are refused: a list-level read raises PermissionDenied (the feature
exists, they may ask for a role), a read of one article or revision raises NotFound whether or
not it exists, so nothing about any article is revealed. Lists load in a constant number of
queries, and leave the (up to 100 KB) bodies out unless the page shows them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal, TypedDict

from django.db.models import Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.helpcenter.languages import help_languages
from kefu.helpcenter.models import (
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleRevision,
    ArticleState,
    ArticleTranslation,
    Section,
)
from kefu.helpcenter.render import render_article
from kefu.helpcenter.services.articles import MAX_BODY

# The list's state filter: the workflow states, plus "live_changed" (live, with a newer working
# copy not yet published) and "missing" (no translation yet in the language, or in any).
StaffStateFilter = Literal["draft", "review", "published", "unpublished", "live_changed", "missing"]
STAFF_STATE_FILTERS: tuple[StaffStateFilter, ...] = (
    "draft",
    "review",
    "published",
    "unpublished",
    "live_changed",
    "missing",
)
# A translation's fields a list or an overview never shows (bodies, rendered HTML, search text).
_HEAVY_TRANSLATION_FIELDS = (
    "html",
    "search_text",
    "current_revision__body",
    "published_revision__body",
)


def _may_write(viewer: User) -> bool:
    return permissions.can_write_kb(viewer)


def _require_writer(viewer: User) -> None:
    """For list-level reads: refuse openly."""
    if not _may_write(viewer):
        raise PermissionDenied(_("You do not have permission to do that."))


def _require_writer_hidden(viewer: User) -> None:
    """For reads of one row: refuse as if the row did not exist."""
    if not _may_write(viewer):
        raise NotFound(_("No such article."))


def _light_translations() -> QuerySet[ArticleTranslation]:
    """Translations with their working and live revisions, without any body text."""
    return (
        ArticleTranslation.objects.select_related("current_revision", "published_revision")
        .defer(*_HEAVY_TRANSLATION_FIELDS)
        .order_by("language")
    )


# --- lists ----------------------------------------------------------------------------------


def kb_sections_for_staff(*, viewer: User) -> list[Section]:
    """Every section with its category, in the help center's order (for choosers)."""
    _require_writer(viewer)
    return list(
        Section.objects.select_related("category").order_by(
            "category__position", "category_id", "position", "id"
        )
    )


def _translations_in(
    *, state: StaffStateFilter | None, language: str | None
) -> QuerySet[ArticleTranslation]:
    translations = ArticleTranslation.objects.all()
    if language:
        translations = translations.filter(language=language)
    if state in ("draft", "review", "published", "unpublished"):
        translations = translations.filter(state=state)
    elif state == "live_changed":
        translations = translations.filter(published_revision__isnull=False).exclude(
            state=ArticleState.PUBLISHED
        )
    return translations


def kb_articles_for_staff(
    *,
    viewer: User,
    state: StaffStateFilter | None = None,
    language: str | None = None,
    query: str | None = None,
) -> QuerySet[Article]:
    """Articles, last edited first, with their section and every translation loaded (working
    and live revision, no bodies): three queries however many rows a page has.

    ``state`` and ``language`` narrow to articles with a translation in that state (and
    language); ``state="missing"`` finds articles with no translation in ``language`` (or in
    some help-center language). ``query`` matches slugs and working or live titles (in
    ``language`` when given).
    """
    _require_writer(viewer)
    if language and language not in help_languages():
        message = _("The help center does not publish in this language.")
        raise ValidationFailed(message, fields={"language": [message]})
    if state is not None and state not in STAFF_STATE_FILTERS:
        raise ValueError(f"unknown state filter {state!r}")
    articles = Article.objects.all()
    if state == "missing":
        missing = Q()
        for code in [language] if language else help_languages():
            missing |= ~Q(
                pk__in=ArticleTranslation.objects.filter(language=code).values("article_id")
            )
        articles = articles.filter(missing)
    elif state or language:
        articles = articles.filter(
            pk__in=_translations_in(state=state, language=language).values("article_id")
        )
    query = (query or "").strip()
    if query:
        titled = _translations_in(state=None, language=language).filter(
            Q(current_revision__title__icontains=query) | Q(title__icontains=query)
        )
        articles = articles.filter(Q(slug__icontains=query) | Q(pk__in=titled.values("article_id")))
    return (
        articles.select_related("section__category")
        .annotate(last_edited=Max("translations__updated_at"))
        .prefetch_related(Prefetch("translations", queryset=_light_translations()))
        .order_by("-last_edited", "-id")
    )


def kb_review_queue(*, viewer: User) -> QuerySet[ArticleTranslation]:
    """Translations waiting for an editor, longest waiting first."""
    _require_writer(viewer)
    return (
        _light_translations()
        .filter(state=ArticleState.REVIEW)
        .select_related("article__section__category")
        .order_by("updated_at", "id")
    )


# --- one article ----------------------------------------------------------------------------


def kb_article_for_staff(*, viewer: User, slug: str) -> Article:
    """An article with its section, translations (no bodies), related articles (with their
    translations' titles) and images; NotFound if there is none (or the viewer may not see)."""
    _require_writer_hidden(viewer)
    article = (
        Article.objects.filter(slug=slug)
        .select_related("section__category", "created_by")
        .prefetch_related(
            Prefetch("translations", queryset=_light_translations()),
            Prefetch(
                "related",
                queryset=Article.objects.order_by("slug").prefetch_related(
                    Prefetch("translations", queryset=_light_translations())
                ),
            ),
            Prefetch("images", queryset=ArticleImage.objects.order_by("-created_at", "-id")),
        )
        .first()
    )
    if article is None:
        raise NotFound(_("No such article."))
    return article


def kb_translation_for_staff(*, viewer: User, slug: str, language: str) -> ArticleTranslation:
    """One translation with its article, section, working revision (with the body: this is
    what the editor opens) and live revision; NotFound when the article has none in
    ``language``."""
    _require_writer_hidden(viewer)
    translation = (
        ArticleTranslation.objects.filter(article__slug=slug, language=language)
        .select_related("article__section__category", "current_revision", "published_revision")
        .defer("html", "search_text", "published_revision__body")
        .first()
    )
    if translation is None:
        raise NotFound(_("No such article."))
    return translation


def kb_revisions_for_staff(
    *, viewer: User, translation: ArticleTranslation
) -> QuerySet[ArticleRevision]:
    """A translation's revisions, newest first, without their bodies."""
    _require_writer_hidden(viewer)
    return ArticleRevision.objects.filter(translation=translation).defer("body").order_by("-number")


def kb_revision_for_staff(
    *, viewer: User, translation: ArticleTranslation, number: int
) -> ArticleRevision:
    """Revision ``number`` of a translation, with its body; NotFound if there is none."""
    _require_writer_hidden(viewer)
    revision = ArticleRevision.objects.filter(translation=translation, number=number).first()
    if revision is None:
        raise NotFound(_("There is no such revision."))
    return revision


def kb_images_for_staff(*, viewer: User, article: Article) -> QuerySet[ArticleImage]:
    """The images uploaded for ``article``, newest first."""
    _require_writer_hidden(viewer)
    return ArticleImage.objects.filter(article=article).order_by("-created_at", "-id")


def kb_translation_source(
    *, viewer: User, article: Article, language: str
) -> ArticleRevision | None:
    """What a translator into ``language`` works from: the working revision of another
    translation of ``article`` (the help center's default language first), or None."""
    _require_writer_hidden(viewer)
    others = [code for code in help_languages() if code != language]
    found = {
        tr.language: tr.current_revision
        for tr in ArticleTranslation.objects.filter(
            article=article, language__in=others, current_revision__isnull=False
        ).select_related("current_revision")
    }
    return next((found[code] for code in others if code in found), None)


def kb_feedback_for_staff(
    *, viewer: User, article: Article, comments_only: bool = False
) -> QuerySet[ArticleFeedback]:
    """Readers' "was this helpful?" answers on every translation of ``article``, newest first
    (each with its translation's language)."""
    _require_writer_hidden(viewer)
    feedback = ArticleFeedback.objects.filter(translation__article=article)
    if comments_only:
        feedback = feedback.exclude(comment="")
    return (
        feedback.select_related("translation")
        .only("helpful", "comment", "created_at", "translation__language")
        .order_by("-created_at", "-id")
    )


def kb_preview(*, viewer: User, body: str) -> str:
    """``body`` rendered exactly as publishing would render it (the same sanitiser)."""
    _require_writer(viewer)
    if len(body) > MAX_BODY:
        message = _("Use at most %(limit)d characters.") % {"limit": MAX_BODY}
        raise ValidationFailed(message, fields={"body": [message]})
    return render_article(body)


# --- revision differences -------------------------------------------------------------------

DiffField = Literal["title", "summary", "tags", "body"]
DIFF_FIELDS: tuple[DiffField, ...] = ("title", "summary", "tags", "body")


class DiffRow(TypedDict):
    """One line of a difference. ``text`` is plain text: templates escape it as usual."""

    kind: Literal["context", "add", "remove", "gap"]
    sign: str  # "+", "-", " " or "" for a gap (lines left out)
    old_number: int | None
    new_number: int | None
    text: str


class DiffBlock(TypedDict):
    field: DiffField
    rows: list[DiffRow]
    added: int
    removed: int


def _row(
    kind: Literal["context", "add", "remove", "gap"],
    old_number: int | None,
    new_number: int | None,
    text: str,
) -> DiffRow:
    sign = {"context": " ", "add": "+", "remove": "-", "gap": ""}[kind]
    return DiffRow(kind=kind, sign=sign, old_number=old_number, new_number=new_number, text=text)


def line_diff(old: Sequence[str], new: Sequence[str], *, context: int = 3) -> list[DiffRow]:
    """The changed lines with ``context`` unchanged lines around them (like ``diff -u``);
    a "gap" row stands for unchanged lines left out. Line numbers start at 1."""
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new))
    rows: list[DiffRow] = []
    groups = list(matcher.get_grouped_opcodes(context))
    if not groups or (len(groups) == 1 and groups[0][0][0] == "equal" and len(groups[0]) == 1):
        return []
    for index, group in enumerate(groups):
        first, last = group[0], group[-1]
        if index > 0 or first[1] > 0 or first[3] > 0:
            rows.append(_row("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    _row("context", i + 1, j + 1, old[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag in ("replace", "delete"):
                rows.extend(_row("remove", i + 1, None, old[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                rows.extend(_row("add", None, j + 1, new[j]) for j in range(j1, j2))
        if index == len(groups) - 1 and (last[2] < len(old) or last[4] < len(new)):
            rows.append(_row("gap", None, None, ""))
    return rows


def _lines(revision: ArticleRevision | None, field: DiffField) -> list[str]:
    if revision is None:
        return []
    if field == "tags":
        return [str(tag) for tag in revision.tags or []]
    if field == "body":
        return revision.body.splitlines()
    value: str = getattr(revision, field)
    return [value] if value else []


def revision_diff(old: ArticleRevision | None, new: ArticleRevision) -> list[DiffBlock]:
    """What changed from ``old`` (None: nothing, for a first revision) to ``new``: one block per
    changed field (title, summary, tags one per line, body line by line), unchanged fields
    left out; an empty list when the two have the same content."""
    blocks: list[DiffBlock] = []
    for field in DIFF_FIELDS:
        rows = line_diff(_lines(old, field), _lines(new, field))
        if rows:
            blocks.append(
                DiffBlock(
                    field=field,
                    rows=rows,
                    added=sum(1 for r in rows if r["kind"] == "add"),
                    removed=sum(1 for r in rows if r["kind"] == "remove"),
                )
            )
    return blocks
