"""Shared pieces of the WebSocket protocols (v1): frame base, parsing, errors, close codes.

See docs/subsystems/realtime.md. Unknown fields are refused so typos fail loudly.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from kefu.core.errors import (
    InvalidTransition,
    KefuError,
    NotFound,
    PermissionDenied,
    RateLimited,
    StorageUnavailable,
    ValidationFailed,
)

VERSION = 1
MAX_FRAME_BYTES = 16 * 1024
# The agent socket's ``message.send`` carries any body the workspace's reply form takes (20,000
# characters, kefu.conversations.services.MAX_BODY_CHARS), even escaped: at most 6 bytes each.
AGENT_MAX_FRAME_BYTES = 128 * 1024

Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
ConvId = Annotated[int, Field(ge=1, le=2**53)]
Seq = Annotated[int, Field(ge=0, le=2**53)]

# Close codes (WebSocket private range 4000-4999, plus the standard 1009).
CLOSE_PROTOCOL = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_FLOOD = 4429
CLOSE_TOO_BIG = 1009


class Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProtocolError(Exception):
    """A frame the server refuses. ``close`` set means the connection must end with that code."""

    def __init__(
        self, code: str, message: str, *, ref: str | None = None, close: int | None = None
    ):
        super().__init__(message)
        self.code, self.message, self.ref, self.close = code, message, ref, close

    def frame(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.ref:
            out["ref"] = self.ref
        return out


def service_error(
    exc: KefuError, ref: str | None, *, transition: str = "forbidden"
) -> ProtocolError:
    """The error frame both sockets send for a service's refusal (docs/subsystems/realtime.md):
    its own code where the protocol names one (``conversation_closed``, ``guard_blocked``),
    else by kind. ``transition``: the code for any other refused transition (for the agent's
    ``message.send`` the only one is a reply to a closed conversation)."""
    if exc.code in ("conversation_closed", "guard_blocked"):
        code = exc.code
    elif isinstance(exc, NotFound):
        return ProtocolError("not_found", _("That conversation was not found."), ref=ref)
    elif isinstance(exc, ValidationFailed):
        code = "validation"
    elif isinstance(exc, RateLimited):
        code = "rate_limited"
    elif isinstance(exc, StorageUnavailable):
        code = "storage_unavailable"  # nothing was stored: send again later
    elif isinstance(exc, InvalidTransition):
        code = transition
    elif isinstance(exc, PermissionDenied):
        code = "forbidden"
    else:
        code = "error"
    return ProtocolError(code, exc.message, ref=ref)


def frame_ref(text: str | bytes, max_bytes: int = MAX_FRAME_BYTES) -> str | None:
    """The client's ``id`` of a frame the server drops unread (rate limiting), so the client can
    tell which of its frames to send again. ``None`` when the frame has no readable id."""
    if len(text) > max_bytes:
        return None
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    ref = data.get("id") if isinstance(data, dict) else None
    return ref if isinstance(ref, str) else None


def parse(
    text: str | bytes, frames: dict[str, type[Frame]], max_bytes: int = MAX_FRAME_BYTES
) -> Frame:
    """Decode and validate one client frame, or raise ProtocolError."""
    if len(text) > max_bytes:
        raise ProtocolError("too_large", _("The message is too large."), close=CLOSE_TOO_BIG)
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("bad_json", _("That was not valid JSON.")) from exc
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", _("Each frame must be a JSON object."))
    kind = data.get("type")
    ref = data.get("id") if isinstance(data.get("id"), str) else None
    model = frames.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ProtocolError("unknown_type", _("Unknown frame type."), ref=ref)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "frame" for e in exc.errors())
        raise ProtocolError(
            "bad_frame", _("Invalid frame: check %(fields)s.") % {"fields": fields}, ref=ref
        ) from exc
