"""Two-factor enrolment before staff pages, for roles the security policy says must use it.

A signed-in staff member whose role requires two-factor sign-in but who has not turned it on
gets, for every page of the workspace (``/agent/``, which includes the management pages) and of
Django's admin, a redirect to the workspace security page; only that page (and signing out) is
open until they have enrolled. Everyone else passes straight through, with no query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from kefu.accounts.models import User
from kefu.accounts.twofactor import two_factor_enabled, two_factor_required


class TwoFactorEnrolmentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and user.is_authenticated
            and user.is_agent
            and self._guarded(request.path)
            and two_factor_required(user)
            and not two_factor_enabled(user)
        ):
            target = reverse("workspace:security")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _guarded(path: str) -> bool:
        # Resolved per request (cheap) so URL settings are never read at import time.
        if path.startswith(reverse("workspace:security")):
            return False
        return path.startswith((reverse("workspace:inbox"), reverse("admin:index")))
