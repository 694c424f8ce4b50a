"""Knowledge-base structure: the categories and their sections.

Staff who write the knowledge base (``permissions.can_write_kb``) see the structure page, so
authors know where an article can go; only editors (``permissions.can_publish_kb``) get the
forms that create and change categories and sections. Every change goes through
``category_save`` / ``section_save``, which refuse anyone else again (403, nothing written).
Staff without a KB role get a 403 on the list and the "new category" form, and a 404 on
anything about one category or section, as on the article pages.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import KefuError, NotFound, PermissionDenied
from kefu.core.forms import add_service_error
from kefu.helpcenter.languages import help_languages, pick
from kefu.helpcenter.models import Article, Category, Section
from kefu.helpcenter.services.articles import MAX_POSITION, category_save, section_save
from kefu.workspace.access import agent_required, current_actor, current_agent
from kefu.workspace.kb_structure_forms import (
    CategoryForm,
    SectionForm,
    StructureForm,
    local_language_name,
)
from kefu.workspace.views.kb import kb_context, ui_help_language


class Name(TypedDict):
    language: str
    language_label: str
    text: str  # "" when there is no name in this language yet


class SectionRow(TypedDict):
    pk: int
    slug: str
    name: Name
    other_names: list[Name]
    position: int
    live_articles: int
    edit_url: str


class CategoryRow(TypedDict):
    pk: int
    slug: str
    name: Name
    other_names: list[Name]
    position: int
    sections: list[SectionRow]
    edit_url: str
    new_section_url: str


# --- reads ----------------------------------------------------------------------------------
# Staff reads of the structure, checking the viewer as kefu.helpcenter.staff_selectors does (a
# list refuses openly, one row answers as if it did not exist). They belong in that module and
# are here only until it can take them (it was being changed when this page was written).


def _require_writer(viewer: User) -> None:
    if not permissions.can_write_kb(viewer):
        raise PermissionDenied(_("You do not have permission to do that."))


def _require_editor(viewer: User) -> None:
    if not permissions.can_publish_kb(viewer):
        raise PermissionDenied(_("You do not have permission to do that."))


def _category_for_staff(viewer: User, pk: int) -> Category:
    category = Category.objects.filter(pk=pk).first() if permissions.can_write_kb(viewer) else None
    if category is None:
        raise NotFound(_("No such category."))
    return category


def _section_for_staff(viewer: User, pk: int) -> Section:
    section = (
        Section.objects.select_related("category").filter(pk=pk).first()
        if permissions.can_write_kb(viewer)
        else None
    )
    if section is None:
        raise NotFound(_("No such section."))
    return section


def _categories() -> list[Category]:
    return list(Category.objects.order_by("position", "id"))


def _live_article_counts() -> dict[int, int]:
    """Section id -> how many of its articles customers can read in some language (one
    aggregate query)."""
    return dict(
        Article.objects.filter(translations__published_revision__isnull=False)
        .order_by()
        .values("section_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("section_id", "n")
    )


def _next_position(queryset: Any) -> int:
    """One after the last position in use, so a new entry goes to the end by default."""
    last = queryset.aggregate(last=Max("position"))["last"]
    return 0 if last is None else min(last + 1, MAX_POSITION)


# --- the page -------------------------------------------------------------------------------


def _names(values: dict[str, str], language: str) -> tuple[Name, list[Name]]:
    """The name to show first (the viewer's language, else the first one there is) and the
    other languages' names (empty text where a translation is missing)."""
    values = values or {}
    first = language if values.get(language) else ""
    if not first:
        first = next((code for code in help_languages() if values.get(code)), language)
    shown = Name(
        language=first,
        language_label=local_language_name(first),
        text=values.get(first) or pick(values, language),
    )
    others = [
        Name(language=code, language_label=local_language_name(code), text=values.get(code, ""))
        for code in help_languages()
        if code != first
    ]
    return shown, others


@require_GET
@agent_required
def kb_structure(request: HttpRequest) -> HttpResponse:
    """Categories in order with their sections: names, slugs, positions and live articles.
    Three queries however large the structure: categories, sections, and the article counts."""
    viewer = current_agent(request)
    _require_writer(viewer)
    language = ui_help_language()
    counts = _live_article_counts()
    by_category: dict[int, list[SectionRow]] = {}
    for section in Section.objects.order_by("position", "id"):
        name, other_names = _names(section.names, language)
        by_category.setdefault(section.category_id, []).append(
            SectionRow(
                pk=section.pk,
                slug=section.slug,
                name=name,
                other_names=other_names,
                position=section.position,
                live_articles=counts.get(section.pk, 0),
                edit_url=reverse("workspace:kb_section_edit", kwargs={"pk": section.pk}),
            )
        )
    categories = []
    for category in _categories():
        name, other_names = _names(category.names, language)
        categories.append(
            CategoryRow(
                pk=category.pk,
                slug=category.slug,
                name=name,
                other_names=other_names,
                position=category.position,
                sections=by_category.get(category.pk, []),
                edit_url=reverse("workspace:kb_category_edit", kwargs={"pk": category.pk}),
                new_section_url=reverse("workspace:kb_section_new", kwargs={"pk": category.pk}),
            )
        )
    return TemplateResponse(
        request,
        "workspace/kb_structure.html",
        kb_context(request, "structure", categories=categories),
    )


# --- the forms ------------------------------------------------------------------------------


def _render_form(
    request: HttpRequest,
    form: StructureForm,
    *,
    heading: str,
    submit_label: str,
    note: str = "",
    status: int = 200,
) -> HttpResponse:
    return TemplateResponse(
        request,
        "workspace/kb_structure_form.html",
        kb_context(
            request,
            "structure",
            form=form,
            heading=heading,
            submit_label=submit_label,
            note=note,
            moves=isinstance(form, SectionForm) and form.moves,
        ),
        status=status,
    )


def _saved(request: HttpRequest, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("workspace:kb_structure") + f"#{anchor}")


def _category_form(
    request: HttpRequest, category: Category | None, *, heading: str, submit_label: str
) -> HttpResponse:
    if request.method != "POST":
        initial = (
            CategoryForm.initial_for(
                slug=category.slug,
                position=category.position,
                names=category.names,
                descriptions=category.descriptions,
            )
            if category is not None
            else {"position": _next_position(Category.objects.all())}
        )
        return _render_form(
            request, CategoryForm(initial=initial), heading=heading, submit_label=submit_label
        )
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            saved = category_save(
                category=category,
                slug=form.cleaned_data["slug"],
                names=form.names(),
                descriptions=form.descriptions(),
                position=form.cleaned_data["position"],
                actor=current_actor(request),
            )
        except PermissionDenied:
            raise
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            message = _("Category saved.") if category is not None else _("Category created.")
            return _saved(request, message, f"category-{saved.pk}")
    return _render_form(request, form, heading=heading, submit_label=submit_label, status=400)


@require_http_methods(["GET", "POST"])
@agent_required
def kb_category_new(request: HttpRequest) -> HttpResponse:
    _require_editor(current_agent(request))
    return _category_form(
        request, None, heading=_("New category"), submit_label=_("Create category")
    )


@require_http_methods(["GET", "POST"])
@agent_required
def kb_category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = current_agent(request)
    category = _category_for_staff(viewer, pk)
    _require_editor(viewer)
    return _category_form(
        request,
        category,
        heading=_("Edit category %(slug)s") % {"slug": category.slug},
        submit_label=_("Save category"),
    )


def _section_form(
    request: HttpRequest,
    section: Section | None,
    category: Category,
    *,
    heading: str,
    submit_label: str,
    note: str,
) -> HttpResponse:
    # Editing can move the section, so the form chooses among all the categories.
    categories = _categories() if section is not None else None
    language = ui_help_language()
    if request.method != "POST":
        if section is not None:
            initial = SectionForm.initial_for(
                slug=section.slug,
                position=section.position,
                names=section.names,
                descriptions=section.descriptions,
            )
            initial["category"] = section.category_id
        else:
            initial = {"position": _next_position(category.sections.all())}
        form = SectionForm(initial=initial, categories=categories, ui_language=language)
        return _render_form(request, form, heading=heading, submit_label=submit_label, note=note)
    form = SectionForm(request.POST, categories=categories, ui_language=language)
    if form.is_valid():
        try:
            saved = section_save(
                section=section,
                category=form.cleaned_data["category"] if form.moves else category,
                slug=form.cleaned_data["slug"],
                names=form.names(),
                descriptions=form.descriptions(),
                position=form.cleaned_data["position"],
                actor=current_actor(request),
            )
        except PermissionDenied:
            raise
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            message = _("Section saved.") if section is not None else _("Section created.")
            return _saved(request, message, f"section-{saved.pk}")
    return _render_form(
        request, form, heading=heading, submit_label=submit_label, note=note, status=400
    )


@require_http_methods(["GET", "POST"])
@agent_required
def kb_section_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new section in the category ``pk``."""
    viewer = current_agent(request)
    category = _category_for_staff(viewer, pk)
    _require_editor(viewer)
    return _section_form(
        request,
        None,
        category,
        heading=_("New section"),
        submit_label=_("Create section"),
        note=_("In the category %(name)s")
        % {"name": pick(category.names, ui_help_language()) or category.slug},
    )


@require_http_methods(["GET", "POST"])
@agent_required
def kb_section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a section, or move it to another category."""
    viewer = current_agent(request)
    section = _section_for_staff(viewer, pk)
    _require_editor(viewer)
    return _section_form(
        request,
        section,
        section.category,
        heading=_("Edit section %(slug)s") % {"slug": section.slug},
        submit_label=_("Save section"),
        note="",
    )
