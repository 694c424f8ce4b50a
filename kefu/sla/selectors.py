"""Reads of business calendars."""

from __future__ import annotations

import logging

from kefu.sla.hours import CalendarSpec, HoursError
from kefu.sla.models import BusinessCalendar

log = logging.getLogger(__name__)


def default_calendar() -> CalendarSpec:
    """The default calendar's hours; 24/7 in UTC when none is configured (or, logged, when the
    stored hours cannot be read: better to show "open" than to break the chat widget)."""
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        return CalendarSpec.twenty_four_seven()
    try:
        return calendar.spec()
    except HoursError:
        log.warning("business calendar %s has unusable hours; using 24/7", calendar.pk)
        return CalendarSpec.twenty_four_seven()
