"""Small display filters for the workspace templates."""

from __future__ import annotations

from django import template

from kefu.accounts import permissions
from kefu.accounts.models import AgentPresence, Language, PresenceStatus, User
from kefu.workspace.forms import PRESENCE_LABELS

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    """``zh-hans`` -> "Simplified Chinese" (translated); unknown codes are shown as they are."""
    labels = dict(Language.choices)
    return str(labels[code]) if code in labels else code


@register.filter
def can_write_kb(user: object) -> bool:
    """Whether the navigation shows the knowledge base (staff with a KB role)."""
    return isinstance(user, User) and permissions.can_write_kb(user)


@register.filter
def can_publish_kb(user: object) -> bool:
    """Whether ``user`` may publish and manage the knowledge base (editors)."""
    return isinstance(user, User) and permissions.can_publish_kb(user)


@register.simple_tag(takes_context=True)
def presence_options(context: template.Context) -> list[dict[str, object]]:
    """The header's status choices, the signed-in agent's current one selected (no presence
    row yet means offline)."""
    user = context["request"].user
    try:
        current = user.presence.status
    except AgentPresence.DoesNotExist:
        current = PresenceStatus.OFFLINE
    return [
        {"value": value, "label": label, "selected": value == current}
        for value, label in PRESENCE_LABELS.items()
    ]
