"""Status page entries (incidents, maintenance, announcements): list, create, edit, post an
update, resolve, publish or unpublish, delete. The public pages live in kefu/status."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.backoffice.access import actor_for, manager_or_404
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.helpcenter.languages import default_language
from kefu.status import selectors, services
from kefu.status.models import (
    FINAL_STATES,
    STATES_BY_KIND,
    Impact,
    Incident,
    IncidentKind,
    IncidentState,
)

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
_SEPARATOR = re.compile(r"[\s/:,]+")


# --- forms (input shaping only: the rules are in kefu.status.services) -----------------------


def _datetime_field(label: _StrOrPromise) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[_DATETIME_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_DATETIME_FORMAT),
    )


def parse_affected(text: str) -> list[dict[str, str]]:
    """``"ETH ERC20\\nBTC"`` → ``[{"asset": "ETH", "network": "ERC20"}, {"asset": "BTC",
    "network": ""}]``: one asset per line, then optionally its network after a space, slash,
    colon or comma."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        asset, *rest = _SEPARATOR.split(line.strip(), maxsplit=1)
        rows.append({"asset": asset, "network": rest[0].strip() if rest else ""})
    return rows


def format_affected(entries: list[dict[str, str]]) -> str:
    return "\n".join(f"{e.get('asset', '')} {e.get('network', '')}".strip() for e in entries or [])


class _Form(forms.Form):
    """Labels sit above their inputs, so no trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class IncidentForm(_Form):
    """Create (with the first update) or edit (``editing=True``: no kind, no first update)."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=IncidentKind.choices)
    title_en = forms.CharField(label=gettext_lazy("Title in English"), max_length=200)
    title_zh = forms.CharField(
        label=gettext_lazy("Title in Chinese"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Optional: the English title is shown when it is empty."),
    )
    impact = forms.ChoiceField(
        label=gettext_lazy("Impact"),
        choices=Impact.choices,
        initial=Impact.MINOR,
        help_text=gettext_lazy("Announcements have no impact."),
    )
    affected = forms.CharField(
        label=gettext_lazy("Affected assets and networks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: the asset, then its network, e.g. ETH ERC20."),
    )
    scheduled_start = _datetime_field(gettext_lazy("Maintenance starts"))
    scheduled_end = _datetime_field(gettext_lazy("Maintenance ends"))
    body_en = forms.CharField(
        label=gettext_lazy("First update in English"),
        widget=forms.Textarea,
        help_text=gettext_lazy("What customers should know. Markdown is allowed."),
    )
    body_zh = forms.CharField(
        label=gettext_lazy("First update in Chinese"),
        widget=forms.Textarea,
        required=False,
        help_text=gettext_lazy("Optional: the English text is shown when it is empty."),
    )
    is_public = forms.BooleanField(
        label=gettext_lazy("Public"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Public entries are shown on the status page and emailed to subscribers. "
            "Leave unticked to save a draft."
        ),
    )

    def __init__(self, *args: Any, editing: Incident | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        for name in ("scheduled_start", "scheduled_end"):
            self.fields[name].help_text = _("Maintenance only. In your time zone (%(zone)s).") % {
                "zone": zone
            }
        if editing is not None:
            for name in ("kind", "body_en", "body_zh", "is_public"):
                del self.fields[name]
            if editing.kind != IncidentKind.MAINTENANCE:
                del self.fields["scheduled_start"], self.fields["scheduled_end"]
            if editing.kind == IncidentKind.ANNOUNCEMENT:
                del self.fields["impact"]


class UpdateForm(_Form):
    state = forms.ChoiceField(label=gettext_lazy("New state"))
    body_en = forms.CharField(
        label=gettext_lazy("Message in English"),
        widget=forms.Textarea,
        help_text=gettext_lazy("What changed and what customers should do. Markdown is allowed."),
    )
    body_zh = forms.CharField(
        label=gettext_lazy("Message in Chinese"),
        widget=forms.Textarea,
        required=False,
        help_text=gettext_lazy("Optional: the English text is shown when it is empty."),
    )

    def __init__(
        self, *args: Any, incident: Incident, final_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(IncidentState.choices)
        states = [s for s in STATES_BY_KIND[incident.kind] if s in FINAL_STATES or not final_only]
        field = self.fields["state"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s, labels[s]) for s in states]


# --- views -----------------------------------------------------------------------------------


def _title(incident: Incident) -> str:
    """The entry's title in the manager's language."""
    return incident.title_for(get_language() or "en")


def _detail_url(incident: Incident) -> str:
    return reverse("backoffice:incident_detail", args=[incident.pk])


def _context(me: User, **extra: Any) -> dict[str, Any]:
    return page_context(me, "incidents", public_language=default_language(), **extra)


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    incidents = selectors.incident_list_for_staff(viewer=me)
    return render(request, "backoffice/incident_list.html", _context(me, incidents=incidents))


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    form = bind_form(request, IncidentForm)
    created: list[Incident] = []

    def save(data: dict[str, Any]) -> str:
        incident = services.incident_create(
            kind=data["kind"],
            title_en=data["title_en"],
            title_zh=data["title_zh"],
            impact=data["impact"],
            affected=parse_affected(data["affected"]),
            body_en=data["body_en"],
            body_zh=data["body_zh"],
            scheduled_start=data["scheduled_start"],
            scheduled_end=data["scheduled_end"],
            is_public=data["is_public"],
            actor=actor_for(request, me),
        )
        created.append(incident)
        return _("“%(title)s” saved.") % {"title": _title(incident)}

    response = form_page(
        request,
        form,
        save,
        success_url="backoffice:incident_list",
        template="backoffice/incident_form.html",
        context=_context(me, form=form, incident=None),
    )
    if created and response.status_code == 302:
        response["Location"] = _detail_url(created[0])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    incident = selectors.incident_get_for_staff(viewer=me, pk=pk)
    initial = {
        "title_en": incident.title_en,
        "title_zh": incident.title_zh,
        "impact": incident.impact,
        "affected": format_affected(incident.affected),
        "scheduled_start": incident.scheduled_start,
        "scheduled_end": incident.scheduled_end,
    }
    form = bind_form(request, IncidentForm, initial, editing=incident)

    def save(data: dict[str, Any]) -> str:
        saved = services.incident_edit(
            incident=incident,
            title_en=data["title_en"],
            title_zh=data["title_zh"],
            impact=data.get("impact", Impact.NONE),
            affected=parse_affected(data["affected"]),
            scheduled_start=data.get("scheduled_start"),
            scheduled_end=data.get("scheduled_end"),
            actor=actor_for(request, me),
        )
        return _("“%(title)s” saved.") % {"title": _title(saved)}

    response = form_page(
        request,
        form,
        save,
        success_url="backoffice:incident_list",
        template="backoffice/incident_form.html",
        context=_context(me, form=form, incident=incident),
    )
    if response.status_code == 302:
        response["Location"] = _detail_url(incident)
    return response


def _post_update(request: HttpRequest, pk: int, *, final_only: bool, template: str) -> HttpResponse:
    me = manager_or_404(request)
    incident = selectors.incident_get_for_staff(viewer=me, pk=pk)
    initial: dict[str, Any] = {"state": incident.state}
    if final_only:
        final = next(s for s in STATES_BY_KIND[incident.kind] if s in FINAL_STATES)
        initial = {
            "state": final,
            "body_en": "The issue has been resolved. Thank you for your patience.",
            "body_zh": "问题已解决，感谢您的耐心等待。",
        }
        if incident.kind == IncidentKind.MAINTENANCE:
            initial["body_en"] = "The maintenance is complete. Everything works normally again."
            initial["body_zh"] = "维护已完成，各项服务已恢复正常。"
    form = bind_form(request, UpdateForm, initial, incident=incident, final_only=final_only)

    def save(data: dict[str, Any]) -> str:
        services.incident_update(
            incident=incident,
            state=data["state"],
            body_en=data["body_en"],
            body_zh=data["body_zh"],
            actor=actor_for(request, me),
        )
        return _("Update posted to “%(title)s”.") % {"title": _title(incident)}

    response = form_page(
        request,
        form,
        save,
        success_url="backoffice:incident_list",
        template=template,
        context=_context(me, form=form, incident=incident, updates=incident.updates.all()),
    )
    if response.status_code == 302:
        response["Location"] = _detail_url(incident)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The entry, its timeline, and the form to post the next update."""
    return _post_update(request, pk, final_only=False, template="backoffice/incident_detail.html")


@login_required
@require_http_methods(["GET", "POST"])
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Post the closing update (resolved, completed), with a suggested text."""
    return _post_update(request, pk, final_only=True, template="backoffice/incident_resolve.html")


@login_required
@require_POST
def incident_publish(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    incident = selectors.incident_get_for_staff(viewer=me, pk=pk)
    public = request.POST.get("is_public") == "1"
    if public:
        success = _("“%(title)s” is now public.") % {"title": _title(incident)}
    else:
        success = _("“%(title)s” is no longer public.") % {"title": _title(incident)}
    response = act_and_redirect(
        request,
        lambda: services.incident_set_public(
            incident=incident, is_public=public, actor=actor_for(request, me)
        ),
        success=success,
        to="backoffice:incident_list",
    )
    response["Location"] = _detail_url(incident)
    return response


@login_required
@require_POST
def incident_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = manager_or_404(request)
    incident = selectors.incident_get_for_staff(viewer=me, pk=pk)
    return act_and_redirect(
        request,
        lambda: services.incident_delete(incident=incident, actor=actor_for(request, me)),
        success=_("“%(title)s” deleted.") % {"title": _title(incident)},
        to="backoffice:incident_list",
    )
