"""Analytics read models, written only by the worker (kefu.analytics.services).

``ConversationFact`` is one row per conversation: its dimensions and what the raw rows
(messages, status timeline, surveys, SLA timers, the assistant session) say about it, computed
by the pure ``facts.compute``. ``DailyRollup`` holds, per day and per one dimension value, the sum
of the facts' contributions (counters and histogram bins in one flat JSON object), so a
dashboard reads a few hundred small rows instead of scanning conversations. See
docs/subsystems/analytics.md and ADR 0023.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Dimension(models.TextChoices):
    ALL = "all", "all"
    CHANNEL = "channel", "channel"
    INTENT = "intent", "intent"
    LANGUAGE = "language", "language"
    TEAM = "team", "team"
    AGENT = "agent", "agent"


class ConversationFact(models.Model):
    """What analytics knows about one conversation (replaced whole on every refresh)."""

    # A plain id, not a foreign key: when retention deletes a conversation its numbers stay in
    # the rollups, and the fact (which holds no personal data) stays consistent with them.
    conversation_id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()
    day = models.DateField()  # the UTC day of created_at: the rollup bucket
    hour = models.PositiveSmallIntegerField()  # the UTC hour of created_at
    channel = models.CharField(max_length=16)
    intent = models.CharField(max_length=64)
    language = models.CharField(max_length=8)
    team_id = models.BigIntegerField(null=True)
    agent_id = models.BigIntegerField(null=True)
    is_open = models.BooleanField()  # backlog: not solved or closed
    resolved = models.BooleanField()
    # Durations in whole seconds, calendar (``_s``) and business time (``_bs``).
    first_response_s = models.BigIntegerField(null=True)
    first_response_bs = models.BigIntegerField(null=True)
    resolution_s = models.BigIntegerField(null=True)
    resolution_bs = models.BigIntegerField(null=True)
    # [[calendar, business], ...]: every wait of the customer for the next agent reply.
    next_responses = models.JSONField(default=list)
    agent_replies = models.PositiveIntegerField()
    reopens = models.PositiveIntegerField()
    first_contact_resolution = models.BooleanField()
    csat_rating = models.PositiveSmallIntegerField(null=True)
    csat_resolved = models.BooleanField(null=True)
    sla_met = models.PositiveIntegerField()
    sla_breached = models.PositiveIntegerField()
    assisted = models.BooleanField()  # the assistant handled the chat first
    contained = models.BooleanField()  # ...and resolved it without a person
    handed_off = models.BooleanField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="analytics_fact_open_day", condition=Q(is_open=True)),
            # Combined filters read the facts of the date range that match every filter
            # (selectors.merge_facts): the planner combines the day index with the most
            # selective filter's (language has two values: the day index serves it).
            models.Index(fields=["day"], name="analytics_fact_day"),
            models.Index(fields=["team_id", "day"], name="analytics_fact_team_day"),
            models.Index(fields=["agent_id", "day"], name="analytics_fact_agent_day"),
            models.Index(fields=["channel", "day"], name="analytics_fact_channel_day"),
            models.Index(fields=["intent", "day"], name="analytics_fact_intent_day"),
        ]

    def __str__(self) -> str:
        return f"fact {self.conversation_id}"


class Span(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"


class DailyRollup(models.Model):
    """The summed contributions of the facts created on ``day`` (``span`` day) or in the month
    starting on ``day`` (``span`` month) whose ``dimension`` is ``value`` (``all``/``""`` is
    every conversation). ``counts`` maps a counter name (``n``, ``resolved``, ``frt:17`` for a
    histogram bin, ``hour:9``, ...) to an integer. Month rows let a year be read as 12 rows
    per value plus the days at the edges."""

    span = models.CharField(max_length=5, choices=Span.choices, default=Span.DAY)
    day = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    value = models.CharField(max_length=64, blank=True)
    counts = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["span", "dimension", "value", "day"], name="analytics_rollup_key"
            )
        ]
        indexes = [
            models.Index(fields=["span", "dimension", "day"], name="analytics_rollup_dim_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.value}"


class RefreshCursor(models.Model):
    """Where the incremental refresh stopped (one row, locked while a refresh runs)."""

    timeline_id = models.BigIntegerField(default=0)
    sessions_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"analytics cursor at timeline {self.timeline_id}"


class WeeklyReport(models.Model):
    """One weekly PDF report sent to supervisors (unique per ISO week: sent once)."""

    week_start = models.DateField(unique=True)
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"weekly report {self.week_start}"
