"""Knowledge-base authoring: the writes. New article, the editor (a new revision per save, with
the revision it started from so a save over a newer one is a Conflict), the live preview
endpoint, the workflow (review, publish, unpublish), restore, related articles and images.

Each view loads through a staff selector first (a 404 for staff without a KB role) and calls
one service; services refuse authors what only editors may do, and that refusal is a 403 with
nothing changed. POST, then redirect with a flash; forms with text worth keeping re-render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation as translation_utils
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts import permissions
from kefu.core.errors import Conflict, KefuError, NotFound, PermissionDenied
from kefu.core.forms import add_service_error
from kefu.helpcenter.languages import best_language, require_language
from kefu.helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
)
from kefu.helpcenter.services.articles import (
    article_create,
    article_image_add,
    article_publish,
    article_restore,
    article_submit_for_review,
    article_translation_save,
    article_unpublish,
    article_update,
)
from kefu.helpcenter.staff_selectors import (
    kb_article_for_staff,
    kb_images_for_staff,
    kb_preview,
    kb_sections_for_staff,
    kb_translation_for_staff,
    kb_translation_source,
)
from kefu.workspace.access import agent_required, current_actor, current_agent
from kefu.workspace.forms import read_uploads
from kefu.workspace.kb_forms import (
    ArticleCreateForm,
    ImageForm,
    RelatedForm,
    RestoreForm,
    TranslationForm,
)
from kefu.workspace.views.kb import (
    back_to,
    image_markdown,
    kb_context,
    language_labels,
    preview_of,
    render_article_page,
    revision_number,
    service_flash,
    translation_row,
    ui_help_language,
    wants_json,
)

# The preview's form-encoded request: 100,000 characters of Chinese are ~900 KB once
# percent-encoded; anything larger cannot be a body the service would accept.
PREVIEW_MAX_REQUEST_BYTES = 1_000_000


# --- creating and editing -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_required
def kb_new(request: HttpRequest) -> HttpResponse:
    """A new article: its section and slug, and its first translation as a draft."""
    viewer = current_agent(request)
    sections = kb_sections_for_staff(viewer=viewer)
    posted = request.method == "POST"
    previewing = posted and request.POST.get("action") == "preview"
    form = ArticleCreateForm(
        request.POST if posted and not previewing else None,
        sections=sections,
        ui_language=ui_help_language(),
        initial=(
            request.POST.dict()
            if previewing
            else {"language": best_language(translation_utils.get_language())}
        ),
    )
    status = 200
    preview_html, preview_error = "", ""
    if previewing:
        preview_html, preview_error = preview_of(viewer, request.POST.get("body", ""))
    elif posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = article_create(
                    section=data["section"],
                    slug=data["slug"],
                    language=data["language"],
                    title=data["title"],
                    body=data["body"],
                    summary=data["summary"],
                    tags=data["tags"],
                    actor=current_actor(request),
                )
            except PermissionDenied:
                raise
            except KefuError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Article created as a draft."))
                return redirect(
                    "workspace:kb_edit", slug=created.article.slug, lang=created.language
                )
    return TemplateResponse(
        request,
        "workspace/kb_new.html",
        kb_context(
            request,
            "new",
            form=form,
            has_sections=bool(sections),
            preview_html=preview_html,
            preview_error=preview_error,
        ),
        status=status,
    )


@require_POST
@agent_required
def kb_preview_view(request: HttpRequest) -> JsonResponse:
    """The editor's live preview: ``{"html": ...}`` rendered and sanitised as publishing
    would; ``{"error": ...}`` with the error's status otherwise."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > PREVIEW_MAX_REQUEST_BYTES:
        return JsonResponse({"error": _("The text is too long to preview.")}, status=413)
    try:
        html = kb_preview(viewer=current_agent(request), body=request.POST.get("body", ""))
    except KefuError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse({"html": html})


def _edit_target(
    request: HttpRequest, slug: str, lang: str
) -> tuple[Article, ArticleTranslation | None]:
    """The article and its translation in ``lang`` (None: not translated yet)."""
    viewer = current_agent(request)
    try:
        translation = kb_translation_for_staff(viewer=viewer, slug=slug, language=lang)
    except NotFound:
        article = kb_article_for_staff(viewer=viewer, slug=slug)  # NotFound if no article
        return article, None
    return translation.article, translation


@require_http_methods(["GET", "POST"])
@agent_required
def kb_edit(request: HttpRequest, slug: str, lang: str) -> HttpResponse:
    """Edit a translation (a new revision per save), or add a missing one. The form carries
    the revision it started from: the service refuses to save over a newer one (Conflict)."""
    viewer = current_agent(request)
    article, translation = _edit_target(request, slug, lang)
    lang = require_language(lang)
    current = translation.current_revision if translation is not None else None
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    status = 200
    preview_html, preview_error = "", ""
    if action == "preview":
        # Show the text as posted, unsaved and unvalidated (no errors for a half-written draft).
        form = TranslationForm(initial=request.POST.dict())
        preview_html, preview_error = preview_of(viewer, request.POST.get("body", ""))
    elif request.method == "POST":
        form = TranslationForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                return _save_translation(request, article, lang, current, form, action)
            except Conflict as exc:
                add_service_error(form, exc)
                status = 409
            except PermissionDenied:
                raise
            except KefuError as exc:
                add_service_error(form, exc)
    else:
        initial: dict[str, Any] = {"base_revision": current.number if current else 0}
        if current is not None:
            initial |= {
                "title": current.title,
                "summary": current.summary,
                "tags": ", ".join(current.tags or []),
                "body": current.body,
            }
            preview_html, preview_error = preview_of(viewer, current.body)
        form = TranslationForm(initial=initial)
    can_publish = permissions.can_publish_kb(viewer)
    labels = language_labels()
    return TemplateResponse(
        request,
        "workspace/kb_edit.html",
        kb_context(
            request,
            "list",
            article=article,
            translation=translation,
            language=lang,
            language_label=labels.get(lang, lang),
            row=translation_row(article, lang, translation, can_publish=can_publish, labels=labels),
            form=form,
            preview_html=preview_html,
            preview_error=preview_error,
            reference=(
                kb_translation_source(viewer=viewer, article=article, language=lang)
                if translation is None
                else None
            ),
            images=[
                {"image": image, "markdown": image_markdown(image)}
                for image in kb_images_for_staff(viewer=viewer, article=article)
            ],
            image_form=ImageForm(auto_id="image_%s"),
        ),
        status=status,
    )


def _save_translation(
    request: HttpRequest,
    article: Article,
    language: str,
    current: ArticleRevision | None,
    form: forms.Form,
    action: str,
) -> HttpResponse:
    data = form.cleaned_data
    actor = current_actor(request)
    saved = article_translation_save(
        article=article,
        language=language,
        title=data["title"],
        body=data["body"],
        summary=data["summary"],
        tags=data["tags"],
        note=data["note"],
        base_revision=data["base_revision"],
        actor=actor,
    )
    revision = saved.current_revision
    assert revision is not None
    if current is not None and revision.pk == current.pk:
        messages.info(request, _("Nothing changed since revision %(n)d.") % {"n": revision.number})
    else:
        messages.success(request, _("Saved as revision %(n)d.") % {"n": revision.number})
    if action == "submit":
        try:
            article_submit_for_review(translation=saved, actor=actor)
        except KefuError as exc:
            service_flash(request, exc)
        else:
            messages.success(request, _("Sent for review."))
            return redirect("workspace:kb_article", slug=article.slug)
    return redirect("workspace:kb_edit", slug=article.slug, lang=language)


# --- workflow -------------------------------------------------------------------------------


def _workflow(
    request: HttpRequest, slug: str, lang: str, perform: Any, success: str
) -> HttpResponse:
    translation = kb_translation_for_staff(viewer=current_agent(request), slug=slug, language=lang)
    try:
        done = perform(translation=translation, actor=current_actor(request))
    except KefuError as exc:
        service_flash(request, exc)
    else:
        messages.success(request, success % {"n": revision_number(done.current_revision) or 0})
    return back_to(request, reverse("workspace:kb_article", kwargs={"slug": slug}))


@require_POST
@agent_required
def kb_submit(request: HttpRequest, slug: str, lang: str) -> HttpResponse:
    return _workflow(
        request, slug, lang, article_submit_for_review, _("Revision %(n)d sent for review.")
    )


@require_POST
@agent_required
def kb_publish(request: HttpRequest, slug: str, lang: str) -> HttpResponse:
    return _workflow(request, slug, lang, article_publish, _("Revision %(n)d is published."))


@require_POST
@agent_required
def kb_unpublish(request: HttpRequest, slug: str, lang: str) -> HttpResponse:
    return _workflow(
        request,
        slug,
        lang,
        article_unpublish,
        _("Unpublished: customers no longer see this translation."),
    )


# --- history --------------------------------------------------------------------------------


@require_POST
@agent_required
def kb_restore(request: HttpRequest, slug: str, lang: str) -> HttpResponse:
    """Copy an old revision into a new draft revision."""
    translation = kb_translation_for_staff(viewer=current_agent(request), slug=slug, language=lang)
    form = RestoreForm(request.POST)
    edit_url = reverse("workspace:kb_edit", kwargs={"slug": slug, "lang": lang})
    if not form.is_valid():
        messages.error(request, _("Choose a revision to restore."))
        return redirect(edit_url)
    number = form.cleaned_data["revision"]
    before = translation.current_revision_id
    try:
        restored = article_restore(
            translation=translation, revision_number=number, actor=current_actor(request)
        )
    except KefuError as exc:
        service_flash(request, exc)
        return back_to(request, edit_url)
    revision = restored.current_revision
    assert revision is not None
    if revision.pk == before:
        messages.info(
            request, _("Revision %(n)d has the same content as the current one.") % {"n": number}
        )
    else:
        messages.success(
            request,
            _("Revision %(old)d restored as revision %(new)d, a draft.")
            % {"old": number, "new": revision.number},
        )
    return redirect(edit_url)


# --- one article: related articles and images ----------------------------------------------


@require_POST
@agent_required
def kb_related(request: HttpRequest, slug: str) -> HttpResponse:
    """Set the related articles (editors; the service refuses authors)."""
    article = kb_article_for_staff(viewer=current_agent(request), slug=slug)
    form = RelatedForm(request.POST)
    if form.is_valid():
        try:
            article_update(
                article=article,
                related_slugs=form.cleaned_data["related"],
                actor=current_actor(request),
            )
        except PermissionDenied:
            raise
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Related articles saved."))
            return redirect("workspace:kb_article", slug=slug)
    return render_article_page(request, article, related_form=form, status=400)


@require_POST
@agent_required
def kb_image(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload an image for the article. Answers with the Markdown that shows it: as JSON
    (``{"ok": true, "markdown": ..., "message": ...}``) for the editor's script, else in a
    flash on the page the form was on."""
    article = kb_article_for_staff(viewer=current_agent(request), slug=slug)
    as_json = wants_json(request)
    form = ImageForm(request.POST, request.FILES)
    back = reverse("workspace:kb_article", kwargs={"slug": slug})
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if as_json:
            return JsonResponse({"ok": False, "error": error}, status=400)
        messages.error(request, error)
        return back_to(request, back)
    try:
        (upload,) = read_uploads([form.cleaned_data["image"]])
        image = article_image_add(article=article, upload=upload, actor=current_actor(request))
    except PermissionDenied:
        raise
    except KefuError as exc:
        if as_json:
            return JsonResponse({"ok": False, "error": exc.message}, status=400)
        messages.error(request, exc.message)
        return back_to(request, back)
    markdown = image_markdown(image, form.cleaned_data["alt"])
    if as_json:
        return JsonResponse(
            {
                "ok": True,
                "markdown": markdown,
                "message": _("Image uploaded and inserted into the text."),
            }
        )
    messages.success(
        request,
        _("Image uploaded. Put this in the text to show it: %(markdown)s") % {"markdown": markdown},
    )
    return back_to(request, back)
