"""The one interface every channel adapter implements, and the plain data it returns.

An adapter verifies a provider's request, parses a stored raw payload into normalised
messages, and sends one outbound message. It never writes models: the pipeline
(``kefu.inbox.services``) stores, retries and hands messages to ``message_receive``.
Failures are ``kefu.core.errors.RetryableError`` (try again later, optionally after
``retry_after`` seconds the provider asked for) or ``PermanentError`` (give up, say why).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from kefu.core.errors import RetryableError


class RateLimitedError(RetryableError):
    """The provider asked us to wait ``retry_after`` seconds before trying again."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote a message on the channel: the channel's own id for them and a display name."""

    kind: str  # the channel kind, e.g. "telegram"
    id: str
    display_name: str = ""
    language: str = ""
    email: str = ""  # a verified-format address when the channel is email: matched to contacts


@dataclass(frozen=True, slots=True)
class InboundAttachment:
    """A file that came with a message, already downloaded (validated later by the core)."""

    name: str
    content: bytes
    too_large: bool = False  # not downloaded: the provider said it is over the size limit


@dataclass(frozen=True, slots=True)
class InboundCall:
    """A phone call's state as a CTI reported it (one status callback), already validated.

    ``customer_number`` is the other party's number as given (From for inbound calls, To for
    outbound ones); times are aware datetimes; ``recording_url`` is https or "".
    """

    provider: str  # "cti" or "twilio"
    call_id: str
    direction: str  # "inbound" / "outbound"
    status: str  # kefu.inbox.models.CallStatus values
    from_number: str
    to_number: str
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    answered: bool | None = None  # the CTI's word on it, when it gives one
    agent: str = ""  # the agent's email or Kefu user id, as the CTI gave it
    recording_url: str = ""
    notes: str = ""

    @property
    def customer_number(self) -> str:
        return self.from_number if self.direction == "inbound" else self.to_number


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One normalised message from a channel.

    ``provider_message_id`` is unique on the channel (stored as ``Message.external_id``, so a
    repeat is dropped). ``thread_key`` is where a reply goes. ``ignorable`` messages (group
    chats, bots, service messages) are recorded and skipped, with ``reason``; ``command`` and
    ``command_arg`` carry a bot command such as ``/start <token>``.
    """

    provider_message_id: str
    sender: Sender
    thread_key: str
    text: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    ignorable: bool = False
    is_auto: bool = False
    reason: str = ""
    command: str = ""
    command_arg: str = ""
    notify_ignored: bool = False  # tell the sender once why we ignore them (group chats)
    call: InboundCall | None = None  # a phone call, not a message (kefu.inbox.calls)
    # Email-style threading: the subject for a new conversation; the conversations the message
    # says it belongs to (joined only when the sender is that conversation's contact); and
    # ``new_thread`` = start a new conversation rather than join the latest open one.
    subject: str = ""
    conversation_hints: tuple[int, ...] = ()
    new_thread: bool = False
    # A delivery report about an earlier outbound message (its provider id) and why it failed.
    bounce_of: str = ""
    # Problems worth showing admins (malformed mail), recorded on the inbound event.
    warnings: tuple[str, ...] = ()
    # A button press on a message the bot sent (Telegram callback_query): ``command`` is
    # "callback", ``command_arg`` the button's data, ``callback_id`` what to acknowledge.
    callback_id: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """The provider's word on a message we sent (WhatsApp statuses, Messenger deliveries).

    ``provider_message_id`` is the id ``send`` returned (stored on the ``OutboundDelivery``);
    ``status`` is "sent", "delivered", "read" or "failed" (then ``error`` says why).
    """

    provider_message_id: str
    status: str
    error: str = ""


@dataclass(frozen=True, slots=True)
class OutboundAttachment:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A public reply for the channel: text and any files, to one thread."""

    thread_key: str
    text: str
    attachments: tuple[OutboundAttachment, ...] = field(default_factory=tuple)
    # The stored reply and its conversation, for channels that thread (email).
    conversation_id: int | None = None
    message_id: int | None = None
    # One row of buttons under the text, (label, data) each: channels with inline buttons
    # (Telegram) show them and send ``data`` back as a callback; others ignore them.
    buttons: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str
    # The ids of the further provider messages one reply became (a long text in parts, each
    # file), so their receipts are matched too.
    other_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, ids: list[str]) -> SendResult:
        """The result of a reply sent as several provider messages, in order."""
        found = [i for i in ids if i]
        return cls(provider_message_id=found[0] if found else "", other_ids=tuple(found[1:]))


class ChannelAdapter(Protocol):
    """What the pipeline needs from a channel."""

    kind: str

    def is_configured(self) -> bool:
        """True when the server has what the channel needs (tokens, secrets)."""
        ...

    def account(self) -> str:
        """Which bot / mailbox of this channel events belong to (may be "")."""
        ...

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True when the request really comes from the provider (signature or secret)."""
        ...

    def event_id(self, body: bytes) -> str:
        """The provider's id for the event, for idempotent storage. Raises ValueError."""
        ...

    def parse(self, body: bytes, content_type: str) -> Sequence[InboundMessage | DeliveryReceipt]:
        """The messages (and receipts for our own messages) in a stored payload. Raises
        PermanentError or RetryableError."""
        ...

    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver ``message``. Raises RetryableError (maybe RateLimitedError) or
        PermanentError."""
        ...

    def secret_headers(self) -> frozenset[str]:
        """Lower-case names of request headers that carry secrets (never stored)."""
        ...


@runtime_checkable
class SupportsHandshake(Protocol):
    """Optional: an adapter whose provider checks the webhook URL with a GET first.

    Meta (Messenger, WhatsApp) sends ``GET ...?hub.mode=subscribe&hub.verify_token=…&
    hub.challenge=…`` when the webhook is registered; ``handshake`` returns the text to echo
    (200, text/plain) or None (403). Adapters without it answer GET with 405.
    """

    def handshake(self, query: Mapping[str, str]) -> str | None: ...
