"""One visitor's chat session: the protocol's behaviour, shared by the WebSocket consumer and
the HTTP fallback. Synchronous (it talks to the database); callers run it in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation
from django.utils.translation import gettext as _

from kefu.conversations.models import Message
from kefu.conversations.services import conversation_mark_read
from kefu.core.errors import (
    KefuError,
    NotFound,
)
from kefu.helpcenter.selectors import public_contact_options
from kefu.inbox.adapters.webchat import protocol, services
from kefu.inbox.adapters.webchat.availability import availability
from kefu.inbox.adapters.webchat.identity import IdentityError, verify_identity_token
from kefu.inbox.models import ChatSite, ChatVisitor
from kefu.realtime import payloads
from kefu.realtime.events import Event, Typing
from kefu.realtime.protocol import Frame, service_error

HISTORY = 50


def _unauthorized() -> protocol.ProtocolError:
    return protocol.ProtocolError(
        "unauthorized",
        _("We could not verify who you are. Sign in again and reload the page."),
        close=protocol.CLOSE_UNAUTHORIZED,
    )


def _forbidden() -> protocol.ProtocolError:
    return protocol.ProtocolError(
        "forbidden",
        _("Chat is not available on this website."),
        close=protocol.CLOSE_FORBIDDEN,
    )


def language_of(value: str | None) -> str:
    return "zh-hans" if (value or "").lower().startswith("zh") else "en"


def cross_site_origin(origin: str | None, host: str) -> str | None:
    """``origin`` unless it is Kefu's own (same host as the request): those need no allow-list."""
    if not origin:
        return None
    return None if urlsplit(origin).netloc.lower() == host.lower() else origin


def site_for_key(key: str) -> ChatSite | None:
    return ChatSite.objects.select_related("team").filter(key=key, is_active=True).first()


def open_session(hello: protocol.Hello, *, origin: str | None) -> ChatSession:
    """Authenticate a hello: the site and origin, then a verified identity or a visitor token.

    A site that requires verified identity refuses hellos without a valid identity token; a
    bad or expired identity token is refused on every site (not silently downgraded).
    """
    site = site_for_key(hello.site)
    if site is None or not site.allows_origin(origin):
        raise _forbidden()
    identity = None
    if hello.identity_token:
        try:
            identity = verify_identity_token(site, hello.identity_token)
        except IdentityError:
            raise _unauthorized() from None
    elif site.identity_required:
        raise _unauthorized()
    visitor = services.visitor_start(
        site=site,
        identity=identity,
        token=hello.visitor_token or None,
        language=hello.language or (identity.language if identity else ""),
    )
    return ChatSession(site=site, visitor=visitor, language=language_of(visitor.language))


def session_for_token(token: str) -> ChatSession:
    """The HTTP fallback's session from ``Authorization: Visitor <token>``."""
    try:
        visitor = services.visitor_from_token(token)
    except NotFound:
        raise _unauthorized() from None
    if visitor.site.identity_required and not visitor.identified:
        raise _unauthorized()
    return ChatSession(site=visitor.site, visitor=visitor, language=language_of(visitor.language))


def public_site_config(site: ChatSite, language: str) -> dict[str, Any]:
    """What the widget shows before anyone says anything (no visitor needed)."""
    from kefu.inbox.widget_strings import widget_strings

    language = language_of(language)
    with translation.override(language):
        greeting = site.greeting_zh if language == "zh-hans" else site.greeting_en
        return {
            "site": {
                "key": site.key,
                "name": site.name,
                "greeting": greeting or site.greeting_en,
                "identity_required": site.identity_required,
            },
            "strings": widget_strings(),
            "service": availability(site, language),
            "contacts": public_contact_options(language),
            "languages": [["en", "English"], ["zh-hans", "简体中文"]],
        }


def _assistant_answers(conversation_id: int) -> bool:
    from kefu.assistant.models import AssistantSession

    return AssistantSession.objects.filter(conversation_id=conversation_id, active=True).exists()


@dataclass
class Result:
    """What handling one frame produced: frames for this client, groups to join, a signal."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    join: list[int] = field(default_factory=list)
    signal: Event | None = None
    # The assistant will answer from the worker: catch up from the database soon (the
    # worker may share no channel layer with this process, docs/subsystems/realtime.md).
    expect_reply: bool = False


@dataclass
class ChatSession:
    site: ChatSite
    visitor: ChatVisitor
    language: str

    # -- opening ---------------------------------------------------------------------------

    def current_conversation_id(self, requested: int | None) -> int | None:
        """The conversation a hello resumes: the requested one if it is the visitor's."""
        if requested is not None:
            try:
                return services.visitor_conversation(self.visitor, requested).pk
            except NotFound:
                pass
        return self.visitor.conversation_id

    def welcome(self, conversation_id: int | None, last_seq: int | None) -> dict[str, Any]:
        """The welcome frame. Call after joining the conversation's group (no gap can open)."""
        conversation = None
        messages: list[dict[str, Any]] = []
        if conversation_id is not None:
            conversation = services.visitor_conversation(self.visitor, conversation_id)
            if last_seq is None:
                messages = payloads.customer_messages_latest(conversation.pk, limit=HISTORY)
            else:
                messages = payloads.customer_messages_after(conversation.pk, last_seq)
        with translation.override(self.language):
            return {
                "type": "welcome",
                "v": protocol.VERSION,
                "visitor": self.visitor_payload(),
                "conversation": (
                    payloads.conversation_for_customer(conversation) if conversation else None
                ),
                "messages": messages,
                "conversations": [
                    {
                        "id": c.pk,
                        "reference": c.reference,
                        "status": c.status,
                        "last_activity_at": c.last_activity_at.isoformat(),
                    }
                    for c in services.visitor_conversations(self.visitor)
                ],
                "service": availability(self.site, self.language),
                "contacts": public_contact_options(self.language),
            }

    def visitor_payload(self) -> dict[str, Any]:
        return {
            "token": services.visitor_token(self.visitor),
            "identified": self.visitor.identified,
            "name": self.visitor.name,
            "email": self.visitor.email,
        }

    # -- frames ----------------------------------------------------------------------------

    def handle(self, frame: Frame) -> Result:
        """Handle one client frame (not hello). Service errors become error frames."""
        with translation.override(self.language):
            try:
                return self._dispatch(frame)
            except protocol.ProtocolError as exc:
                return Result(frames=[exc.frame()])
            except KefuError as exc:
                ref = getattr(frame, "id", None)
                return Result(frames=[service_error(exc, ref).frame()])

    def _dispatch(self, frame: Frame) -> Result:
        if isinstance(frame, protocol.MessageSend):
            return self._send(frame)
        if isinstance(frame, protocol.AssistantChoose):
            return self._choose(frame)
        if isinstance(frame, protocol.VisitorUpdate):
            services.visitor_update(
                visitor=self.visitor,
                email=frame.email,
                name=frame.name,
                actor=services.visitor_actor(self.visitor),
            )
            return Result(frames=[{"type": "visitor.updated", "visitor": self.visitor_payload()}])
        if isinstance(frame, protocol.TypingFrame):
            services.visitor_conversation(self.visitor, frame.conversation_id)
            return Result(
                signal=Typing(
                    conversation_id=frame.conversation_id,
                    who="customer",
                    name_shown=self.visitor.name[:120],
                    state=frame.state,
                )
            )
        if isinstance(frame, protocol.ReadFrame):
            conversation = services.visitor_conversation(self.visitor, frame.conversation_id)
            conversation_mark_read(
                conversation=conversation,
                seq=frame.seq,
                actor=services.visitor_actor(self.visitor),
            )
            return Result()
        if isinstance(frame, protocol.SyncFrame):
            return self.sync(frame.conversation_id, frame.after_seq)
        if isinstance(frame, protocol.SurveyAnswer):
            return self._survey_answer(frame)
        if isinstance(frame, protocol.SurveyEscalate):
            return self._survey_escalate(frame)
        if isinstance(frame, protocol.Ping):
            services.visitor_seen(self.visitor)
            return Result(frames=[{"type": "pong"}])
        raise protocol.ProtocolError("unknown_type", _("Unknown frame type."))

    def _send(self, frame: protocol.MessageSend) -> Result:
        message, _created = services.chat_message_send(
            visitor=self.visitor,
            key=frame.id,
            body=frame.body,
            conversation_id=frame.conversation_id,
            actor=services.visitor_actor(self.visitor),
        )
        return self._stored(frame.id, message)

    def _stored(self, key: str, message: Message) -> Result:
        """The ack for a message the visitor's frame stored, and the conversation to join."""
        return Result(
            frames=[
                self.ack(key, message.conversation_id, message.pk, created_at=message.created_at)
            ],
            join=[message.conversation_id],
            expect_reply=_assistant_answers(message.conversation_id),
        )

    def _choose(self, frame: protocol.AssistantChoose) -> Result:
        from kefu.assistant.chat import choose

        message, _created = choose(
            visitor=self.visitor,
            key=frame.id,
            conversation_id=frame.conversation_id,
            payload=frame.payload,
            actor=services.visitor_actor(self.visitor),
        )
        return self._stored(frame.id, message)

    def _survey_answer(self, frame: protocol.SurveyAnswer) -> Result:
        from kefu.csat.chat import survey_answer_from_chat

        conversation = services.visitor_conversation(self.visitor, frame.conversation_id)
        shaped = survey_answer_from_chat(
            conversation=conversation,
            survey_id=frame.survey_id,
            rating=frame.rating,
            resolved=frame.resolved,
            comment=frame.comment,
            actor=services.visitor_actor(self.visitor),
        )
        return Result(
            frames=[
                {"type": "survey.recorded", "conversation_id": conversation.pk, "survey": shaped}
            ]
        )

    def _survey_escalate(self, frame: protocol.SurveyEscalate) -> Result:
        from kefu.csat.chat import survey_escalate_from_chat
        from kefu.routing.escalation import escalation_state_for_customer

        conversation = services.visitor_conversation(self.visitor, frame.conversation_id)
        shaped = survey_escalate_from_chat(
            conversation=conversation,
            survey_id=frame.survey_id,
            actor=services.visitor_actor(self.visitor),
        )
        return Result(
            frames=[
                {
                    "type": "survey.escalated",
                    "conversation_id": conversation.pk,
                    "survey": shaped,
                    "escalation": escalation_state_for_customer(conversation),
                }
            ]
        )

    def ack(
        self, key: str, conversation_id: int, message_id: int, *, created_at: datetime | None = None
    ) -> dict[str, Any]:
        # With its conversation and assignee; usually the row routed on commit a moment ago.
        message = payloads.routed_message(message_id, created_at=created_at)
        assert message is not None
        assert message.conversation_id == conversation_id
        return {
            "type": "message.ack",
            "id": key,
            "message": payloads.message_for_customer(message),
            "conversation": payloads.conversation_for_customer(message.conversation),
        }

    def sync(self, conversation_id: int, after_seq: int) -> Result:
        conversation = services.visitor_conversation(self.visitor, conversation_id)
        messages = payloads.customer_messages_after(conversation.pk, after_seq)
        frames: list[dict[str, Any]] = [
            {"type": "message.created", "conversation_id": conversation.pk, "message": m}
            for m in messages
        ]
        last = messages[-1]["seq"] if messages else after_seq
        frames.append({"type": "sync.done", "conversation_id": conversation.pk, "last_seq": last})
        return Result(frames=frames, join=[conversation.pk])
