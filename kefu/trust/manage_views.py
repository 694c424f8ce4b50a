"""Official channels in the backoffice (admins only): list, add, edit, delete.

These pages live with the registry they edit but follow the backoffice's house style and
helpers (its layout, section nav, form page and flash messages)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.views.common import act_and_redirect, bind_form, form_page, page_context
from kefu.core.errors import NotFound
from kefu.trust import selectors, services
from kefu.trust.forms import OfficialChannelForm
from kefu.trust.models import OfficialChannel

SECTION = "official_channels"
LIST_URL = "backoffice:official_channels:list"
FIELDS = ("kind", "value", "platform", "label_en", "label_zh", "user", "note", "is_active")


def _get(me: User, pk: int) -> OfficialChannel:
    try:
        return selectors.official_channel_get(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    channels = selectors.official_channel_list(viewer=me)
    return render(request, "trust/manage_list.html", page_context(me, SECTION, channels=channels))


def _form(request: HttpRequest, channel: OfficialChannel | None) -> HttpResponse:
    me = api_key_manager_or_404(request)
    initial: dict[str, Any] = {"is_active": True}
    if channel is not None:
        initial = {name: getattr(channel, name) for name in FIELDS}
        initial["value"] = channel.display or channel.value
    form = bind_form(request, OfficialChannelForm, initial)

    def save(data: dict[str, Any]) -> str:
        values = {name: data[name] for name in FIELDS}
        actor = actor_for(request, me)
        saved = services.official_channel_save(channel=channel, **values, actor=actor)
        return _("Official channel “%(value)s” saved.") % {"value": saved.display or saved.value}

    return form_page(
        request,
        form,
        save,
        success_url=LIST_URL,
        template="trust/manage_form.html",
        context=page_context(me, SECTION, form=form, channel=channel),
    )


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form(request, _get(api_key_manager_or_404(request), pk))


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    channel = _get(me, pk)
    return act_and_redirect(
        request,
        lambda: services.official_channel_delete(channel=channel, actor=actor_for(request, me)),
        success=_("Official channel “%(value)s” deleted.")
        % {"value": channel.display or channel.value},
        to=LIST_URL,
    )
