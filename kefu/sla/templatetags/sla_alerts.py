from __future__ import annotations

from typing import Any

from django import template

from kefu.sla import selectors

register = template.Library()


@register.simple_tag
def sla_unread_alerts(user: Any) -> int:
    """The navigation badge: the signed-in staff member's unread SLA alerts (one count)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return selectors.alerts_unread_count(user.pk)
