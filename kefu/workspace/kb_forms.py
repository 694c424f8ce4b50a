"""Forms of the knowledge-base authoring pages. They parse input; the services validate the
content (slugs, lengths, tags, languages) and decide who may do what."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Language
from kefu.helpcenter.languages import help_languages, pick
from kefu.helpcenter.models import ArticleState, Section
from kefu.helpcenter.services.articles import MAX_BODY

_LIST_SEPARATORS = re.compile(r"[,，、\n]")  # ASCII and Chinese commas, or one per line


def split_list(value: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (Chinese commas too)."""
    return [part.strip() for part in _LIST_SEPARATORS.split(value or "") if part.strip()]


def language_choices() -> list[tuple[str, str]]:
    """The help center's languages, named in the reader's language where we know the name."""
    names = dict(Language.choices)
    return [(code, str(names.get(code, code))) for code in help_languages()]


def state_filter_choices() -> list[tuple[str, str]]:
    return [
        ("", str(_("Any state"))),
        *[(s.value, str(s.label)) for s in ArticleState],
        ("live_changed", str(_("Live with unpublished changes"))),
        ("missing", str(_("Translation missing"))),
    ]


class KbFilterForm(forms.Form):
    """The article list's GET form."""

    q = forms.CharField(label=_("Search titles and slugs"), required=False, max_length=200)
    state = forms.ChoiceField(label=_("State"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "state", state_filter_choices())
        _set_choices(self, "language", [("", str(_("Any language"))), *language_choices()])


def _set_choices(form: forms.Form, name: str, choices: list[tuple[Any, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class _ContentFields(forms.Form):
    """What every revision has: title, summary, tags and the Markdown body."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=300,
        help_text=_("One or two sentences shown in search results and article lists."),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas."),
    )
    body = forms.CharField(
        label=_("Article text (Markdown)"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=_(
            "Markdown: # Heading, **bold**, *italic*, [link](https://…), - list items, "
            "| tables |. HTML is removed. Images must be uploaded to the article first."
        ),
    )

    def clean_tags(self) -> list[str]:
        return split_list(self.cleaned_data.get("tags") or "")


class ArticleCreateForm(_ContentFields):
    section = forms.TypedChoiceField(label=_("Section"), coerce=int)
    slug = forms.CharField(
        label=_("Slug"),
        max_length=100,
        help_text=_(
            "The article's address in every language: lowercase letters, digits and hyphens, "
            "for example reset-2fa."
        ),
    )
    language = forms.ChoiceField(label=_("Language of this first version"))

    field_order = ["section", "slug", "language", "title", "summary", "tags", "body"]

    def __init__(self, *args: Any, sections: list[Section], ui_language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sections = {section.pk: section for section in sections}
        _set_choices(
            self,
            "section",
            [
                ("", str(_("Choose a section"))),
                *[
                    (
                        s.pk,
                        f"{pick(s.category.names, ui_language) or s.category.slug} › "
                        f"{pick(s.names, ui_language) or s.slug}",
                    )
                    for s in sections
                ],
            ],
        )
        _set_choices(self, "language", language_choices())

    def clean_section(self) -> Section:
        return self.sections[self.cleaned_data["section"]]


class TranslationForm(_ContentFields):
    """Edit (or add) one translation. ``base_revision`` is the working revision the editor
    opened (0 for a new translation), so a save over someone else's newer one is refused."""

    note = forms.CharField(
        label=_("Change note"),
        required=False,
        max_length=200,
        help_text=_("Optional: what you changed and why, shown in the history."),
    )
    base_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class RelatedForm(forms.Form):
    related = forms.CharField(
        label=_("Related articles"),
        required=False,
        max_length=2000,
        help_text=_("Slugs of other articles, separated by commas."),
    )

    def clean_related(self) -> list[str]:
        return split_list(self.cleaned_data.get("related") or "")


class ImageForm(forms.Form):
    image = forms.FileField(
        label=_("Image"), help_text=_("PNG, JPEG, GIF or WebP, checked by its content.")
    )
    alt = forms.CharField(
        label=_("Description for screen readers"),
        required=False,
        max_length=200,
        help_text=_("Leave empty to use the file name."),
    )


class RestoreForm(forms.Form):
    revision = forms.IntegerField(min_value=1)


class CompareForm(forms.Form):
    """The revision page's GET form: which revision to compare with."""

    against = forms.IntegerField(label=_("Compare with revision"), required=False, min_value=0)
