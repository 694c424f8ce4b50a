"""The language switcher: remembers the choice in the session and, when signed in, on the user."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
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
