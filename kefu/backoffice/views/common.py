"""Shared bits of the backoffice views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.accounts.twofactor import can_manage_security
from kefu.backoffice.access import actor_for
from kefu.core.errors import KefuError
from kefu.core.forms import add_service_error

F = TypeVar("F", bound=forms.Form)


def page_context(me: User, section: str, **extra: Any) -> dict[str, Any]:
    """Template context every backoffice page needs (the section nav) plus ``extra``."""
    admin = permissions.can_manage_api_keys(me)
    return {
        "section": section,
        "show_api_keys": admin,
        "show_chat_sites": admin,
        "show_security": can_manage_security(me),
        **extra,
    }


def bind_form(
    request: HttpRequest,
    form_class: type[F],
    initial: dict[str, Any] | None = None,
    **kwargs: Any,
) -> F:
    """``form_class`` bound to the POST data on a POST, else unbound with ``initial``."""
    if request.method == "POST":
        return form_class(request.POST, **kwargs)
    return form_class(initial=initial, **kwargs)


def form_page(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], str],
    *,
    success_url: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The create / edit page: a bound, valid ``form`` goes to ``save``, which calls the service
    and returns the success message to flash before redirecting to ``success_url``. Otherwise,
    or when the service fails (its error shown on the form), ``template`` is rendered again."""
    if form.is_bound and form.is_valid():
        try:
            message = save(form.cleaned_data)
        except KefuError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, message)
            return redirect(success_url)
    return render(request, template, context)


def policy_page(
    request: HttpRequest,
    *,
    me: User,
    section: str,
    policy: Any,
    form_class: type[forms.Form],
    fields: tuple[str, ...] | list[str],
    save: Callable[..., object],
    saved_message: str,
    url_name: str,
    template: str,
) -> HttpResponse:
    """The edit page of a one-row policy: the form starts from the row's ``fields``; a valid
    POST calls the policy's audited service ``save(**fields, actor=...)``, flashes
    ``saved_message`` and comes back to ``url_name``."""
    form = bind_form(request, form_class, {name: getattr(policy, name) for name in fields})

    def submit(data: dict[str, Any]) -> str:
        save(**{name: data[name] for name in fields}, actor=actor_for(request, me))
        return saved_message

    return form_page(
        request,
        form,
        submit,
        success_url=reverse(url_name),
        template=template,
        context=page_context(me, section, form=form, policy=policy),
    )


def act_and_redirect(
    request: HttpRequest, action: Callable[[], object], *, success: str, to: str
) -> HttpResponse:
    """Run ``action`` (a service call from a list page's POST button), flash ``success`` or the
    service's error, and go back to ``to``."""
    try:
        action()
    except KefuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(to)
