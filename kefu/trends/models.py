"""Trends (issue 10): hourly counts of new conversations per key, the alerts raised when a key
spikes, and the one-row policy that sets the thresholds (docs/subsystems/trends.md).

A *key* names one slice of the incoming load, e.g. ``i:withdrawal_status|l:zh|c:chat`` (intent,
language, channel) or ``t:TRC20|i:withdrawal_status|l:zh`` (a salient term within an intent and
language); ``kefu.trends.keys`` builds and describes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_MAX = 160


class TrendPolicy(models.Model):
    """What an exchange's admins choose about spike alerts and the public wait figure (one
    row, edited in the backoffice; ``kefu.trends.services.trend_policy_save`` audits it)."""

    enabled = models.BooleanField(_("raise spike alerts"), default=True)
    # The current hour must reach this many new conversations before it can alert at all, so
    # two conversations where one is usual never page anyone.
    min_count = models.PositiveIntegerField(_("minimum conversations in the hour"), default=10)
    # ...and be at least this much above the usual level (200: three times the usual).
    min_increase_percent = models.PositiveIntegerField(
        _("minimum increase over the usual level (percent)"), default=200
    )
    # ...and this many robust standard deviations above it (median/MAD, Poisson floor).
    min_score = models.FloatField(_("minimum score (robust deviations)"), default=4.0)
    baseline_weeks = models.PositiveSmallIntegerField(
        _("same hour of the week, over this many weeks"), default=4
    )
    baseline_days = models.PositiveSmallIntegerField(
        _("same hour of the day, over this many days"), default=7
    )
    # The public figure on the contact page (median wait for a first human reply).
    wait_public = models.BooleanField(_("show the current wait on the contact page"), default=True)
    wait_window_hours = models.PositiveSmallIntegerField(
        _("wait: conversations opened in the last hours"), default=24
    )
    wait_min_sample = models.PositiveSmallIntegerField(
        _("wait: fewest conversations to show a figure"), default=10
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("trend policy")

    def __str__(self) -> str:
        return "trend policy"

    @classmethod
    def current(cls) -> TrendPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class TrendState(models.Model):
    """The worker's watermark (one row): the newest conversation already counted. The tally
    locks it, so overlapping runs count each conversation once."""

    last_conversation_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"trends counted up to {self.last_conversation_id}"


class TrendCount(models.Model):
    """New conversations with ``key`` whose creation falls in the hour starting ``hour``."""

    key = models.CharField(max_length=KEY_MAX)
    hour = models.DateTimeField()  # UTC, on the hour
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "hour"], name="trends_count_key_hour"),
        ]
        indexes = [models.Index(fields=["hour"], name="trends_count_hour")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.hour:%Y-%m-%d %H}: {self.count}"


class TrendMember(models.Model):
    """One conversation counted under ``key`` in ``hour``: what an alert links to an incident.
    Kept for a few days only (the counts keep the history)."""

    key = models.CharField(max_length=KEY_MAX)
    hour = models.DateTimeField()
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "hour", "conversation"], name="trends_member_uniq"
            ),
        ]
        indexes = [models.Index(fields=["hour"], name="trends_member_hour")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.hour:%Y-%m-%d %H}: #{self.conversation_id}"


class TrendAlert(models.Model):
    """A key's hour was far above its usual level: one row per key and hour (deduplicated),
    shown to supervisors and admins until one of them acknowledges it."""

    key = models.CharField(max_length=KEY_MAX)
    window_start = models.DateTimeField()  # the hour that spiked (UTC)
    count = models.PositiveIntegerField()  # conversations in that hour when last evaluated
    baseline = models.FloatField()  # the usual level (median of the baseline hours)
    score = models.FloatField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        "status.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-window_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="trends_alert_dedup"),
        ]
        indexes = [
            models.Index(
                fields=["-created_at"],
                name="trends_alert_open",
                condition=models.Q(acknowledged_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H}: {self.count}"

    @property
    def increase_percent(self) -> int | None:
        """How far above the usual level, in percent; None when the usual level is zero."""
        if self.baseline <= 0:
            return None
        return round((self.count - self.baseline) / self.baseline * 100)
