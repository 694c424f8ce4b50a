"""Webhook endpoints in the backoffice (administrators only; anyone else gets a 404).

The signing secret appears only in the response to the POST that made it (create or rotate);
like other secrets it never goes into a flash message and that page is ``no-store``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.backoffice.access import actor_for, api_key_manager_or_404
from kefu.backoffice.views.common import act_and_redirect, bind_form, page_context
from kefu.core.errors import KefuError, NotFound
from kefu.core.forms import add_service_error
from kefu.integrations import selectors, services
from kefu.integrations.forms import EndpointForm
from kefu.integrations.models import DeliveryState, WebhookEndpoint

SECTION = "webhooks"


def _endpoint(me: User, pk: int) -> WebhookEndpoint:
    try:
        return selectors.endpoint_get_for_admin(viewer=me, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


def _edit_url(endpoint: WebhookEndpoint) -> str:
    return reverse("backoffice:webhooks:endpoint_edit", args=[endpoint.pk])


def _secret_page(
    request: HttpRequest, me: User, endpoint: WebhookEndpoint, secret: str, *, rotated: bool
) -> HttpResponse:
    return render(
        request,
        "integrations/endpoint_secret.html",
        page_context(me, SECTION, endpoint=endpoint, secret=secret, rotated=rotated),
    )


@login_required
@require_GET
def endpoint_list(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoints = selectors.endpoint_list_for_admin(viewer=me)
    return render(
        request, "integrations/endpoint_list.html", page_context(me, SECTION, endpoints=endpoints)
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest) -> HttpResponse:
    me = api_key_manager_or_404(request)
    form = bind_form(request, EndpointForm)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.endpoint_create(
                url=data["url"],
                description=data["description"],
                events=data["events"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            return _secret_page(request, me, created.endpoint, created.secret, rotated=False)
    return render(
        request,
        "integrations/endpoint_form.html",
        page_context(me, SECTION, form=form, endpoint=None),
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoint = _endpoint(me, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = bind_form(request, EndpointForm, initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.endpoint_update(
                endpoint=endpoint,
                url=data["url"],
                description=data["description"],
                events=data["events"],
                actor=actor_for(request, me),
            )
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect(_edit_url(endpoint))
    state = request.GET.get("state", "")
    if state not in DeliveryState.values:
        state = ""
    deliveries = selectors.delivery_list_for_admin(viewer=me, endpoint=endpoint, state=state)
    return render(
        request,
        "integrations/endpoint_form.html",
        page_context(
            me,
            SECTION,
            form=form,
            endpoint=endpoint,
            deliveries=deliveries,
            state=state,
            states=DeliveryState.choices,
        ),
    )


@login_required
@never_cache
@require_POST
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoint = _endpoint(me, pk)
    try:
        secret = services.endpoint_rotate_secret(endpoint=endpoint, actor=actor_for(request, me))
    except KefuError as exc:
        messages.error(request, exc.message)
        return redirect(_edit_url(endpoint))
    return _secret_page(request, me, endpoint, secret, rotated=True)


@login_required
@require_POST
def endpoint_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoint = _endpoint(me, pk)
    active = request.POST.get("active") == "1"
    return act_and_redirect(
        request,
        lambda: services.endpoint_set_active(
            endpoint=endpoint, active=active, actor=actor_for(request, me)
        ),
        success=_("Endpoint turned on.") if active else _("Endpoint turned off."),
        to=_edit_url(endpoint),
    )


@login_required
@require_POST
def endpoint_ping(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoint = _endpoint(me, pk)
    return act_and_redirect(
        request,
        lambda: services.endpoint_send_ping(endpoint=endpoint, actor=actor_for(request, me)),
        success=_("Test event queued."),
        to=_edit_url(endpoint),
    )


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoint = _endpoint(me, pk)
    return act_and_redirect(
        request,
        lambda: services.endpoint_delete(endpoint=endpoint, actor=actor_for(request, me)),
        success=_("Endpoint deleted."),
        to=reverse("backoffice:webhooks:endpoint_list"),
    )


@login_required
@require_POST
def delivery_redeliver(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    me = api_key_manager_or_404(request)
    endpoint = _endpoint(me, pk)
    try:
        found = selectors.delivery_get_for_admin(viewer=me, endpoint=endpoint, pk=delivery_pk)
    except NotFound as exc:
        raise Http404 from exc
    return act_and_redirect(
        request,
        lambda: services.delivery_redeliver(delivery=found, actor=actor_for(request, me)),
        success=_("Delivery queued again."),
        to=_edit_url(endpoint),
    )
