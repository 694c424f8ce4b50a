"""Knowledge-base authoring for staff with a KB role: the pages (article list, review queue,
article overview, revision history and differences, feedback) and what they share with the
actions in ``kb_actions`` (the editor, workflow, restore, related articles, images).

Every page reads through ``kefu.helpcenter.staff_selectors`` (staff without a KB role get a 403
on the lists and a 404 on anything about one article) and every change goes through
``kefu.helpcenter.services.articles``, which enforces the author / editor split again: the
publish buttons are only hidden from authors, a POST from one is still refused (403).
"""

from __future__ import annotations

import re
from typing import Any, TypedDict
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation as translation_utils
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import KefuError, NotFound, PermissionDenied
from kefu.helpcenter.languages import best_language, help_languages, pick
from kefu.helpcenter.models import (
    Article,
    ArticleImage,
    ArticleRevision,
    ArticleState,
    ArticleTranslation,
)
from kefu.helpcenter.staff_selectors import (
    StaffStateFilter,
    kb_article_for_staff,
    kb_articles_for_staff,
    kb_feedback_for_staff,
    kb_preview,
    kb_review_queue,
    kb_revision_for_staff,
    kb_revisions_for_staff,
    kb_translation_for_staff,
    revision_diff,
)
from kefu.workspace.access import agent_required, current_agent, page_context
from kefu.workspace.kb_forms import (
    CompareForm,
    ImageForm,
    KbFilterForm,
    RelatedForm,
    language_choices,
)

PAGE_SIZE = 50
MEDIA_PREFIX = "/help/media/"


class Badge(TypedDict):
    css: str
    label: str


class TranslationRow(TypedDict):
    """One language of an article, with everything its row or cell shows worked out."""

    language: str
    language_label: str
    exists: bool
    title: str
    badges: list[Badge]
    revision: int | None  # the working revision's number
    live_revision: int | None
    views: int
    helpful: str  # "80%" or "" without answers
    helpful_yes: int
    helpful_no: int
    can_submit: bool
    can_publish: bool
    can_unpublish: bool
    edit_url: str
    history_url: str
    changes_url: str  # the working revision against the live one (or the one before)


# --- shared bits ----------------------------------------------------------------------------


def kb_context(request: HttpRequest, kb_active: str, **extra: Any) -> dict[str, Any]:
    return {
        **page_context(request, "kb"),
        "kb_active": kb_active,
        "can_publish": permissions.can_publish_kb(current_agent(request)),
        **extra,
    }


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        "application/json" in request.headers.get("Accept", "")
    )


def back_to(request: HttpRequest, default: str) -> HttpResponse:
    """To the page the form was on (a ``next`` field on this site), else ``default``."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and safe else default)


def ui_help_language() -> str:
    return best_language(translation_utils.get_language())


def language_labels() -> dict[str, str]:
    return dict(language_choices())


def helpful_percent(yes: int, no: int) -> str:
    total = yes + no
    return f"{round(100 * yes / total)}%" if total else ""


def state_badges(translation: ArticleTranslation) -> list[Badge]:
    """Draft / In review / Published / Unpublished, plus "Live with unpublished changes" when
    customers read an older revision than the working one."""
    state = ArticleState(translation.state)
    badges = [Badge(css=f"kb-state-{state.value}", label=str(state.label))]
    if translation.published_revision_id and state != ArticleState.PUBLISHED:
        badges.append(Badge(css="kb-state-live-changed", label=_("Live with unpublished changes")))
    return badges


def revision_number(revision: ArticleRevision | None) -> int | None:
    return revision.number if revision is not None else None


def translation_row(
    article: Article,
    language: str,
    translation: ArticleTranslation | None,
    *,
    can_publish: bool,
    labels: dict[str, str],
) -> TranslationRow:
    edit_url = reverse("workspace:kb_edit", kwargs={"slug": article.slug, "lang": language})
    if translation is None:
        return TranslationRow(
            language=language,
            language_label=labels.get(language, language),
            exists=False,
            title="",
            badges=[],
            revision=None,
            live_revision=None,
            views=0,
            helpful="",
            helpful_yes=0,
            helpful_no=0,
            can_submit=False,
            can_publish=False,
            can_unpublish=False,
            edit_url=edit_url,
            history_url="",
            changes_url="",
        )
    current = translation.current_revision
    live = translation.published_revision
    number = revision_number(current)
    history_url = reverse("workspace:kb_history", kwargs={"slug": article.slug, "lang": language})
    changes_url = ""
    if number is not None:
        changes_url = reverse(
            "workspace:kb_revision",
            kwargs={"slug": article.slug, "lang": language, "number": number},
        )
        if live is not None and live.number != number:
            changes_url += "?" + urlencode({"against": live.number})
    return TranslationRow(
        language=language,
        language_label=labels.get(language, language),
        exists=True,
        title=current.title if current is not None else translation.title,
        badges=state_badges(translation),
        revision=number,
        live_revision=revision_number(live),
        views=translation.view_count,
        helpful=helpful_percent(translation.helpful_yes, translation.helpful_no),
        helpful_yes=translation.helpful_yes,
        helpful_no=translation.helpful_no,
        can_submit=translation.state in (ArticleState.DRAFT, ArticleState.UNPUBLISHED),
        can_publish=can_publish
        and current is not None
        and not (translation.state == ArticleState.PUBLISHED and live == current),
        can_unpublish=can_publish and live is not None,
        edit_url=edit_url,
        history_url=history_url,
        changes_url=changes_url,
    )


def image_markdown(image: ArticleImage, alt: str = "") -> str:
    """The snippet that shows ``image`` in an article: ``![alt](/help/media/<id>/<name>)``."""
    text = alt.strip() or image.filename.rsplit(".", 1)[0]
    text = " ".join(re.sub(r"[\[\]\\]", " ", text).split()) or "image"
    return f"![{text}]({MEDIA_PREFIX}{image.pk}/{quote(image.filename, safe='')})"


def service_flash(request: HttpRequest, exc: KefuError) -> None:
    """A refused action is a 403 page; anything else a service refuses is an error flash."""
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    messages.error(request, exc.message)


def paginate(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def preview_of(viewer: User, body: str) -> tuple[str, str]:
    """(html, error) of a body for the server-rendered preview pane."""
    try:
        return kb_preview(viewer=viewer, body=body), ""
    except PermissionDenied:
        raise
    except KefuError as exc:
        return "", exc.message


# --- lists ----------------------------------------------------------------------------------


@require_GET
@agent_required
def kb_list(request: HttpRequest) -> HttpResponse:
    """Articles with their state in every language, views and helpfulness; filters, search."""
    viewer = current_agent(request)
    form = KbFilterForm(request.GET)
    error = ""
    state: StaffStateFilter | None = None
    language: str | None = None
    query = ""
    if form.is_valid():
        state = form.cleaned_data["state"] or None
        language = form.cleaned_data["language"] or None
        query = form.cleaned_data["q"]
    else:
        error = _("Some filters are not valid. Check them and try again.")
    articles = kb_articles_for_staff(viewer=viewer, state=state, language=language, query=query)
    page = paginate(request, articles if not error else articles.none())
    can_publish = permissions.can_publish_kb(viewer)
    labels = language_labels()
    ui_language = ui_help_language()
    rows = []
    for article in page.object_list:
        by_language = {t.language: t for t in article.translations.all()}
        cells = [
            translation_row(
                article, code, by_language.get(code), can_publish=can_publish, labels=labels
            )
            for code in help_languages()
        ]
        translations = list(by_language.values())
        yes = sum(t.helpful_yes for t in translations)
        no = sum(t.helpful_no for t in translations)
        rows.append(
            {
                "slug": article.slug,
                "url": reverse("workspace:kb_article", kwargs={"slug": article.slug}),
                "section": section_label(article, ui_language),
                "cells": cells,
                "views": sum(t.view_count for t in translations),
                "helpful": helpful_percent(yes, no),
                "votes": yes + no,
                "last_edited": getattr(article, "last_edited", None),
            }
        )
    filtered = any(request.GET.get(k) for k in ("q", "state", "language"))
    return TemplateResponse(
        request,
        "workspace/kb_list.html",
        kb_context(
            request,
            "list",
            form=form,
            rows=rows,
            page=page,
            languages=[(code, labels.get(code, code)) for code in help_languages()],
            error=error,
            filtered=filtered,
        ),
        status=400 if error else 200,
    )


def section_label(article: Article, language: str) -> str:
    section = article.section
    category = section.category
    category_name = pick(category.names, language) or category.slug
    return f"{category_name} › {pick(section.names, language) or section.slug}"


@require_GET
@agent_required
def kb_review(request: HttpRequest) -> HttpResponse:
    """Translations waiting for an editor, longest waiting first."""
    viewer = current_agent(request)
    page = paginate(request, kb_review_queue(viewer=viewer))
    labels = language_labels()
    can_publish = permissions.can_publish_kb(viewer)
    rows = [
        {
            "translation": tr,
            "row": translation_row(
                tr.article, tr.language, tr, can_publish=can_publish, labels=labels
            ),
            "article_url": reverse("workspace:kb_article", kwargs={"slug": tr.article.slug}),
            "author": tr.current_revision.author_label if tr.current_revision else "",
        }
        for tr in page.object_list
    ]
    return TemplateResponse(
        request, "workspace/kb_review.html", kb_context(request, "review", rows=rows, page=page)
    )


# --- history --------------------------------------------------------------------------------


@require_GET
@agent_required
def kb_history(request: HttpRequest, slug: str, lang: str) -> HttpResponse:
    viewer = current_agent(request)
    translation = kb_translation_for_staff(viewer=viewer, slug=slug, language=lang)
    page = paginate(request, kb_revisions_for_staff(viewer=viewer, translation=translation))
    return TemplateResponse(
        request,
        "workspace/kb_history.html",
        kb_context(
            request,
            "list",
            article=translation.article,
            translation=translation,
            language_label=language_labels().get(lang, lang),
            page=page,
        ),
    )


@require_GET
@agent_required
def kb_revision(request: HttpRequest, slug: str, lang: str, number: int) -> HttpResponse:
    """One revision: what changed against the one before it (or ``?against=N``), how it
    reads, and a button to restore it."""
    viewer = current_agent(request)
    translation = kb_translation_for_staff(viewer=viewer, slug=slug, language=lang)
    revision = kb_revision_for_staff(viewer=viewer, translation=translation, number=number)
    compare = CompareForm(request.GET)
    against = number - 1
    if compare.is_valid() and compare.cleaned_data["against"] is not None:
        against = compare.cleaned_data["against"]
    old = (
        kb_revision_for_staff(viewer=viewer, translation=translation, number=against)
        if against >= 1
        else None
    )
    numbers = list(
        kb_revisions_for_staff(viewer=viewer, translation=translation).values_list(
            "number", flat=True
        )
    )
    preview_html, preview_error = preview_of(viewer, revision.body)
    return TemplateResponse(
        request,
        "workspace/kb_revision.html",
        kb_context(
            request,
            "list",
            article=translation.article,
            translation=translation,
            language_label=language_labels().get(lang, lang),
            revision=revision,
            old=old,
            against=against,
            numbers=[n for n in numbers if n != number],
            diff=revision_diff(old, revision),
            preview_html=preview_html,
            preview_error=preview_error,
            is_current=translation.current_revision_id == revision.pk,
            is_live=translation.published_revision_id == revision.pk,
        ),
    )


# --- one article: overview, related articles, images, feedback ------------------------------


def render_article_page(
    request: HttpRequest,
    article: Article,
    *,
    related_form: RelatedForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = current_agent(request)
    can_publish = permissions.can_publish_kb(viewer)
    labels = language_labels()
    ui_language = ui_help_language()
    by_language = {t.language: t for t in article.translations.all()}
    related = []
    for other in article.related.all():
        titles = {t.language: t for t in other.translations.all()}
        shown = titles.get(ui_language) or next(iter(titles.values()), None)
        title = ""
        if shown is not None:
            title = shown.current_revision.title if shown.current_revision else shown.title
        related.append(
            {
                "slug": other.slug,
                "title": title,
                "url": reverse("workspace:kb_article", kwargs={"slug": other.slug}),
            }
        )
    if related_form is None:
        related_form = RelatedForm(initial={"related": ", ".join(r["slug"] for r in related)})
    translations = list(by_language.values())
    return TemplateResponse(
        request,
        "workspace/kb_article.html",
        kb_context(
            request,
            "list",
            article=article,
            section=section_label(article, ui_language),
            rows=[
                translation_row(
                    article, code, by_language.get(code), can_publish=can_publish, labels=labels
                )
                for code in help_languages()
            ],
            related=related,
            related_form=related_form,
            images=[
                {"image": image, "markdown": image_markdown(image)}
                for image in article.images.all()
            ],
            image_form=ImageForm(auto_id="image_%s"),
            views=sum(t.view_count for t in translations),
            helpful_yes=sum(t.helpful_yes for t in translations),
            helpful_no=sum(t.helpful_no for t in translations),
        ),
        status=status,
    )


@require_GET
@agent_required
def kb_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = kb_article_for_staff(viewer=current_agent(request), slug=slug)
    return render_article_page(request, article)


@require_GET
@agent_required
def kb_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """Readers' answers to "was this helpful?", newest first, with the counts and views."""
    viewer = current_agent(request)
    article = kb_article_for_staff(viewer=viewer, slug=slug)
    comments_only = request.GET.get("comments") == "1"
    page = paginate(
        request, kb_feedback_for_staff(viewer=viewer, article=article, comments_only=comments_only)
    )
    labels = language_labels()
    by_language = {t.language: t for t in article.translations.all()}
    rows = [
        translation_row(
            article,
            code,
            by_language.get(code),
            can_publish=False,
            labels=labels,
        )
        for code in help_languages()
    ]
    return TemplateResponse(
        request,
        "workspace/kb_feedback.html",
        kb_context(
            request,
            "list",
            article=article,
            rows=rows,
            page=page,
            comments_only=comments_only,
            labels=labels,
        ),
    )
