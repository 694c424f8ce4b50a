"""The phone channel: a CTI (telephony system) tells Kefu about calls; Kefu never places them.

One webhook, ``POST /channels/phone/webhook``, two wire formats told apart by the request's
content type:

- ``application/json``: Kefu's generic CTI format (docs/subsystems/channels.md, "Phone"),
  signed with HMAC-SHA256 over ``<timestamp>.<body>`` with ``KEFU_CTI_SECRET``; the timestamp
  must be within ``KEFU_CTI_TOLERANCE_SECONDS`` of now, so a captured request cannot be
  replayed later.
- ``application/x-www-form-urlencoded``: Twilio's voice status callback, signed by Twilio with
  ``X-Twilio-Signature`` (base64 HMAC-SHA1 with the account's auth token over the public URL
  followed by the sorted POST parameters, each name then value).

Both are validated completely when they arrive (``event_id``), so a malformed request gets a
400 and nothing is stored. The event id is the call's id and its status: each status callback
of a call is stored once. ``parse`` turns a stored request into one ``InboundMessage`` carrying
an ``InboundCall``; ``kefu.inbox.calls`` records it. Phone conversations are answered by email,
not on this channel (``sends_replies`` is False).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from django.conf import settings
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from kefu.conversations.models import Channel
from kefu.core.errors import PermanentError
from kefu.inbox.adapters.base import (
    InboundCall,
    InboundMessage,
    OutboundMessage,
    Sender,
    SendResult,
)

SIGNATURE_HEADER = "x-kefu-signature"
TIMESTAMP_HEADER = "x-kefu-timestamp"
TWILIO_SIGNATURE_HEADER = "x-twilio-signature"
WEBHOOK_PATH = "/channels/phone/webhook"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_NOTES = 5000
# Caller ids a network gives when the caller hid their number: nothing to match or call back.
WITHHELD = frozenset({"", "anonymous", "restricted", "unknown", "private", "unavailable"})

# Twilio's CallStatus -> ours (queued and initiated calls are not ringing yet, but they are
# not answered either; one state is enough for the timeline).
TWILIO_STATUS = {
    "queued": "ringing",
    "initiated": "ringing",
    "ringing": "ringing",
    "in-progress": "in-progress",
    "completed": "completed",
    "busy": "busy",
    "failed": "failed",
    "no-answer": "no-answer",
    "canceled": "canceled",
}

CallId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@\-]+$")]
Number = Annotated[str, Field(min_length=1, max_length=40)]


def _https(value: str) -> str:
    value = (value or "").strip()
    if value and (not value.startswith("https://") or len(value) > 1000 or " " in value):
        raise ValueError("recording_url must be an https:// link (at most 1000 characters)")
    return value


class CtiCall(BaseModel):
    """Kefu's generic CTI format, one JSON object per status change of a call."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    call_id: CallId
    direction: Literal["inbound", "outbound"]
    from_: Number = Field(alias="from")
    to: Number
    status: Literal[
        "ringing", "in-progress", "completed", "no-answer", "busy", "failed", "voicemail"
    ]
    started_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    duration: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    answered: bool | None = None
    agent: str = Field(default="", max_length=200)
    recording_url: str = ""
    notes: str = Field(default="", max_length=MAX_NOTES)

    _check_url = field_validator("recording_url")(_https)

    @model_validator(mode="after")
    def _times_in_order(self) -> CtiCall:
        if self.answered_at is not None and self.answered_at < self.started_at:
            raise ValueError("answered_at is before started_at")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self

    def call(self) -> InboundCall:
        duration = self.duration
        if duration is None and self.ended_at is not None:
            since = self.answered_at or (self.started_at if self.status == "completed" else None)
            if since is not None:
                duration = int((self.ended_at - since).total_seconds())
        return InboundCall(
            provider="cti",
            call_id=self.call_id,
            direction=self.direction,
            status=self.status,
            from_number=self.from_,
            to_number=self.to,
            started_at=self.started_at.astimezone(UTC),
            answered_at=self.answered_at.astimezone(UTC) if self.answered_at else None,
            ended_at=self.ended_at.astimezone(UTC) if self.ended_at else None,
            duration_seconds=duration,
            answered=self.answered,
            agent=self.agent,
            recording_url=self.recording_url,
            notes=self.notes,
        )


class TwilioStatus(BaseModel):
    """The fields of Twilio's voice status callback that Kefu reads (others are ignored)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    CallSid: Annotated[str, Field(pattern=r"^CA[0-9a-fA-F]{32}$")]
    CallStatus: Literal[
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    ]
    From: str = Field(default="", max_length=40)
    To: str = Field(default="", max_length=40)
    Direction: str = Field(default="inbound", max_length=20)
    CallDuration: int | None = Field(default=None, ge=0)
    RecordingUrl: str = Field(default="", max_length=1000)
    Timestamp: str = Field(default="", max_length=64)

    @field_validator("CallDuration", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    def call(self) -> InboundCall:
        direction = "outbound" if self.Direction.startswith("outbound") else "inbound"
        status = TWILIO_STATUS[self.CallStatus]
        at = _rfc2822(self.Timestamp)
        final = status not in ("ringing", "in-progress")
        recording = self.RecordingUrl if self.RecordingUrl.startswith("https://") else ""
        return InboundCall(
            provider="twilio",
            call_id=self.CallSid,
            direction=direction,
            status=status,
            from_number=self.From,
            to_number=self.To,
            started_at=at if not final else None,
            answered_at=at if status == "in-progress" else None,
            ended_at=at if final else None,
            duration_seconds=self.CallDuration,
            recording_url=recording,
        )


def _rfc2822(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_form(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == FORM_TYPE


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the form is not UTF-8") from None
    return parse_qs(text, keep_blank_values=True)


def _errors(exc: ValidationError) -> str:
    """Pydantic's errors as one line naming each field (never echoing the values)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def twilio_signature(url: str, params: Mapping[str, Sequence[str]], token: str) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 with ``token`` over ``url`` followed by
    each parameter's name and value, names sorted (a repeated name: its values sorted)."""
    data = url
    for name in sorted(params):
        for value in sorted(params[name]):
            data += name + value
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def cti_signature(timestamp: str, body: bytes, secret: str) -> str:
    """The generic format's signature header value: ``sha256=`` and the hex HMAC-SHA256 with
    ``secret`` over ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def public_webhook_url() -> str:
    """The URL Twilio posts to, as Twilio sees it (behind a proxy the request's host differs)."""
    return str(settings.KEFU_PUBLIC_URL).rstrip("/") + WEBHOOK_PATH


class PhoneAdapter:
    kind = Channel.PHONE.value
    sends_replies = False  # replies in phone conversations go by email (kefu.inbox.delivery)

    def is_configured(self) -> bool:
        return bool(settings.KEFU_CTI_SECRET or settings.KEFU_TWILIO_AUTH_TOKEN)

    def account(self) -> str:
        return ""

    def secret_headers(self) -> frozenset[str]:
        return frozenset({SIGNATURE_HEADER, TWILIO_SIGNATURE_HEADER})

    # --- verify ---------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        if _is_form(headers.get("content-type", "")):
            return self._verify_twilio(headers, body)
        return self._verify_cti(headers, body)

    def _verify_cti(self, headers: Mapping[str, str], body: bytes) -> bool:
        secret: str = settings.KEFU_CTI_SECRET
        given = headers.get(SIGNATURE_HEADER, "")
        stamp = headers.get(TIMESTAMP_HEADER, "")
        if not secret or not given or not stamp.isdigit() or len(stamp) > 12:
            return False
        if abs(time.time() - int(stamp)) > settings.KEFU_CTI_TOLERANCE_SECONDS:
            return False  # too old (a replay) or from a badly wrong clock
        expected = cti_signature(stamp, body, secret)
        return hmac.compare_digest(given.encode(), expected.encode())

    def _verify_twilio(self, headers: Mapping[str, str], body: bytes) -> bool:
        token: str = settings.KEFU_TWILIO_AUTH_TOKEN
        given = headers.get(TWILIO_SIGNATURE_HEADER, "")
        if not token or not given:
            return False
        try:
            params = _form(body)
        except ValueError:
            return False
        expected = twilio_signature(public_webhook_url(), params, token)
        return hmac.compare_digest(given.encode(), expected.encode())

    # --- validate and parse ---------------------------------------------------------------

    def _call(self, body: bytes, form: bool) -> InboundCall:
        """The call in ``body``; ValueError naming what is wrong."""
        try:
            if form:
                fields = {name: values[-1] for name, values in _form(body).items()}
                return TwilioStatus.model_validate(fields).call()
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            return CtiCall.model_validate(data).call()
        except ValidationError as exc:
            raise ValueError(_errors(exc)) from None
        except json.JSONDecodeError:
            raise ValueError("the body is not JSON") from None

    def event_id(self, body: bytes) -> str:
        # The webhook verified the request against its content type; a form body never starts
        # with "{" (it would be percent-encoded), a JSON object always does.
        form = not body.lstrip().startswith(b"{")
        call = self._call(body, form)
        return f"{call.provider}:{call.call_id}:{call.status}"

    def parse(self, body: bytes, content_type: str) -> Sequence[InboundMessage]:
        try:
            call = self._call(body, _is_form(content_type))
        except ValueError as exc:
            raise PermanentError(f"not a phone call event: {exc}") from None
        number = call.customer_number
        event = f"{call.provider}:{call.call_id}:{call.status}"
        sender = Sender(kind=self.kind, id=number)
        if number.strip().lower() in WITHHELD:
            return [
                InboundMessage(
                    provider_message_id=event,
                    sender=sender,
                    thread_key="",
                    ignorable=True,
                    reason="caller id withheld",
                )
            ]
        return [
            InboundMessage(provider_message_id=event, sender=sender, thread_key=number, call=call)
        ]

    def send(self, message: OutboundMessage) -> SendResult:
        raise PermanentError("the phone channel cannot send messages")
