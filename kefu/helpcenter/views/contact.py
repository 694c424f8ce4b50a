"""The help center's contact page: the official channels, their hours and a safety warning."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.core import clock
from kefu.helpcenter.contact_page import contact_page, valid_timezone
from kefu.helpcenter.views.common import help_page, render_help


def _viewer_timezone(request: HttpRequest) -> tuple[str | None, str]:
    """(timezone name or None, where it came from: ``user``, ``query`` or ``default``).

    A signed-in user's saved timezone wins; otherwise a valid ``?tz=`` (the link contact.js
    offers); otherwise None, and the page uses the default calendar's timezone (an invalid
    ``tz`` is ignored without a word: it only ever comes from a link)."""
    user = request.user
    if user.is_authenticated:
        saved = valid_timezone(getattr(user, "timezone", ""))
        if saved:
            return saved, "user"
    asked = valid_timezone(request.GET.get("tz"))
    if asked:
        return asked, "query"
    return None, "default"


@require_GET
@help_page
def contact(request: HttpRequest, lang: str) -> HttpResponse:
    tz_name, tz_source = _viewer_timezone(request)
    page = contact_page(language=lang, viewer_timezone=tz_name, now=clock.now())
    return render_help(
        request,
        lang,
        "helpcenter/contact.html",
        {"page": page, "tz_source": tz_source},
        path_for=lambda code: reverse("helpcenter:contact", args=[code]),
        title=_("Contact us"),
        description=_(
            "The official ways to reach our support team, their service hours and how soon "
            "we reply."
        ),
    )
