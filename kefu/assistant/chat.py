"""The assistant in live chat: what happens when a customer writes, and one turn of the loop.

Live chat (``kefu.inbox.adapters.webchat.services``) calls ``on_customer_message`` inside the
transaction that stores each customer message; an active session gets a job enqueued on
commit (``tasks.assistant_reply``), which calls ``run_turn``: the dialogue runs outside any
transaction, then ``services.assistant_turn_record`` stores the result. Button presses arrive
as the chat protocol's ``assistant.choose`` frame (``choose``) and become customer messages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.assistant import services
from kefu.assistant.models import AssistantSession, Outcome
from kefu.contacts.models import Contact
from kefu.conversations.models import AuthorKind, Conversation, Message, MessageKind
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import ValidationFailed
from kefu.core.jobs import enqueue_on_commit

if TYPE_CHECKING:
    from kefu.assistant.dialogue import Turn
    from kefu.inbox.models import ChatSite, ChatVisitor

log = logging.getLogger(__name__)

PAYLOAD_KEY = "assistant_payload"  # a customer message's metadata key for a button's payload
ALWAYS_ALLOWED = ("handoff",)  # "talk to a person" works even when the button is not shown


def assistant_actor() -> Actor:
    return Actor(kind=ActorKind.ASSISTANT, label="assistant")


def on_customer_message(
    *, conversation: Conversation, message: Message, site: ChatSite, new: bool, actor: Actor
) -> bool:
    """React to a stored customer chat message; True when the assistant handles the chat
    (the caller then does not assign it to an agent). Call inside the storing transaction.

    A new chat on a site where the assistant answers first gets a session; a message in a chat
    the assistant is handling gets a turn (on commit); a customer who comes back after the
    assistant closed the chat (resolved or idle) goes to a person (reason ``returned``).
    """
    if new:
        if not site.assistant_first:
            return False
        services.assistant_session_start(conversation=conversation, actor=actor)
        _enqueue(message)
        return True
    session = AssistantSession.objects.filter(conversation_id=conversation.pk).first()
    if session is None:
        return False
    if session.active:
        _enqueue(message)
        return True
    if session.outcome in (Outcome.RESOLVED, Outcome.ABANDONED):
        language = "zh-hans" if conversation.language.startswith("zh") else "en"
        with translation.override(settings.LANGUAGE_CODE):  # for staff
            summary = _(
                "The customer wrote again after the assistant closed the chat (%(outcome)s). "
                "Last topic: %(intent)s."
            ) % {"outcome": session.outcome, "intent": session.last_intent or "other"}
        services.assistant_handoff(
            conversation=conversation,
            intent=session.last_intent or "other",
            language=language,
            urgent=False,
            summary=summary,
            reason="returned",
            site=site,
            actor=assistant_actor(),
        )
        return True
    return False


def _enqueue(message: Message) -> None:
    from kefu.assistant.tasks import assistant_reply

    enqueue_on_commit(assistant_reply, message_id=message.pk, attempt=1)


def _respond(**kwargs: Any) -> Turn:
    """The dialogue (kefu.assistant.dialogue.respond); one seam for tests."""
    from kefu.assistant import dialogue

    return dialogue.respond(**kwargs)


def run_turn(*, message_id: int) -> Message | None:
    """One assistant turn for a stored customer message (the job's body). Safe to repeat."""
    from kefu.assistant.dialogue import CustomerContext
    from kefu.inbox.models import ChatVisitor

    message = Message.objects.select_related("conversation__contact").filter(pk=message_id).first()
    if message is None or message.author_kind != AuthorKind.CUSTOMER:
        return None
    if message.kind != MessageKind.REPLY:
        return None
    session = AssistantSession.objects.filter(conversation_id=message.conversation_id).first()
    if session is None or not session.active:
        return None
    if session.last_message_id is not None and session.last_message_id >= message.pk:
        return None  # already answered (a retried job)
    conversation = message.conversation
    visitor = (
        ChatVisitor.objects.select_related("site__team")
        .filter(contact_id=conversation.contact_id)
        .order_by("-last_seen_at", "-pk")
        .first()
    )
    # Fund lookups only for a verified identity: an anonymous visitor's contact proves nothing.
    contact: Contact | None = conversation.contact
    if visitor is None or not visitor.identified:
        contact = None
    language = "zh-hans" if conversation.language.startswith("zh") else "en"
    payload = str(message.metadata.get(PAYLOAD_KEY, "")) if message.metadata else ""
    try:
        turn = _respond(
            text=message.body,
            payload=payload,
            state=dict(session.state),
            context=CustomerContext(
                contact=contact, conversation_id=conversation.pk, language_hint=language
            ),
            actor=assistant_actor(),
        )
    except Exception:  # the dialogue promises not to raise; if it does, people take over
        log.exception("assistant turn failed for message %s", message.pk)
        with translation.override(settings.LANGUAGE_CODE):  # for staff
            summary = _("The assistant failed on this message: please answer the customer.")
        services.assistant_handoff(
            conversation=conversation,
            intent=session.last_intent or "other",
            language=language,
            urgent=False,
            summary=summary,
            reason="error",
            site=visitor.site if visitor is not None else None,
            actor=assistant_actor(),
        )
        return None
    return services.assistant_turn_record(
        message=message,
        turn=turn,
        site=visitor.site if visitor is not None else None,
        actor=assistant_actor(),
    )


def offered_action(conversation_id: int, payload: str) -> dict[str, str] | None:
    """The button with ``payload`` under the assistant's latest message, if it is the latest
    public message and the assistant is still handling the chat (``handoff`` always works)."""
    session = AssistantSession.objects.filter(conversation_id=conversation_id).first()
    if session is None or not session.active:
        return None
    latest = (
        Message.objects.filter(conversation_id=conversation_id, kind=MessageKind.REPLY)
        .order_by("-public_seq")
        .only("author_kind", "metadata")
        .first()
    )
    if latest is not None and latest.author_kind == AuthorKind.ASSISTANT:
        for action in latest.metadata.get("actions") or []:
            if action.get("payload") == payload:
                return {"label": str(action["label"]), "payload": payload}
    if payload in ALWAYS_ALLOWED:
        return {"label": _("Talk to a person"), "payload": payload}
    return None


def choose(
    *, visitor: ChatVisitor, key: str, conversation_id: int, payload: str, actor: Actor
) -> tuple[Message, bool]:
    """Record the visitor's button press as their message (body: the button's label, payload
    in metadata) and let the assistant answer it. Idempotent per ``key`` like any message.

    Only a payload offered under the assistant's latest message is accepted, so a client
    cannot invent choices (e.g. someone else's fund record).
    """
    from kefu.inbox.adapters.webchat import services as chat_services

    conversation = chat_services.visitor_conversation(visitor, conversation_id)
    existing = chat_services.existing_message(visitor, key)
    if existing is not None:
        return existing, False
    action = offered_action(conversation.pk, payload)
    if action is None:
        message = _("That choice is no longer available. Please type your question.")
        raise ValidationFailed(message, fields={"payload": [message]})
    return chat_services.chat_message_send(
        visitor=visitor,
        key=key,
        body=action["label"],
        conversation_id=conversation.pk,
        metadata={PAYLOAD_KEY: payload},
        actor=actor,
    )
