"""API keys (admins only): list, create (the secret is shown once), revoke.

The full secret exists only in the response to the create POST: it is not stored, not put in a
flash message (those live in the session) and the page is marked ``no-store``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts import services
from kefu.backoffice import selectors
from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.forms import ApiKeyForm
from kefu.backoffice.views.common import act_and_redirect, bind_form, page_context
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error


@login_required
@require_GET
def apikey_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    keys = selectors.apikey_list(viewer=me)
    return render(request, "backoffice/apikey_list.html", page_context(me, "api_keys", keys=keys))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def apikey_create(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    form = bind_form(request, ApiKeyForm)
    if form.is_bound and form.is_valid():
        try:
            key, secret = services.apikey_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            return render(
                request,
                "backoffice/apikey_created.html",
                page_context(me, "api_keys", key=key, secret=secret),
            )
    return render(request, "backoffice/apikey_form.html", page_context(me, "api_keys", form=form))


@login_required
@require_POST
def apikey_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    key = selectors.apikey_get(viewer=me, pk=pk)
    return act_and_redirect(
        request,
        lambda: services.apikey_revoke(key=key, actor=actor_for(request, me)),
        success=_("API key “%(name)s” revoked.") % {"name": key.name},
        to="backoffice:apikey_list",
    )
