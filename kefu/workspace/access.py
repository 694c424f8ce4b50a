"""Who may enter the agent workspace: active staff only.

Anonymous visitors are sent to sign in; signed-in customers get a 404, so the workspace does
not even admit that it exists to them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from kefu.accounts.models import User
from kefu.accounts.permissions import sees_all
from kefu.accounts.services import actor_for_user
from kefu.core.actor import Actor

P = ParamSpec("P")


def agent_required(
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Let active staff through; redirect anonymous visitors to sign in; 404 for everyone else."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not isinstance(user, User) or not user.is_agent:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def current_agent(request: HttpRequest) -> User:
    """The signed-in agent (only call behind ``agent_required``)."""
    user = request.user
    assert isinstance(user, User)
    return user


def current_actor(request: HttpRequest) -> Actor:
    return actor_for_user(current_agent(request), ip=request.META.get("REMOTE_ADDR"))


def page_context(request: HttpRequest, active: str) -> dict[str, object]:
    """What the workspace's navigation bar needs on every page."""
    return {"nav_active": active, "can_manage": sees_all(current_agent(request))}
