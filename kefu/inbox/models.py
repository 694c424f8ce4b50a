"""Channel instances and their state. Live chat: sites that embed the widget, and visitors."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.accounts.models import Team
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message
from kefu.core import secretbox


def new_site_key() -> str:
    return secrets.token_urlsafe(12)


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


IDENTITY_SECRET_PURPOSE = b"kefu.inbox.chat-site-identity-secret.v1"


def new_sealed_identity_secret() -> str:
    return secretbox.seal(new_identity_secret(), purpose=IDENTITY_SECRET_PURPOSE)


class ChatSite(models.Model):
    """A website or app that embeds the chat widget with its public site key."""

    key = models.CharField(_("site key"), max_length=32, unique=True, default=new_site_key)
    name = models.CharField(_("name"), max_length=120)
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        help_text=_("Origins allowed to embed the widget, e.g. https://www.example.com."),
    )
    # Signs identity tokens (HS256). Kept because verifying needs it, so sealed at rest
    # (kefu.core.secretbox), never logged or audited; read it through ``identity_secret``.
    identity_secret_sealed = models.TextField(default=new_sealed_identity_secret)
    identity_required = models.BooleanField(_("require verified identity"), default=False)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    greeting_en = models.CharField(_("greeting (English)"), max_length=300, blank=True)
    greeting_zh = models.CharField(_("greeting (Simplified Chinese)"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Off unless an admin turns it on: an upgrade must not put a bot in front of every existing
    # site's customers (docs/subsystems/assistant.md, "Acting in live chat").
    assistant_first = models.BooleanField(
        _("assistant answers first"),
        default=False,
        help_text=_(
            "New chats are answered by the assistant, which hands them to the team when needed."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def identity_secret(self) -> str:
        return secretbox.unseal(
            self.identity_secret_sealed, purpose=IDENTITY_SECRET_PURPOSE
        ).plaintext

    @identity_secret.setter
    def identity_secret(self, value: str) -> None:
        self.identity_secret_sealed = secretbox.seal(value, purpose=IDENTITY_SECRET_PURPOSE)

    def allows_origin(self, origin: str | None) -> bool:
        """An empty list allows every origin; otherwise the exact scheme://host[:port].

        Browsers always send Origin on the widget's cross-site requests and sockets, so this
        stops other websites embedding the chat. Requests without one come from apps, not
        pages; they are allowed here and authenticated by their tokens like everyone else.
        """
        if not self.allowed_origins or not origin:
            return True
        return origin.rstrip("/").lower() in {o.rstrip("/").lower() for o in self.allowed_origins}


class ChatVisitor(models.Model):
    """Someone chatting through a site: anonymous (a browser token) or identified (exchange id)."""

    site = models.ForeignKey(ChatSite, on_delete=models.CASCADE, related_name="visitors")
    # Part of every visitor token (tokens are signed, not stored); a new nonce revokes them all.
    nonce = models.CharField(max_length=24, default=new_nonce)
    # The exchange's user id from a verified identity token; NULL for anonymous visitors.
    external_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="chat_visitors")
    # What an anonymous visitor typed: used to continue by email, never to merge with a contact.
    email = models.EmailField(_("email"), blank=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    language = models.CharField(max_length=8, default="en")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="chat_visitor_site_external_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"visitor {self.pk} on {self.site_id}"

    @property
    def identified(self) -> bool:
        return self.external_id is not None


# --- the channel pipeline (docs/subsystems/channels.md) ---------------------------------------


class InboundState(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("inbound event state", "Received")
    PROCESSED = "processed", pgettext_lazy("inbound event state", "Processed")
    IGNORED = "ignored", pgettext_lazy("inbound event state", "Ignored")
    FAILED = "failed", pgettext_lazy("inbound event state", "Failed")


class InboundEvent(models.Model):
    """One request a channel's provider sent us, stored before anything else happens.

    ``event_id`` is the provider's id (Telegram's update_id): unique per channel and account,
    so a redelivered webhook is stored once. The worker parses ``payload`` with the channel's
    adapter and hands the messages to ``message_receive``; failures are retried with a bound,
    then the event is ``failed`` and listed for admins to replay.
    """

    channel = models.CharField(max_length=16)
    account = models.CharField(max_length=64, blank=True)  # which bot / mailbox
    event_id = models.CharField(max_length=128)
    payload = models.BinaryField()
    content_type = models.CharField(max_length=100, blank=True)
    # Received headers minus anything secret (see kefu.inbox.services.safe_headers).
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=16, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    ignored_reason = models.CharField(max_length=120, blank=True)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "account", "event_id"], name="inbound_event_channel_uniq"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="inbound_event_due")]

    def __str__(self) -> str:
        return f"{self.channel} event {self.event_id} ({self.state})"


class OutboundState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("outbound delivery state", "Queued")
    SENT = "sent", pgettext_lazy("outbound delivery state", "Sent")
    FAILED = "failed", pgettext_lazy("outbound delivery state", "Failed")


class OutboundDelivery(models.Model):
    """One public reply on its way to the customer's channel (Telegram, ...)."""

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="outbound_delivery"
    )
    channel = models.CharField(max_length=16)
    state = models.CharField(
        max_length=16, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbound_delivery_due"),
            # Receipts (WhatsApp statuses, Messenger deliveries) find the delivery by this id.
            models.Index(fields=["channel", "provider_message_id"], name="outbound_delivery_pid"),
        ]

    def __str__(self) -> str:
        return f"message {self.message_id} -> {self.channel} ({self.state})"


class DeliveryPart(models.Model):
    """A further provider id of one delivery: a long reply goes out in several texts and each
    file is its own message, each with its id; receipts for any of them reach the delivery."""

    delivery = models.ForeignKey(OutboundDelivery, on_delete=models.CASCADE, related_name="parts")
    channel = models.CharField(max_length=16)
    provider_message_id = models.CharField(max_length=128)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "provider_message_id"], name="delivery_part_pid")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.provider_message_id} -> delivery {self.delivery_id}"


class EarlyReceipt(models.Model):
    """A provider's receipt for an id no delivery has recorded yet: the provider answered the
    send and called the webhook before Kefu wrote the id down. Applied when the id is recorded
    (``delivery_attempt``); kept ``EARLY_RECEIPT_HOURS`` for that, then pruned."""

    channel = models.CharField(max_length=16)
    provider_message_id = models.CharField(max_length=128)
    status = models.CharField(max_length=16)
    error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["channel", "provider_message_id"], name="early_receipt_pid"),
            models.Index(fields=["received_at"], name="early_receipt_age"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.provider_message_id}: {self.status}"


class ChannelIdentity(models.Model):
    """Who someone is on a channel (a Telegram user id) and which contact that is.

    New senders get a fresh contact of their own; ``linked`` turns true when they prove,
    through a signed one-use link from the portal, that they own an exchange account.
    ``thread_key`` is where replies go (Telegram: the private chat id).
    """

    channel = models.CharField(max_length=16)
    account = models.CharField(max_length=64, blank=True)
    external_id = models.CharField(max_length=128)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="channel_ids")
    display_name = models.CharField(max_length=200, blank=True)
    thread_key = models.CharField(max_length=128, blank=True)
    linked = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "account", "external_id"], name="channel_identity_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class ChannelLinkToken(models.Model):
    """A one-use, short-lived token the portal puts in a deep link (``/start <token>``)."""

    channel = models.CharField(max_length=16)
    nonce = models.CharField(max_length=32, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.channel} link for contact {self.contact_id}"


class GroupChatNotice(models.Model):
    """A group chat we told, once, to message us privately; later messages there are ignored."""

    channel = models.CharField(max_length=16)
    account = models.CharField(max_length=64, blank=True)
    chat_id = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "account", "chat_id"], name="group_chat_notice_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} group {self.chat_id}"


# --- the phone channel (docs/subsystems/channels.md, "Phone") ---------------------------------


class CallDirection(models.TextChoices):
    INBOUND = "inbound", pgettext_lazy("call direction", "Inbound")
    OUTBOUND = "outbound", pgettext_lazy("call direction", "Outbound")


class CallStatus(models.TextChoices):
    RINGING = "ringing", pgettext_lazy("call status", "Ringing")
    IN_PROGRESS = "in-progress", pgettext_lazy("call status", "In progress")
    COMPLETED = "completed", pgettext_lazy("call status", "Completed")
    NO_ANSWER = "no-answer", pgettext_lazy("call status", "No answer")
    BUSY = "busy", pgettext_lazy("call status", "Busy")
    FAILED = "failed", pgettext_lazy("call status", "Failed")
    VOICEMAIL = "voicemail", pgettext_lazy("call status", "Voicemail")
    CANCELED = "canceled", pgettext_lazy("call status", "Cancelled")


# A call in one of these states is over; an inbound one in MISSED_STATUSES was not answered.
FINAL_CALL_STATUSES = frozenset(
    {"completed", "no-answer", "busy", "failed", "voicemail", "canceled"}
)
MISSED_CALL_STATUSES = frozenset({"no-answer", "busy", "failed", "voicemail", "canceled"})


class PhoneCall(models.Model):
    """One phone call a CTI told us about, with its latest state.

    ``(provider, call_id)`` is unique: each status callback of the same call updates this row
    (ringing, then completed) and its one timeline entry. ``recording_url`` (https only) and
    ``notes`` are for staff: the customer's portal shows neither.
    """

    provider = models.CharField(max_length=16)  # "cti" (generic JSON) or "twilio"
    call_id = models.CharField(max_length=128)
    direction = models.CharField(max_length=8, choices=CallDirection.choices)
    from_number = models.CharField(max_length=40, blank=True)
    to_number = models.CharField(max_length=40, blank=True)
    # The customer's number in E.164 (From for inbound calls, To for outbound ones).
    customer_number = models.CharField(max_length=20, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phone_calls")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    timeline_entry_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=CallStatus.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agent_ref = models.CharField(max_length=200, blank=True)  # what the CTI called the agent
    recording_url = models.URLField(max_length=1000, blank=True)
    notes = models.TextField(blank=True)
    # The internal note the call's notes became (CTI notes, or an agent's edit).
    note_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    callback = models.ForeignKey(
        "callbacks.Callback", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An inbound call nobody answered (a missed status, or the CTI said answered=false).
    missed = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "call_id"], name="phone_call_provider_uniq")
        ]
        indexes = [models.Index(fields=["contact", "-created_at"], name="phone_call_contact_idx")]

    def __str__(self) -> str:
        return f"{self.provider} call {self.call_id} ({self.status})"

    @property
    def duration_text(self) -> str:
        """``3:07`` (``1:02:03`` past an hour); "" when not known yet."""
        if self.duration_seconds is None:
            return ""
        hours, rest = divmod(self.duration_seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


# --- email mailboxes polled over IMAP (docs/subsystems/email-transports.md) ------------------

MAILBOX_PASSWORD_PURPOSE = b"kefu.inbox.email-mailbox-password.v1"


class MailboxSecurity(models.TextChoices):
    SSL = "ssl", pgettext_lazy("IMAP security", "SSL/TLS (IMAPS)")
    STARTTLS = "starttls", pgettext_lazy("IMAP security", "STARTTLS")


class MailboxAfter(models.TextChoices):
    MOVE = "move", pgettext_lazy("after processing", "Move to the processed folder")
    FLAG = "flag", pgettext_lazy("after processing", "Flag as processed (keep in place)")


class EmailMailbox(models.Model):
    """A mailbox Kefu polls over IMAP (policy edited by admins in the backoffice).

    The password is sealed at rest (kefu.core.secretbox) and never shown back. ``next_poll_at``
    is also the claim: a poller takes a mailbox with a conditional UPDATE on it, so two
    workers never poll the same mailbox at once; failures back off (``failures``).
    """

    address = models.EmailField(_("address"), max_length=254, unique=True)
    host = models.CharField(_("IMAP server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=16, choices=MailboxSecurity.choices, default=MailboxSecurity.SSL
    )
    username = models.CharField(_("user name"), max_length=255)
    password_sealed = models.TextField(blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(_("processed folder"), max_length=200, default="Processed")
    after = models.CharField(
        _("after processing"), max_length=8, choices=MailboxAfter.choices, default=MailboxAfter.MOVE
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    poll_interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=60)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker polls (the claim); a crashed poll's lease simply runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        indexes = [models.Index(fields=["enabled", "next_poll_at"], name="email_mailbox_due")]

    def __str__(self) -> str:
        return self.address

    @property
    def password(self) -> str:
        if not self.password_sealed:
            return ""
        return secretbox.unseal(self.password_sealed, purpose=MAILBOX_PASSWORD_PURPOSE).plaintext

    @password.setter
    def password(self, value: str) -> None:
        self.password_sealed = secretbox.seal(value, purpose=MAILBOX_PASSWORD_PURPOSE)
