"""``{% community_portal_link %}``: the portal's link to the member's forum notifications
(signed-in customers only). It runs no query, so the portal's pages keep their query budget;
the unread count is shown on the forum's own pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from kefu.accounts.models import User
from kefu.helpcenter.languages import best_language

register = template.Library()


@register.inclusion_tag("community/_portal_link.html", takes_context=True)
def community_portal_link(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated or not user.is_customer:
        return {"show": False}
    language = best_language(user.language or getattr(request, "LANGUAGE_CODE", ""))
    return {
        "show": True,
        "url": reverse("community:notifications", args=[language]),
    }
