from __future__ import annotations

from typing import Any

from django import template

from kefu.trends import selectors, waits

register = template.Library()


@register.simple_tag
def trend_open_alerts(user: Any) -> int:
    """The navigation badge of supervisors and admins: open spike alerts (one count)."""
    from kefu.accounts import permissions
    from kefu.accounts.models import User

    if not isinstance(user, User) or not permissions.can_manage_workspace(user):
        return 0
    return selectors.open_alert_count()


@register.simple_tag
def current_wait(kind: str) -> waits.WaitFigure | None:
    """The contact page's median wait for a contact option of ``kind`` (None: no figure for
    that kind, or the policy hides it). Cached for a minute across requests."""
    if kind not in waits.WAIT_KINDS:
        return None
    return waits.public_waits().get(kind)
