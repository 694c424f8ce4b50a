"""The forum's notifications in the customer portal: ``{% community_portal_link %}`` (the
navigation link, with the number of unread notifications) and
``{% community_portal_notifications %}`` (the newest unread ones, on "My requests"). Both read
the same single query, made once per request, for signed-in customers only."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse

from kefu.accounts.models import User
from kefu.community import selectors
from kefu.helpcenter.languages import best_language

register = template.Library()

# More than this many unread shows as "9+" in the navigation.
SHOWN = 9
_CACHE = "_community_unread"


def _customer(context: dict[str, Any]) -> tuple[HttpRequest, User] | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not isinstance(user, User) or not user.is_authenticated:
        return None
    return (request, user) if user.is_customer else None


def _unread(request: HttpRequest, user: User) -> list[selectors.NotificationItem]:
    cached: list[selectors.NotificationItem] | None = getattr(request, _CACHE, None)
    if cached is None:
        cached = selectors.unread_notifications(user=user, limit=SHOWN + 1)
        setattr(request, _CACHE, cached)
    return cached


def _notifications_url(request: HttpRequest, user: User) -> str:
    language = best_language(user.language or getattr(request, "LANGUAGE_CODE", ""))
    return reverse("community:notifications", args=[language])


@register.inclusion_tag("community/_portal_link.html", takes_context=True)
def community_portal_link(context: dict[str, Any]) -> dict[str, Any]:
    found = _customer(context)
    if found is None:
        return {"show": False}
    request, user = found
    unread = len(_unread(request, user))
    return {
        "show": True,
        "url": _notifications_url(request, user),
        "unread": unread,
        "unread_shown": f"{SHOWN}+" if unread > SHOWN else str(unread),
    }


@register.inclusion_tag("community/_portal_notifications.html", takes_context=True)
def community_portal_notifications(context: dict[str, Any]) -> dict[str, Any]:
    found = _customer(context)
    if found is None:
        return {"notifications": []}
    request, user = found
    return {
        "notifications": _unread(request, user)[:5],
        "url": _notifications_url(request, user),
    }
