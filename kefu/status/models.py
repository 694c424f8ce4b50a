"""The public status page: incidents, maintenance windows and announcements, their timeline of
updates, and the people who asked to be emailed about them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentKind(models.TextChoices):
    INCIDENT = "incident", pgettext_lazy("status kind", "Incident")
    MAINTENANCE = "maintenance", pgettext_lazy("status kind", "Maintenance")
    ANNOUNCEMENT = "announcement", pgettext_lazy("status kind", "Announcement")


class Impact(models.TextChoices):
    NONE = "none", pgettext_lazy("status impact", "No impact")
    MINOR = "minor", pgettext_lazy("status impact", "Minor")
    MAJOR = "major", pgettext_lazy("status impact", "Major")
    CRITICAL = "critical", pgettext_lazy("status impact", "Critical")


# Worst last, so ``IMPACT_RANK[a] > IMPACT_RANK[b]`` means a is worse.
IMPACT_RANK = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}


class IncidentState(models.TextChoices):
    # incidents
    INVESTIGATING = "investigating", pgettext_lazy("status state", "Investigating")
    IDENTIFIED = "identified", pgettext_lazy("status state", "Identified")
    MONITORING = "monitoring", pgettext_lazy("status state", "Monitoring")
    RESOLVED = "resolved", pgettext_lazy("status state", "Resolved")
    # maintenance
    SCHEDULED = "scheduled", pgettext_lazy("status state", "Scheduled")
    IN_PROGRESS = "in_progress", pgettext_lazy("status state", "In progress")
    COMPLETED = "completed", pgettext_lazy("status state", "Completed")
    # announcements
    PUBLISHED = "published", pgettext_lazy("status state", "Published")


# The states each kind may be in, in the order they normally happen; the first is the default.
STATES_BY_KIND: dict[str, tuple[str, ...]] = {
    IncidentKind.INCIDENT: (
        IncidentState.INVESTIGATING,
        IncidentState.IDENTIFIED,
        IncidentState.MONITORING,
        IncidentState.RESOLVED,
    ),
    IncidentKind.MAINTENANCE: (
        IncidentState.SCHEDULED,
        IncidentState.IN_PROGRESS,
        IncidentState.COMPLETED,
    ),
    IncidentKind.ANNOUNCEMENT: (IncidentState.PUBLISHED,),
}
# Reaching one of these sets ``resolved_at``; leaving it (a reopened incident) clears it.
FINAL_STATES = frozenset({IncidentState.RESOLVED, IncidentState.COMPLETED})


def is_chinese(language: str) -> bool:
    return (language or "").lower().startswith("zh")


def affected_labels(entries: list[dict[str, str]]) -> list[str]:
    """``["ETH (ERC20)", "BTC"]`` for the stored ``affected`` entries."""
    return [
        f"{e.get('asset', '')} ({e['network']})" if e.get("network") else str(e.get("asset", ""))
        for e in entries or []
    ]


class Incident(models.Model):
    """One incident, maintenance window or announcement on the public status page."""

    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    impact = models.CharField(
        _("impact"), max_length=16, choices=Impact.choices, default=Impact.NONE
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    # Optional: the English title is shown when it is empty.
    title_zh = models.CharField(_("title (Simplified Chinese)"), max_length=200, blank=True)
    # [{"asset": "ETH", "network": "ERC20"}, ...]; checked by the services.
    affected = models.JSONField(_("affected assets and networks"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=IncidentState.choices)
    scheduled_start = models.DateTimeField(_("scheduled start"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("scheduled end"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Drafts are not public: no page, no banner, no feed entry, no email.
    is_public = models.BooleanField(_("public"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["is_public", "resolved_at"], name="status_public_open")]

    def __str__(self) -> str:
        return self.title_en

    def title_for(self, language: str) -> str:
        """The title in ``language`` (Chinese for ``zh-*``), else the English one."""
        return (self.title_zh or self.title_en) if is_chinese(language) else self.title_en

    @property
    def is_open(self) -> bool:
        return self.kind != IncidentKind.ANNOUNCEMENT and self.state not in FINAL_STATES


class IncidentUpdate(models.Model):
    """One entry in an incident's timeline: the state at that time and what we told customers."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    state = models.CharField(_("state"), max_length=16, choices=IncidentState.choices)
    body_en = models.TextField(_("message (English)"))  # Markdown
    body_zh = models.TextField(_("message (Simplified Chinese)"), blank=True)  # Markdown
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="status_update_time")]

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.state}"

    def body_for(self, language: str) -> str:
        return (self.body_zh or self.body_en) if is_chinese(language) else self.body_en


class StatusSubscriber(models.Model):
    """Someone who asked to be emailed about the status page (double opt-in).

    The links in their emails carry a token derived from ``nonce`` with the server's secret
    (see ``services.subscriber_token``), so the table alone is not enough to forge them.
    """

    email = models.EmailField(_("email"), max_length=254, unique=True)
    language = models.CharField(_("language"), max_length=16)
    nonce = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["confirmed_at"], name="status_subscriber_confirmed")]

    def __str__(self) -> str:
        return self.email


class StatusDelivery(models.Model):
    """One subscriber was emailed one update: the row makes the mailing job idempotent."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(
        StatusSubscriber, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Null while the email is being sent; a row left null by a crash is never retried, so a
    # subscriber gets an update at most once.
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "subscriber"], name="status_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.update_id}->{self.subscriber_id}"


class IncidentConversation(models.Model):
    """A support conversation about an incident: linked by an agent, answered all at once when
    the incident is resolved (kefu.status.conversation_links)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="conversations")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="incident_links"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    # Set when the bulk reply answered it: a second bulk reply skips it.
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "conversation"], name="incident_conversation_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"incident {self.incident_id} / conversation {self.conversation_id}"
