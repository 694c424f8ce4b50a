"""Forms of the agent workspace. They parse and validate input; the services decide the rest."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile as DjangoUploadedFile
from django.forms.widgets import ChoiceWidget
from django.utils.translation import gettext_lazy as _

from kefu.accounts import permissions
from kefu.accounts.models import Language, PresenceStatus, Team, User
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Channel, Priority, Status, Tag, Tier
from kefu.conversations.selectors import SORTS

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

VIEW_LABELS = {
    "mine": _("Mine"),
    "unassigned": _("Unassigned"),
    "teams": _("My teams"),
    "all": _("All"),
}
SORT_LABELS = {
    "activity": _("Last activity"),
    "priority": _("Priority"),
    "age": _("Oldest first"),
    "sla": _("Deadline (most urgent first)"),
}
assert set(SORT_LABELS) == set(SORTS)
# Labelled here too so the workspace's catalogue carries them (the header shows them everywhere).
PRESENCE_LABELS = {
    PresenceStatus.ONLINE.value: _("Online"),
    PresenceStatus.AWAY.value: _("Away"),
    PresenceStatus.OFFLINE.value: _("Offline"),
}
assert set(PRESENCE_LABELS) == set(PresenceStatus.values)


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def _tag_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in Tag.objects.order_by("name").values_list("name", flat=True)]


def _checkboxes(
    label: _StrOrPromise, choices: Any, *, coerce: Callable[[Any], Any] | None = None
) -> forms.MultipleChoiceField:
    """An optional inbox filter: a set of checkboxes, typed with ``coerce`` when given."""
    if coerce is None:
        return forms.MultipleChoiceField(
            label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
        )
    return forms.TypedMultipleChoiceField(
        label=label,
        required=False,
        coerce=coerce,
        choices=choices,
        widget=forms.CheckboxSelectMultiple,
    )


class ChoiceOption(TypedDict):
    value: str
    label: str
    id: str
    selected: bool


class ChoiceGroup(TypedDict):
    """A choice field's options, ready for a plain template loop (dicts: the template engine
    looks keys up first).

    Rendering through Django's widget templates costs one template render per option (about a
    fifth of the inbox page's time); the inbox template renders these with the same markup instead.
    """

    name: str
    label: str
    id: str
    invalid: bool  # the field has errors: its inputs get aria-invalid="true", as Django does
    describedby: str  # Django's aria-describedby ("id_tag_error"), "" when none
    options: list[ChoiceOption]


class InboxFilterForm(forms.Form):
    """The inbox's GET form: view, filters, search, sort and the page cursor."""

    view = forms.ChoiceField(label=_("View"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORT_LABELS.items()))
    status = _checkboxes(_("Status"), Status.choices)
    priority = _checkboxes(_("Priority"), Priority.choices, coerce=int)
    channel = _checkboxes(_("Channel"), Channel.choices)
    tier = _checkboxes(_("Tier"), Tier.choices, coerce=int)
    language = _checkboxes(_("Language"), Language.choices)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("Any team")
    )
    cursor = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        views = ["mine", "unassigned", "teams"]
        if permissions.sees_all(user):
            views.append("all")
        view_field = self.fields["view"]
        assert isinstance(view_field, forms.ChoiceField)
        view_field.choices = [(v, VIEW_LABELS[v]) for v in views]
        tag_field = self.fields["tag"]
        assert isinstance(tag_field, forms.ChoiceField)
        tag_field.choices = [("", _("Any tag")), *_tag_choices()]

    def choice_group(self, name: str) -> ChoiceGroup:
        """The options of a flat choice field as its widget would render them: the same values,
        labels, ids (``id_status_0``...), checked/selected state and ARIA attributes. Only for
        this form's optional filters: no option groups, no ``required`` attribute."""
        bound = self[name]
        field = bound.field
        widget = field.widget
        assert isinstance(field, forms.ChoiceField)
        assert isinstance(widget, ChoiceWidget)
        current = set(widget.format_value(bound.value()))
        multiple = widget.allow_multiple_selected
        base_id = bound.auto_id or ""
        options = []
        has_selected = False
        choices = cast("Iterable[tuple[Any, Any]]", field.choices)  # flat: no option groups here
        for index, (value, label) in enumerate(choices):
            text = "" if value is None else str(value)
            selected = (multiple or not has_selected) and text in current
            has_selected = has_selected or selected
            options.append(
                ChoiceOption(
                    value=text, label=str(label), id=f"{base_id}_{index}", selected=selected
                )
            )
        return ChoiceGroup(
            name=name,
            label=str(bound.label),
            id=base_id,
            invalid=bool(bound.errors),
            describedby="" if bound.use_fieldset else bound.aria_describedby or "",
            options=options,
        )

    def clean_view(self) -> str:
        return str(self.cleaned_data.get("view") or "mine")

    def clean_sort(self) -> str:
        return str(self.cleaned_data.get("sort") or "activity")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files (Django's documented multiple-upload pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[DjangoUploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def read_uploads(files: list[DjangoUploadedFile]) -> list[UploadedFile]:
    """Turn uploads into the service's type, reading at most one byte over the size limit so an
    oversized file is rejected by the service without being loaded whole into memory."""
    limit = settings.KEFU_ATTACHMENT_MAX_BYTES
    return [UploadedFile(filename=f.name or "file", content=f.read(limit + 1)) for f in files]


def client_key_field() -> forms.RegexField:
    """The idempotency key live.js sends with a reply or note: the id of the agent socket's
    ``message.send`` frame it falls back from, so a message the socket stored is not stored
    again (same pattern as the frame's ``id``, kefu.realtime.protocol.Key)."""
    return forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{8,64}$",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("This form was sent with a broken key. Reload the page.")},
    )


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea)
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("PNG, JPEG, GIF, WebP or PDF, up to 5 files.")
    )
    set_status = forms.ChoiceField(
        label=_("Then set status to"),
        required=False,
        choices=[
            ("", _("Keep the status")),
            *[(s.value, s.label) for s in Status if s != Status.NEW],
        ],
    )
    # Shown to supervisors and admins once the secret guard has refused the reply.
    guard_override_reason = forms.CharField(
        label=_("Reason to send it anyway"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only if this reply really must ask for it. The reason is audited."),
    )
    client_key = client_key_field()
    guard_blocked = False  # set by the reply view when the secret guard refused the reply

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reply_%s")  # the note form on the same page has a body too
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea,
        help_text=_("Only staff can see internal notes."),
    )
    attachments = MultipleFileField(label=_("Attachments"))
    client_key = client_key_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    """``me``, ``none`` or the id of an agent."""

    assignee = forms.CharField(label=_("Agent"), max_length=20)


class TeamForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("No team")
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Priority.choices)


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for escalating"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TagsForm(forms.Form):
    tags = forms.MultipleChoiceField(
        label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tags"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _tag_choices()


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Use the browser's language")), *Language.choices],
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)


class PresenceForm(forms.Form):
    """The header's status selector (without JavaScript; with it the socket sends the status)."""

    status = forms.ChoiceField(label=_("My status"), choices=list(PRESENCE_LABELS.items()))


class MacroApplyForm(forms.Form):
    """Apply a macro's field changes (status, priority, team, tags, assignee)."""

    macro = forms.IntegerField(min_value=1)


class MergeForm(forms.Form):
    """Merge this conversation into another of the same customer (by reference)."""

    target = forms.CharField(label=_("Merge into (reference)"), max_length=20)
