"""Who may use the customer portal, and where people go after signing in.

Customer pages take a ``Customer`` (user, contact and actor resolved once per request), so views
never reach into ``request.user`` themselves. Anonymous visitors are sent to the login page;
staff have no contact, so they are sent to the agent workspace instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.contacts.models import Contact
from kefu.contacts.selectors import contact_for_user
from kefu.core.actor import Actor
from kefu.core.ratelimit import client_ip

AGENT_HOME = "/agent/"

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Customer:
    """The signed-in customer behind a portal request."""

    user: User
    contact: Contact
    actor: Actor


def request_ip(request: HttpRequest) -> str:
    return client_ip(request.META)


def customer_required(
    view: Callable[Concatenate[HttpRequest, Customer, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Run ``view`` for a signed-in customer; redirect everyone else."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not isinstance(user, User) or not user.is_customer:
            return redirect(AGENT_HOME)
        contact = contact_for_user(user)  # NotFound -> 404 for a customer without a contact
        actor = actor_for_user(user, ip=request_ip(request))
        return view(request, Customer(user=user, contact=contact, actor=actor), *args, **kwargs)

    return wrapper


def home_for(user: User) -> str:
    """Where a user lands after signing in: staff in the workspace, customers on their list."""
    if user.is_agent:
        return AGENT_HOME
    return reverse("portal:request_list")


def safe_next(request: HttpRequest) -> str | None:
    """The ``next`` parameter, if it points to this site; otherwise None."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def redirect_after_login(request: HttpRequest, user: User) -> HttpResponseRedirect:
    return HttpResponseRedirect(safe_next(request) or home_for(user))
