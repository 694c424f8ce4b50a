"""Reads of trend alerts: supervisors and admins only (anyone else gets NotFound)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core.errors import NotFound
from kefu.trends import keys as trend_keys
from kefu.trends.models import TrendAlert, TrendMember

LIST_LIMIT = 200
LINK_LIMIT = 500  # conversations an incident opened from an alert links at most


def _require_manager(viewer: User) -> None:
    if not permissions.can_manage_workspace(viewer):
        raise NotFound(_("Not found."))


def alerts_for_manager(*, viewer: User) -> list[TrendAlert]:
    """The newest alerts (open ones first), for the trends page."""
    _require_manager(viewer)
    return list(
        TrendAlert.objects.select_related("incident", "acknowledged_by").order_by(
            "acknowledged_at", "-window_start", "-id"
        )[:LIST_LIMIT]
    )


def alert_get_for_manager(*, viewer: User, pk: int) -> TrendAlert:
    _require_manager(viewer)
    alert = TrendAlert.objects.select_related("incident", "acknowledged_by").filter(pk=pk).first()
    if alert is None:
        raise NotFound(_("Not found."))
    return alert


def open_alert_count() -> int:
    """Unacknowledged alerts: one count on the partial index (the managers' badge)."""
    return TrendAlert.objects.filter(acknowledged_at__isnull=True).count()


def alert_conversation_ids(alert: TrendAlert, *, limit: int = LINK_LIMIT) -> list[int]:
    """The conversations counted under the alert's key in its hour (newest first)."""
    return list(
        TrendMember.objects.filter(key=alert.key, hour=alert.window_start)
        .order_by("-conversation_id")
        .values_list("conversation_id", flat=True)[:limit]
    )


def alert_conversations(alert: TrendAlert, *, limit: int = 50) -> QuerySet[Any]:
    from kefu.conversations.models import Conversation

    ids = alert_conversation_ids(alert, limit=limit)
    return Conversation.objects.filter(pk__in=ids).order_by("-created_at", "-id")


def _affected(alert: TrendAlert) -> list[dict[str, str]]:
    """The asset (and network) the alert is about, for the incident's "affected" list. A
    network term takes the asset most often named alongside it in the same conversations."""
    term = trend_keys.parse_key(alert.key).term
    if not term:
        return []
    if term in trend_keys.ASSET_TERMS:
        return [{"asset": term, "network": ""}]
    ids = alert_conversation_ids(alert)
    asset_keys = [f"t:{a}" for a in trend_keys.ASSET_TERMS]
    named = Counter(
        TrendMember.objects.filter(
            hour=alert.window_start, conversation_id__in=ids, key__in=asset_keys
        ).values_list("key", flat=True)
    )
    if not named:
        return [{"asset": term, "network": ""}]
    asset = named.most_common(1)[0][0][2:]
    return [{"asset": asset, "network": term}]


def incident_suggestion(alert: TrendAlert) -> dict[str, Any]:
    """A pre-filled incident for the alert (English and Chinese): the manager edits it."""
    texts: dict[str, str] = {}
    for code, suffix in (("en", "en"), ("zh-hans", "zh")):
        with translation.override(code):
            subject = trend_keys.describe_key(alert.key)
            texts[f"title_{suffix}"] = _("More customers than usual report: %(subject)s") % {
                "subject": subject
            }
            texts[f"body_{suffix}"] = _(
                "We are looking into reports about %(subject)s. We will post an update here "
                "as soon as we know more."
            ) % {"subject": subject}
    return {**texts, "affected": _affected(alert)}
