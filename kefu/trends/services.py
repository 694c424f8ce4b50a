"""Writes of the trends app: the policy, acknowledging an alert, and opening a status-page
incident from one (supervisors and admins; every change audited)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_changes, audit_record
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import InvalidTransition, PermissionDenied
from kefu.core.validation import field_error
from kefu.trends.models import TrendAlert, TrendPolicy

# (field, lowest, highest) for the numbers of the policy.
POLICY_LIMITS: dict[str, tuple[float, float]] = {
    "min_count": (1, 100_000),
    "min_increase_percent": (0, 10_000),
    "min_score": (0.5, 50.0),
    "baseline_weeks": (0, 12),
    "baseline_days": (0, 28),
    "wait_window_hours": (1, 168),
    "wait_min_sample": (1, 1000),
}


def _manager(actor: Actor) -> User:
    user = User.objects.filter(pk=actor.user_id).first() if actor.user_id else None
    if actor.kind != ActorKind.AGENT or user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))
    return user


def trend_policy_save(
    *,
    enabled: bool,
    min_count: int,
    min_increase_percent: int,
    min_score: float,
    baseline_weeks: int,
    baseline_days: int,
    wait_public: bool,
    wait_window_hours: int,
    wait_min_sample: int,
    actor: Actor,
) -> TrendPolicy:
    """Set the trend policy (one row; supervisors and admins; audited with what changed).

    Each number must be within ``POLICY_LIMITS`` and the baseline must span at least three
    hours (weeks + days >= 3); ValidationFailed otherwise and nothing is saved. Saving the same
    values writes nothing."""
    _manager(actor)
    values: dict[str, Any] = {
        "enabled": bool(enabled),
        "min_count": min_count,
        "min_increase_percent": min_increase_percent,
        "min_score": float(min_score),
        "baseline_weeks": baseline_weeks,
        "baseline_days": baseline_days,
        "wait_public": bool(wait_public),
        "wait_window_hours": wait_window_hours,
        "wait_min_sample": wait_min_sample,
    }
    for name, (low, high) in POLICY_LIMITS.items():
        if not low <= values[name] <= high:
            raise field_error(
                name, _("Choose between %(low)s and %(high)s.") % {"low": low, "high": high}
            )
    if baseline_weeks + baseline_days < 3:
        raise field_error(
            "baseline_days", _("The usual level needs at least three past hours to compare.")
        )
    with transaction.atomic():
        policy, _created = TrendPolicy.objects.select_for_update().get_or_create(pk=1)
        changes = audit_changes(
            policy,
            values,
            actor=actor,
            action="trends.policy_updated",
            object_type="trend_policy",
            also_save=("updated_at",),
        )
        if changes:
            from kefu.trends.waits import forget

            transaction.on_commit(forget)
    return policy


def trend_alert_acknowledge(*, alert: TrendAlert, actor: Actor) -> TrendAlert:
    """Mark a spike alert as seen (supervisors and admins). Idempotent: an acknowledged alert
    is left as it is and nothing is audited again. Every manager's badge is updated."""
    user = _manager(actor)
    with transaction.atomic():
        locked = TrendAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            return locked
        locked.acknowledged_at = clock.now()
        locked.acknowledged_by = user
        locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(
            actor=actor,
            action="trends.alert_acknowledged",
            object_type="trend_alert",
            object_id=locked.pk,
            data={"key": locked.key, "window_start": locked.window_start.isoformat()},
        )
        from kefu.trends.worker import announce

        announce()
    return locked


def trend_alert_open_incident(
    *,
    alert: TrendAlert,
    title_en: str,
    title_zh: str,
    impact: str,
    affected: list[dict[str, str]],
    body_en: str,
    body_zh: str,
    is_public: bool,
    link_conversations: bool,
    actor: Actor,
) -> Any:
    """Open a status-page incident from a spike alert (supervisors and admins), optionally
    link the alert's conversations to it (at most ``selectors.LINK_LIMIT``), and acknowledge
    the alert. One incident per alert: a second one is refused (InvalidTransition). The
    incident's own rules (texts, affected list, e-mails to subscribers when public) are
    ``kefu.status.services.incident_create``'s; everything is one transaction."""
    from kefu.conversations.models import Conversation
    from kefu.status.conversation_links import incident_link_conversations
    from kefu.status.models import IncidentKind
    from kefu.status.services import incident_create
    from kefu.trends.selectors import alert_conversation_ids

    user = _manager(actor)
    with transaction.atomic():
        locked = TrendAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.incident_id is not None:
            raise InvalidTransition(_("An incident was already opened from this alert."))
        incident = incident_create(
            kind=IncidentKind.INCIDENT,
            title_en=title_en,
            title_zh=title_zh,
            impact=impact,
            affected=affected,
            body_en=body_en,
            body_zh=body_zh,
            is_public=is_public,
            actor=actor,
        )
        linked = 0
        if link_conversations:
            ids = alert_conversation_ids(locked)
            conversations = Conversation.objects.filter(pk__in=ids).order_by("pk")
            linked = incident_link_conversations(
                incident=incident, conversations=conversations, actor=actor
            )
        locked.incident = incident
        fields = ["incident"]
        if locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by = clock.now(), user
            fields += ["acknowledged_at", "acknowledged_by"]
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="trends.incident_opened",
            object_type="trend_alert",
            object_id=locked.pk,
            data={"incident": incident.pk, "linked": linked, "key": locked.key},
        )
        from kefu.trends.worker import announce

        announce()
    return incident
