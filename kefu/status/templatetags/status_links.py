from __future__ import annotations

from django import template

from kefu.status.models import Incident, IncidentKind, IncidentState

register = template.Library()


@register.simple_tag
def open_incidents_for_linking() -> list[Incident]:
    """Incidents a conversation can be linked to: not announcements, and open or resolved in
    the latest ones (so a late duplicate can still join before the bulk reply)."""
    return list(
        Incident.objects.filter(kind=IncidentKind.INCIDENT)
        .exclude(state=IncidentState.PUBLISHED)
        .order_by("-created_at")[:20]
    )


@register.simple_tag
def incidents_linked_to(conversation_id: int) -> list[Incident]:
    """The incidents a conversation is linked to (the page already checked access)."""
    return list(
        Incident.objects.filter(conversations__conversation_id=conversation_id).order_by(
            "-created_at"
        )
    )
