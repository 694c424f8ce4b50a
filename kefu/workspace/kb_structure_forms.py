"""Forms of the knowledge base's structure pages (categories and sections). One name and one
description field per help-center language, made from ``help_languages()`` so adding a language
is configuration only. Field names match the services' error fields (``names_en``,
``descriptions_zh-hans``, ``slug``, ``position``) so ``add_service_error`` puts each error on
its field. The services validate the content again and decide who may save."""

from __future__ import annotations

from typing import Any, TypedDict

from django import forms
from django.utils.translation import get_language_info, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from kefu.helpcenter.languages import help_languages, pick
from kefu.helpcenter.models import Category
from kefu.helpcenter.services.articles import MAX_POSITION, SLUG

# The services accept up to 300 characters per name and description; the form says so to the
# browser (maxlength) and refuses longer input before the service does.
MAX_NAME = 300
# Category.slug and Section.slug are 80-character columns (the services allow 100).
MAX_SLUG = 80


def local_language_name(code: str) -> str:
    """A language's name in that language ("English", "简体中文"), else its code."""
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


class LanguageFields(TypedDict):
    language: str
    label: str
    name: forms.BoundField
    description: forms.BoundField


class StructureForm(forms.Form):
    """A category's or section's slug, position, and names and descriptions per language."""

    slug = forms.CharField(
        label=gettext_lazy("Slug"),
        max_length=MAX_SLUG,
        help_text=gettext_lazy(
            "Its address in the help center: lowercase letters, digits and hyphens, "
            "for example account-security."
        ),
    )
    position = forms.IntegerField(
        label=gettext_lazy("Position"),
        min_value=0,
        max_value=MAX_POSITION,
        initial=0,
        help_text=gettext_lazy("Lower numbers are listed first."),
        # A text box (the stylesheet sizes those), with the phone's number keyboard.
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = help_languages()[0]
        for code in help_languages():
            language = local_language_name(code)
            self.fields[f"names_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": language},
                max_length=MAX_NAME,
                required=code == default,
                widget=forms.TextInput(attrs={"lang": code}),
            )
            self.fields[f"descriptions_{code}"] = forms.CharField(
                label=_("Description (%(language)s)") % {"language": language},
                max_length=MAX_NAME,
                required=False,
                widget=forms.Textarea(attrs={"lang": code, "rows": 2}),
            )

    def clean_slug(self) -> str:
        """Checked here too, so a bad slug is reported with the other fields' errors (the
        service only sees a form that is otherwise valid)."""
        slug: str = self.cleaned_data["slug"].strip().lower()
        if not SLUG.match(slug):
            raise forms.ValidationError(_("Use lowercase letters, digits and single hyphens."))
        return slug

    @staticmethod
    def initial_for(
        *, slug: str, position: int, names: dict[str, str], descriptions: dict[str, str]
    ) -> dict[str, Any]:
        """The form's initial data for a saved category or section."""
        initial: dict[str, Any] = {"slug": slug, "position": position}
        for code in help_languages():
            initial[f"names_{code}"] = (names or {}).get(code, "")
            initial[f"descriptions_{code}"] = (descriptions or {}).get(code, "")
        return initial

    def language_fields(self) -> list[LanguageFields]:
        """Per language, its name and description fields (the template cannot spell
        ``form.names_zh-hans``)."""
        return [
            LanguageFields(
                language=code,
                label=local_language_name(code),
                name=self[f"names_{code}"],
                description=self[f"descriptions_{code}"],
            )
            for code in help_languages()
        ]

    def names(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"names_{code}"] for code in help_languages()}

    def descriptions(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"descriptions_{code}"] for code in help_languages()}


class CategoryForm(StructureForm):
    field_order = ["slug", "position"]


class SectionForm(StructureForm):
    """A section; with ``categories`` (when editing) it also chooses the category, so a
    section can move."""

    # "Category" alone is a conversation's category elsewhere in the workspace (问题类型).
    category = forms.TypedChoiceField(label=pgettext_lazy("knowledge base", "Category"), coerce=int)

    field_order = ["category", "slug", "position"]

    def __init__(
        self, *args: Any, categories: list[Category] | None, ui_language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {category.pk: category for category in categories or []}
        if categories is None:
            del self.fields["category"]
            return
        field = self.fields["category"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(c.pk, pick(c.names, ui_language) or c.slug) for c in categories]

    @property
    def moves(self) -> bool:
        return "category" in self.fields

    def clean_category(self) -> Category:
        return self.categories[self.cleaned_data["category"]]
