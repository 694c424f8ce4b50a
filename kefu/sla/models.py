"""Business calendars: when the support team is at work."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.sla.hours import DAYS, CalendarSpec


def closed_week() -> dict[str, list[list[str]]]:
    return {day: [] for day in DAYS}


class BusinessCalendar(models.Model):
    """Weekly service hours in one timezone. Exactly one calendar is the default once any
    exists; it decides what the chat widget shows before the first message."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC")
    always_open = models.BooleanField(_("open 24/7"), default=False)
    # {"mon": [["09:00", "21:00"]], ..., "sun": []}: wall-clock ranges, validated and
    # normalised by kefu.sla.hours.parse_weekly_hours in calendar_save.
    weekly_hours = models.JSONField(_("weekly hours"), default=closed_week)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="sla_one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> CalendarSpec:
        """The calendar as a CalendarSpec for the functions in kefu.sla.hours."""
        return CalendarSpec.from_weekly_hours(
            timezone=self.timezone,
            always_open=self.always_open,
            weekly_hours=self.weekly_hours,
        )
