"""Business calendars: when the support team is at work."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.sla.hours import DAYS, CalendarSpec, parse_time


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
    # The CalendarException rows as {"2026-10-01": [], "2026-10-10": [["09:00", "18:00"]]},
    # kept by kefu.sla.services so a calendar's hours read in one query.
    exception_hours = models.JSONField(default=dict, blank=True)
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
        """The calendar, with its dated exceptions, as a CalendarSpec for kefu.sla.hours."""
        base = CalendarSpec.from_weekly_hours(
            timezone=self.timezone,
            always_open=self.always_open,
            weekly_hours=self.weekly_hours,
        )
        if self.always_open or not self.exception_hours:
            return base
        exceptions = tuple(
            (
                date.fromisoformat(day),
                tuple((parse_time(a), parse_time(b, end=True)) for a, b in hours),
            )
            for day, hours in sorted(self.exception_hours.items())
        )
        return CalendarSpec(
            timezone=base.timezone, always_open=False, weekly=base.weekly, exceptions=exceptions
        )


class CalendarException(models.Model):
    """A dated exception to a calendar's weekly hours: a closed day (a public holiday) or a day
    open with its own hours (a make-up working day, 调休, on a weekend)."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("Closed (holiday)")
        OPEN = "open", _("Open (working day)")

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # [["09:00", "18:00"], ...] for an open day; [] for a closed one.
    hours = models.JSONField(_("hours"), default=list, blank=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_one_exception_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class TeamCalendar(models.Model):
    """The business calendar a team works to (teams without one use the default calendar)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sla_calendar")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.team_id} -> {self.calendar_id}"


class SlaPolicy(models.Model):
    """Targets for conversations that match its conditions. Policies are tried in ``position``
    order and the first active one that matches applies. An empty condition matches anything."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    vip_tiers = models.JSONField(_("VIP tiers"), default=list, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    # Conversation types (``standard``, ``complaint``): complaints get their own targets.
    conversation_types = models.JSONField(_("conversation types"), default=list, blank=True)
    # Targets in minutes; None means no target of that kind.
    first_response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), null=True, blank=True
    )
    # Business time counts only the calendar's open hours; calendar time counts every minute.
    business_time = models.BooleanField(_("count business hours only"), default=True)
    # None: the conversation's team's calendar, else the default calendar.
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the target)"), default=80
    )
    escalate_on_breach = models.BooleanField(_("escalate on breach"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TimerKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class TimerState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


class SlaTimer(models.Model):
    """One target being timed for one conversation (docs/subsystems/sla.md has the states).

    ``due_at`` and ``warn_at`` are absolute instants computed with the calendar's business
    time when the timer starts or resumes, so the worker compares columns with "now" in SQL and
    never does calendar maths. A paused timer keeps the business time it had left."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="sla_timers"
    )
    kind = models.CharField(max_length=16, choices=TimerKind.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, related_name="+")
    target_seconds = models.PositiveIntegerField()
    business_time = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    warn_percent = models.PositiveSmallIntegerField(default=80)
    state = models.CharField(max_length=10, choices=TimerState.choices)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)  # None: the calendar never opens
    warn_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True)  # while paused
    warn_remaining_seconds = models.FloatField(null=True, blank=True)  # while paused
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)  # met or cancelled (or answered late)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            # The worker's two claims: running timers by due and by warn instant.
            models.Index(
                fields=["due_at"], name="sla_timer_running_due", condition=Q(state="running")
            ),
            models.Index(
                fields=["warn_at"],
                name="sla_timer_running_warn",
                condition=Q(state="running", warned_at__isnull=True),
            ),
            models.Index(fields=["conversation", "kind"], name="sla_timer_conv_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.state} #{self.conversation_id}"


class SlaAlert(models.Model):
    """A notice to one staff member: a timer reached its warning threshold (to the assignee)
    or was breached (to the team's supervisors); or an automation rule's "notify" action (to
    the assignee and the team's supervisors, with the rule's text in ``note``, no timer)."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Deadline approaching")
        BREACH = "breach", _("Deadline missed")
        RULE = "rule", _("Automation rule")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_alerts"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    timer = models.ForeignKey(
        SlaTimer, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # db_default: the worker's raw INSERT (PostgreSQL) does not name the column.
    note = models.CharField(max_length=600, blank=True, default="", db_default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="sla_alert_recipient")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"
