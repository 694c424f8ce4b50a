"""The sign-in sequence every login page uses: password, then (when on) a second factor, then
``login()`` and the device check.

A correct password for someone with two-factor sign-in does not sign them in. The session only
keeps a pending marker (user id, the session hash of the account, auth backend, expiry in five
minutes); ``login()`` runs after a correct code. Until then the session is anonymous. If the
password changes or the account is deactivated in between, the marker no longer matches and is
dropped.

Entry points: the one login page (``kefu.portal.views.auth``, staff and customers) and Django's
admin, whose own login page redirects there (``kefu.accounts.views.admin_login``). The REST API
authenticates integrations with API keys, not people, so it has no sign-in to protect.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest

from kefu.accounts import twofactor
from kefu.accounts.devices import SeenDevice, device_token, login_device_record
from kefu.accounts.models import User
from kefu.accounts.services import actor_for_user
from kefu.audit.services import audit_record
from kefu.core import clock
from kefu.core.ratelimit import client_ip

PENDING_KEY = "kefu_2fa_pending"
PENDING_SECONDS = 300
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True, slots=True)
class Pending:
    """A sign-in waiting for its second factor."""

    user: User
    backend: str
    next_url: str


def _ip(request: HttpRequest) -> str:
    return client_ip(request.META)


def _backend(user: User) -> str:
    return str(getattr(user, "backend", "") or MODEL_BACKEND)


def password_accepted(request: HttpRequest, user: User, *, next_url: str = "") -> SeenDevice | None:
    """After a correct password: sign in now (returns the device to remember) or, when the
    user has two-factor sign-in on, store the pending marker and return None (ask for a code)."""
    if twofactor.two_factor_enabled(user):
        request.session[PENDING_KEY] = {
            "user_id": user.pk,
            "hash": user.get_session_auth_hash(),
            "backend": _backend(user),
            "expires": clock.now().timestamp() + PENDING_SECONDS,
            "next": next_url,
        }
        return None
    return complete(request, user, backend=_backend(user), method="")


def pending(request: HttpRequest) -> Pending | None:
    """The sign-in waiting for a code, if there is one and it is still valid."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("user_id"), int):
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True).first()
    if (
        user is None
        or float(data.get("expires", 0)) < clock.now().timestamp()
        or data.get("hash") != user.get_session_auth_hash()
    ):
        cancel(request)
        return None
    return Pending(user=user, backend=str(data.get("backend")), next_url=str(data.get("next", "")))


def cancel(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def code_accepted(request: HttpRequest, waiting: Pending, code: str) -> SeenDevice:
    """Check the second factor for a pending sign-in and complete it.

    Raises RateLimited or ValidationFailed (audited) without signing in.
    """
    method = twofactor.second_factor_verify(
        user=waiting.user,
        code=code,
        purpose=twofactor.Purpose.SIGN_IN,
        actor=actor_for_user(waiting.user, ip=_ip(request)),
    )
    cancel(request)
    return complete(request, waiting.user, backend=waiting.backend, method=method)


def complete(request: HttpRequest, user: User, *, backend: str, method: str) -> SeenDevice:
    """Sign ``user`` in (new session key), record the device and audit the sign-in. The caller
    sets the device cookie on its response with ``.remember(response)``."""
    login(request, user, backend=backend)
    actor = actor_for_user(user, ip=_ip(request))
    with transaction.atomic():
        seen = login_device_record(
            user=user,
            token=device_token(request),
            user_agent=request.headers.get("user-agent", ""),
            ip=_ip(request),
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="auth.signed_in",
            object_type="user",
            object_id=user.pk,
            data={
                "two_factor": method or None,
                "new_device": seen.is_new,
                "browser": seen.device.browser,
            },
        )
    return seen


def signed_up(request: HttpRequest, user: User) -> SeenDevice:
    """Sign a customer in right after sign-up; their first device is recorded without an
    alert (there is nothing to compare it with)."""
    login(request, user, backend=MODEL_BACKEND)
    return login_device_record(
        user=user,
        token=device_token(request),
        user_agent=request.headers.get("user-agent", ""),
        ip=_ip(request),
        alert=False,
        actor=actor_for_user(user, ip=_ip(request)),
    )
