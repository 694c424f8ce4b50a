"""How SLA deadlines read in the workspace: "2 h 15 min left", "overdue by 35 min", coloured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

SOON_SECONDS = 3600  # under an hour left reads as urgent (amber)


@dataclass(frozen=True, slots=True)
class Deadline:
    text: str
    css: str  # "sla-ok", "sla-soon", "sla-overdue" or "sla-paused"
    iso: str  # the deadline instant; "" while paused (there is none until it resumes)


def span(seconds: float) -> str:
    """A short duration in words: ``3 d 4 h``, ``2 h 15 min``, ``35 min`` (whole minutes)."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def deadline(due_at: datetime | None, now: datetime) -> Deadline | None:
    """The inbox cell for a conversation's most urgent deadline (None: nothing is timed)."""
    if due_at is None:
        return None
    left = (due_at - now).total_seconds()
    if left < 0:
        return Deadline(
            _("overdue by %(time)s") % {"time": span(-left)}, "sla-overdue", due_at.isoformat()
        )
    css = "sla-soon" if left < SOON_SECONDS else "sla-ok"
    return Deadline(_("%(time)s left") % {"time": span(left)}, css, due_at.isoformat())


def paused(remaining_seconds: float | None) -> Deadline:
    """The cell for a conversation whose timers are paused while it waits on the customer: the
    (business) time the most urgent one will have left when the clock restarts."""
    left = span(max(0.0, remaining_seconds or 0.0))
    return Deadline(_("paused, %(time)s left") % {"time": left}, "sla-paused", "")
