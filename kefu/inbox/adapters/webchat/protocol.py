"""The chat protocol's client frames (v1), validated strictly. See docs/subsystems/realtime.md."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from kefu.realtime.protocol import (
    CLOSE_FLOOD,
    CLOSE_FORBIDDEN,
    CLOSE_HELLO_TIMEOUT,
    CLOSE_PROTOCOL,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHORIZED,
    MAX_FRAME_BYTES,
    VERSION,
    ConvId,
    Frame,
    Key,
    ProtocolError,
    Seq,
)
from kefu.realtime.protocol import parse as _parse


class Hello(Frame):
    type: Literal["hello"]
    v: Literal[1] = 1
    site: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    language: Annotated[str, StringConstraints(max_length=16)] = ""
    visitor_token: Annotated[str, StringConstraints(max_length=512)] = ""
    identity_token: Annotated[str, StringConstraints(max_length=4096)] = ""
    conversation_id: ConvId | None = None
    last_seq: Seq | None = None
    # False: this socket gets its own messages in ``message.ack`` only, not again as
    # ``message.created`` (the widget's choice; the visitor's other sockets still get them).
    echo: bool = True


class MessageSend(Frame):
    type: Literal["message.send"]
    id: Key
    body: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    conversation_id: ConvId | None = None


class AssistantChoose(Frame):
    """The visitor pressed one of the assistant's buttons (``payload`` as the server sent it:
    printable ASCII without spaces)."""

    type: Literal["assistant.choose"]
    id: Key
    conversation_id: ConvId
    payload: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[!-~]+$")]


class VisitorUpdate(Frame):
    type: Literal["visitor.update"]
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    name: Annotated[str, StringConstraints(max_length=120)] | None = None


class TypingFrame(Frame):
    type: Literal["typing"]
    conversation_id: ConvId
    state: bool


class ReadFrame(Frame):
    type: Literal["read"]
    conversation_id: ConvId
    seq: Seq


class SyncFrame(Frame):
    type: Literal["sync"]
    conversation_id: ConvId
    after_seq: Seq


class SurveyAnswer(Frame):
    """The visitor answered (or changed the answer to) the conversation's satisfaction survey."""

    type: Literal["survey.answer"]
    conversation_id: ConvId
    survey_id: ConvId
    rating: Annotated[int, Field(ge=1, le=5)]
    resolved: bool | None = None
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class SurveyEscalate(Frame):
    """After a negative answer (the survey's ``can_escalate``), the visitor asks a senior
    colleague to review the conversation (kefu.routing's escalation request, source csat)."""

    type: Literal["survey.escalate"]
    conversation_id: ConvId
    survey_id: ConvId


class Ping(Frame):
    type: Literal["ping"]


CLIENT_FRAMES: dict[str, type[Frame]] = {
    "hello": Hello,
    "message.send": MessageSend,
    "assistant.choose": AssistantChoose,
    "visitor.update": VisitorUpdate,
    "typing": TypingFrame,
    "read": ReadFrame,
    "sync": SyncFrame,
    "survey.answer": SurveyAnswer,
    "survey.escalate": SurveyEscalate,
    "ping": Ping,
}


def parse(text: str | bytes) -> Frame:
    return _parse(text, CLIENT_FRAMES)


__all__ = [
    "CLOSE_FLOOD",
    "CLOSE_FORBIDDEN",
    "CLOSE_HELLO_TIMEOUT",
    "CLOSE_PROTOCOL",
    "CLOSE_TOO_BIG",
    "CLOSE_UNAUTHORIZED",
    "MAX_FRAME_BYTES",
    "VERSION",
    "ProtocolError",
    "parse",
]
