"""Reads for the status page. The public ones need no permission but only ever return public
entries, localised; the staff ones take the viewer and raise NotFound for anyone else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict

from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.core import clock
from kefu.core.errors import NotFound
from kefu.core.text import render_markdown
from kefu.status.models import (
    IMPACT_RANK,
    Impact,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentUpdate,
    affected_labels,
)

HISTORY_DAYS = 30
BANNER_LOOKAHEAD = timedelta(hours=24)
FEED_SIZE = 50


@dataclass(frozen=True)
class PublicUpdate:
    pk: int
    state: str
    state_label: str
    body_html: SafeString
    created_at: datetime


@dataclass(frozen=True)
class PublicIncident:
    """An entry as customers see it, in one language."""

    pk: int
    kind: str
    kind_label: str
    impact: str
    impact_label: str
    state: str
    state_label: str
    title: str
    affected: list[str]
    started_at: datetime | None
    resolved_at: datetime | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    is_open: bool
    url: str
    updates: list[PublicUpdate] = field(default_factory=list)  # newest first

    @property
    def last_updated(self) -> datetime | None:
        return self.updates[0].created_at if self.updates else self.started_at


@dataclass(frozen=True)
class StatusOverview:
    """Everything on the status page: the overall state and the entries, in sections."""

    level: str  # "operational", "maintenance", or the worst open incident's impact
    label: str
    open_incidents: list[PublicIncident]  # worst impact first, then newest
    maintenance: list[PublicIncident]  # in progress first, then upcoming by start
    announcements: list[PublicIncident]  # newest first, the last HISTORY_DAYS days
    history: list[PublicIncident]  # resolved / completed in the last HISTORY_DAYS days


class BannerItem(TypedDict):
    """What the help-center banner and the chat widget show for one open entry."""

    id: int
    kind: str  # "incident" or "maintenance"
    impact: str  # "none", "minor", "major", "critical"
    state: str
    title: str
    url: str  # the incident page in the language (absolute if base_url was given)


@dataclass(frozen=True)
class FeedEntry:
    update_pk: int
    incident_pk: int
    title: str
    kind_label: str
    state_label: str
    body_html: SafeString
    created_at: datetime
    url: str


def _incident_url(language: str, pk: int) -> str:
    return reverse("status:incident", args=[language, pk])


def _public_update(update: IncidentUpdate, language: str) -> PublicUpdate:
    return PublicUpdate(
        pk=update.pk,
        state=update.state,
        state_label=str(update.get_state_display()),
        # render_markdown sanitises its output, so it is safe to mark as such.
        body_html=mark_safe(render_markdown(update.body_for(language))),  # noqa: S308
        created_at=update.created_at,
    )


def _public_incident(
    incident: Incident, language: str, *, with_updates: bool = True
) -> PublicIncident:
    updates = [_public_update(u, language) for u in incident.updates.all()] if with_updates else []
    return PublicIncident(
        pk=incident.pk,
        kind=incident.kind,
        kind_label=str(incident.get_kind_display()),
        impact=incident.impact,
        impact_label=str(incident.get_impact_display()),
        state=incident.state,
        state_label=str(incident.get_state_display()),
        title=incident.title_for(language),
        affected=affected_labels(incident.affected),
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        scheduled_start=incident.scheduled_start,
        scheduled_end=incident.scheduled_end,
        is_open=incident.is_open,
        url=_incident_url(language, incident.pk),
        updates=updates,
    )


def _newest_updates() -> Prefetch[str, QuerySet[IncidentUpdate], str]:
    return Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id"))


def _overall(open_incidents: list[Incident], maintenance_running: bool) -> tuple[str, str]:
    if open_incidents:
        worst = max(IMPACT_RANK[Impact(i.impact)] for i in open_incidents)
        if worst >= IMPACT_RANK[Impact.CRITICAL]:
            return Impact.CRITICAL, _("Major service outage")
        if worst >= IMPACT_RANK[Impact.MAJOR]:
            return Impact.MAJOR, _("Partial service outage")
        if worst >= IMPACT_RANK[Impact.MINOR]:
            return Impact.MINOR, _("Minor service disruption")
        return Impact.NONE, _("We are looking into an issue")
    if maintenance_running:
        return "maintenance", _("Maintenance in progress")
    return "operational", _("All systems operational")


def public_incidents(language: str) -> StatusOverview:
    """The public status page in ``language`` (two queries): open incidents first, then
    maintenance in progress and upcoming, announcements and the entries resolved in the last
    HISTORY_DAYS days."""
    now = clock.now()
    cutoff = now - timedelta(days=HISTORY_DAYS)
    rows = list(
        Incident.objects.filter(is_public=True)
        .filter(
            Q(kind__in=[IncidentKind.INCIDENT, IncidentKind.MAINTENANCE], resolved_at__isnull=True)
            | Q(resolved_at__gte=cutoff)
            | Q(kind=IncidentKind.ANNOUNCEMENT, started_at__gte=cutoff)
        )
        .prefetch_related(_newest_updates())
        .order_by("-created_at", "-id")
    )
    open_incidents = [i for i in rows if i.kind == IncidentKind.INCIDENT and i.is_open]
    open_incidents.sort(key=lambda i: -IMPACT_RANK[Impact(i.impact)])  # stable: newest first
    maintenance = [i for i in rows if i.kind == IncidentKind.MAINTENANCE and i.is_open]
    maintenance.sort(
        key=lambda i: (
            i.state != IncidentState.IN_PROGRESS,
            i.scheduled_start or now,
        )
    )
    announcements = [i for i in rows if i.kind == IncidentKind.ANNOUNCEMENT]
    history = [i for i in rows if i.kind != IncidentKind.ANNOUNCEMENT and not i.is_open]
    history.sort(key=lambda i: i.resolved_at or now, reverse=True)
    level, label = _overall(
        open_incidents, any(i.state == IncidentState.IN_PROGRESS for i in maintenance)
    )
    return StatusOverview(
        level=level,
        label=label,
        open_incidents=[_public_incident(i, language) for i in open_incidents],
        maintenance=[_public_incident(i, language) for i in maintenance],
        announcements=[_public_incident(i, language) for i in announcements],
        history=[_public_incident(i, language, with_updates=False) for i in history],
    )


def incident_get_public(*, pk: int, language: str) -> PublicIncident:
    """One public entry with its whole timeline in ``language``; NotFound if it does not
    exist or is not public."""
    incident = (
        Incident.objects.filter(pk=pk, is_public=True).prefetch_related(_newest_updates()).first()
    )
    if incident is None:
        raise NotFound(_("No such incident."))
    return _public_incident(incident, language)


BANNER_CACHE_SECONDS = 30
_BANNER_VERSION = "status:banner:version"


def banner_changed() -> None:
    """Forget every cached banner (called on commit by the services that change incidents).
    The cache is shared by all nodes when Redis is configured; otherwise each process's copy
    expires within BANNER_CACHE_SECONDS."""
    try:
        cache.incr(_BANNER_VERSION)
    except ValueError:
        cache.set(_BANNER_VERSION, 1, timeout=None)


def open_banner_cached(language: str, *, base_url: str = "") -> list[BannerItem]:
    """open_banner, cached for a few seconds: it is on every help-center page and every chat
    widget load. Time-based entries (maintenance starting soon) are at most this late."""
    version = cache.get_or_set(_BANNER_VERSION, 1, timeout=None)
    key = f"status:banner:{version}:{language}:{base_url}"
    cached: list[BannerItem] | None = cache.get(key)
    if cached is None:
        cached = open_banner(language, base_url=base_url)
        cache.set(key, cached, timeout=BANNER_CACHE_SECONDS)
    return cached


def open_banner(language: str, *, base_url: str = "") -> list[BannerItem]:
    """The entries to flag on every help-center page and in the chat widget (one query):
    open public incidents (worst impact first) and maintenance in progress or starting within
    BANNER_LOOKAHEAD. ``base_url`` (e.g. ``https://support.example.com``) makes the links
    absolute, for the widget on another site."""
    now = clock.now()
    rows = list(
        Incident.objects.filter(is_public=True, resolved_at__isnull=True)
        .filter(
            Q(kind=IncidentKind.INCIDENT)
            | Q(kind=IncidentKind.MAINTENANCE, state=IncidentState.IN_PROGRESS)
            | Q(
                kind=IncidentKind.MAINTENANCE,
                state=IncidentState.SCHEDULED,
                scheduled_start__lte=now + BANNER_LOOKAHEAD,
                scheduled_end__gt=now,
            )
        )
        .exclude(state__in=[IncidentState.RESOLVED, IncidentState.COMPLETED])
        .only("id", "kind", "impact", "state", "title_en", "title_zh", "scheduled_start")
        .order_by("-created_at", "-id")
    )
    rows.sort(
        key=lambda i: (
            i.kind != IncidentKind.INCIDENT,
            -IMPACT_RANK[Impact(i.impact)],
        )
    )
    base = base_url.rstrip("/")
    return [
        {
            "id": i.pk,
            "kind": i.kind,
            "impact": i.impact,
            "state": i.state,
            "title": i.title_for(language),
            "url": base + _incident_url(language, i.pk),
        }
        for i in rows
    ]


def public_feed_entries(language: str, *, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest updates of public entries, one feed entry each, in ``language`` (one
    query)."""
    updates = (
        IncidentUpdate.objects.filter(incident__is_public=True)
        .select_related("incident")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        FeedEntry(
            update_pk=u.pk,
            incident_pk=u.incident_id,
            title=u.incident.title_for(language),
            kind_label=str(u.incident.get_kind_display()),
            state_label=str(u.get_state_display()),
            body_html=mark_safe(render_markdown(u.body_for(language))),  # noqa: S308
            created_at=u.created_at,
            url=_incident_url(language, u.incident_id),
        )
        for u in updates
    ]


# --- staff -----------------------------------------------------------------------------------


def _require_manager(viewer: User) -> None:
    if not permissions.can_manage_workspace(viewer):
        raise NotFound


def incident_list_for_staff(*, viewer: User) -> QuerySet[Incident]:
    """Every entry, drafts included, newest first (supervisors and admins)."""
    _require_manager(viewer)
    return Incident.objects.order_by("-created_at", "-id")


def incident_get_for_staff(*, viewer: User, pk: int) -> Incident:
    """One entry with its updates (newest first) and their authors loaded."""
    _require_manager(viewer)
    incident = (
        Incident.objects.filter(pk=pk)
        .prefetch_related(
            Prefetch(
                "updates",
                queryset=IncidentUpdate.objects.select_related("author").order_by(
                    "-created_at", "-id"
                ),
            )
        )
        .first()
    )
    if incident is None:
        raise NotFound
    return incident
