from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import Team
from kefu.contacts.models import Contact

REFERENCE_PREFIX = "KF-"


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending on customer")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    CHAT = "chat", _("Live chat")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Messenger")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SOCIAL = "social", _("Social")
    API = "api", _("API")


class Category(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit not credited")
    WITHDRAWAL = "withdrawal", _("Withdrawal problem")
    ACCOUNT = "account", _("Account access / login")
    TWO_FA = "2fa", _("Two-factor authentication")
    KYC = "kyc", _("Identity verification (KYC)")
    SECURITY = "security", _("Security / hacked account")
    TRADING = "trading", _("Trading")
    FEES = "fees", _("Fees and limits")
    OTHER = "other", _("Other")


class Tier(models.IntegerChoices):
    L1 = 1, _("L1 front line")
    L2 = 2, _("L2 senior")
    L3 = 3, _("L3 management")


class ConversationType(models.TextChoices):
    STANDARD = "standard", pgettext_lazy("conversation type", "Request")
    COMPLAINT = "complaint", _("Complaint")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="conversations_tag_name_ci")]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """The ticket: one model for every channel (chat, email, web form, phone, social)."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.OTHER
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.L1)
    language = models.CharField(_("language"), max_length=8, default="en")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    tx_id = models.CharField(_("transaction id"), max_length=128, blank=True)
    asset = models.CharField(_("asset"), max_length=16, blank=True)
    network = models.CharField(_("network"), max_length=32, blank=True)
    created_at = models.DateTimeField(db_index=False)
    last_activity_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # Per-conversation message sequences (docs/subsystems/realtime.md): ``last_seq`` counts every
    # message, ``last_public_seq`` public replies only. Assigned under the row lock.
    last_seq = models.PositiveIntegerField(default=0)
    last_public_seq = models.PositiveIntegerField(default=0)
    # Read marks, as public sequence numbers: what the customer and the agents have read.
    customer_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    # Set when the secret guard hid a secret the customer sent (docs/subsystems/conversations.md).
    security_risk = models.BooleanField(_("security risk"), default=False)
    # The most urgent SLA deadline still open (running or breached-unanswered), kept by
    # kefu.sla.services so the inbox can show and sort by it without a join; None: none.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    # When the current satisfaction survey stops taking answers (kefu.csat.survey_open keeps it):
    # every chat ack carries the survey, and this spares the look-up while there is none.
    survey_open_until = models.DateTimeField(null=True, blank=True)
    # A complaint has its own routing and SLA and needs a written resolution before it can be
    # solved (docs/subsystems/routing.md); the customer sees the resolution.
    conversation_type = models.CharField(
        _("type"), max_length=16, choices=ConversationType.choices, default="standard"
    )
    resolution = models.TextField(_("resolution"), blank=True, default="")
    # Set when this conversation was merged into another one (and closed): the pointer.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )

    class Meta:
        indexes = [
            models.Index(fields=["-last_activity_at", "-id"], name="conv_activity_idx"),
            models.Index(
                fields=["-priority", "-last_activity_at", "-id"], name="conv_priority_idx"
            ),
            models.Index(fields=["created_at", "id"], name="conv_age_idx"),
            models.Index(fields=["status", "-last_activity_at", "-id"], name="conv_status_idx"),
            models.Index(fields=["assignee", "-last_activity_at", "-id"], name="conv_assignee_idx"),
            models.Index(fields=["team", "-last_activity_at", "-id"], name="conv_team_idx"),
            models.Index(fields=["contact", "-last_activity_at"], name="conv_contact_idx"),
            # The inbox's "sla" sort: deadline ascending, NULLs last (PostgreSQL's default
            # for an ascending index), then id; ADR 0005.
            models.Index(fields=["sla_due_at", "id"], name="conv_sla_sort_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.pk:06d}"

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


def parse_reference(value: str) -> int | None:
    """``KF-000123`` or ``123`` -> 123; anything else -> None."""
    text = value.strip().upper()
    if text.startswith(REFERENCE_PREFIX):
        text = text[len(REFERENCE_PREFIX) :]
    return int(text) if text.isdigit() and 0 < len(text) <= 12 else None


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    ASSISTANT = "assistant", _("Assistant")
    SYSTEM = "system", _("System")


class DeliveryStatus(models.TextChoices):
    NONE = "none", _("Not applicable")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """A public reply or an internal note in a conversation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.REPLY)
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An agent's public name as the customer saw it when the message was written: a rename
    # later does not rewrite history (the widget's resync, transcripts as evidence).
    author_name = models.CharField(max_length=150, blank=True, default="")
    body = models.TextField()
    body_html = models.TextField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    # NULL (not "") when absent, so the unique (channel, external_id) constraint ignores it.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    delivery_status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE
    )
    customer_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    seq = models.PositiveIntegerField(null=True, blank=True)
    public_seq = models.PositiveIntegerField(null=True, blank=True)  # NULL for notes
    # Structured extras (the assistant's buttons, citations and link; a customer's button
    # choice; ``pinned`` on the assistant's hand-off note). Never secrets.
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="msg_conv_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"],
                condition=models.Q(seq__isnull=False),
                name="msg_conv_seq_uniq",
            ),
            models.UniqueConstraint(
                fields=["conversation", "public_seq"],
                condition=models.Q(public_seq__isnull=False),
                name="msg_conv_public_seq_uniq",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="msg_channel_external_id_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Created")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    ASSIGNMENT = "assignment", _("Assignment changed")
    ESCALATION = "escalation", _("Escalated")
    TAGS = "tags", _("Tags changed")
    SECURITY = "security", _("Secret hidden")
    CALL = "call", _("Phone call")
    SLA = "sla", _("Service level")
    SURVEY = "survey", _("Satisfaction survey")
    MERGE = "merge", _("Merged")
    INCIDENT = "incident", _("Incident")


class TimelineEntry(models.Model):
    """What happened in a conversation, by whom and when. Written by services only."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    actor_kind = models.CharField(max_length=16)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=False)  # shown to the customer too
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="timeline_conv_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.conversation_id}"


class MacroAssign(models.TextChoices):
    LEAVE = "", _("Leave as it is")
    ME = "me", _("The agent who applies the macro")
    NOBODY = "nobody", _("Nobody (unassign)")


class Macro(models.Model):
    """A canned reply in both languages, with placeholders filled per conversation, and the
    fields it sets when an agent applies it (blank / empty: leave as it is)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body_en = models.TextField(_("text (English)"))
    body_zh = models.TextField(_("text (Simplified Chinese)"))
    set_status = models.CharField(
        _("set the status"), max_length=16, choices=Status.choices, blank=True
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set the priority"), choices=Priority.choices, null=True, blank=True
    )
    set_team = models.ForeignKey(
        Team,
        verbose_name=_("route to team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    add_tags = models.ManyToManyField(Tag, verbose_name=_("add tags"), blank=True, related_name="+")
    assign = models.CharField(
        _("assign to"), max_length=8, choices=MacroAssign.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
