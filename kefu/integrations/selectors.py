"""Reads for the webhook pages: administrators only; anyone else gets NotFound."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from kefu.accounts.models import Role, User
from kefu.core.errors import NotFound
from kefu.integrations.models import DeliveryState, WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 50


def _require_admin(viewer: User) -> None:
    if not (viewer.is_agent and viewer.role == Role.ADMIN):
        raise NotFound


def endpoint_list_for_admin(*, viewer: User) -> QuerySet[WebhookEndpoint]:
    """Every endpoint, with counts of pending and failed deliveries (one query)."""
    _require_admin(viewer)
    return WebhookEndpoint.objects.annotate(
        pending_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)),
        failed_count=Count(
            "deliveries",
            filter=Q(deliveries__state__in=[DeliveryState.FAILED, DeliveryState.DEAD]),
        ),
    ).order_by("-id")


def endpoint_get_for_admin(*, viewer: User, pk: int) -> WebhookEndpoint:
    _require_admin(viewer)
    endpoint = WebhookEndpoint.objects.filter(pk=pk).first()
    if endpoint is None:
        raise NotFound
    return endpoint


def delivery_list_for_admin(
    *, viewer: User, endpoint: WebhookEndpoint, state: str = "", limit: int = RECENT_DELIVERIES
) -> list[WebhookDelivery]:
    """The endpoint's most recent deliveries, newest first (optionally of one state)."""
    _require_admin(viewer)
    rows = WebhookDelivery.objects.filter(endpoint=endpoint)
    if state in DeliveryState.values:
        rows = rows.filter(state=state)
    return list(rows.order_by("-created_at", "-id")[:limit])


def delivery_get_for_admin(*, viewer: User, endpoint: WebhookEndpoint, pk: int) -> WebhookDelivery:
    _require_admin(viewer)
    found = WebhookDelivery.objects.filter(endpoint=endpoint, pk=pk).first()
    if found is None:
        raise NotFound
    return found
