"""The language switcher (remembers the choice in the session and, when signed in, on the user)
and the redirect that sends Django admin's own login page to the one sign-in page."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from kefu.accounts.models import Language, User
from kefu.accounts.services import actor_for_user, user_set_preferences


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    user = request.user
    if (
        isinstance(user, User)
        and user.is_authenticated
        and language in Language.values
        and user.language != language
    ):
        user_set_preferences(
            user=user,
            language=language,
            actor=actor_for_user(user, ip=request.META.get("REMOTE_ADDR")),
        )
    return django_set_language(request)


@require_GET
def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's login page, replaced by a redirect to the one sign-in page, so staff
    reach the admin only through the password + two-factor sequence (kefu.accounts.signin)."""
    if request.user.is_authenticated:
        raise Http404  # signed in without admin access: the sign-in page would send them back
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect_to_login(target)
