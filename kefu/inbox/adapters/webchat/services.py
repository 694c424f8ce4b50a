"""Writes for live chat: visitors, their messages and new-chat routing.

Every message goes through the conversations services (``conversation_create`` /
``message_reply``), so chat messages get the same validation, timeline, audit, sequence numbers
and real-time events as every other channel. Idempotency: a visitor's message is stored with
``external_id = "<visitor id>:<client key>"`` on the chat channel, unique in the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import agents_online
from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.conversations import services as conversation_services
from kefu.conversations.attachments import UploadedFile
from kefu.conversations.models import Channel, Conversation, Message, Status
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import InvalidTransition, KefuError, NotFound, ValidationFailed
from kefu.inbox.adapters.webchat.identity import Identity
from kefu.inbox.models import ChatSite, ChatVisitor

TOKEN_SALT = "kefu.chat.visitor"  # noqa: S105 - a signing namespace, not a secret
ANONYMOUS_TOKEN_DAYS = 180
IDENTIFIED_TOKEN_HOURS = 24
CLIENT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_CHAT_BODY = 5000
LANGUAGES = ("en", "zh-hans")


class ConversationClosed(InvalidTransition):
    code = "conversation_closed"


def _language(value: str | None) -> str:
    value = (value or "").lower()
    if value.startswith("zh"):
        return "zh-hans"
    return "en"


def visitor_actor(visitor: ChatVisitor) -> Actor:
    return Actor(
        kind=ActorKind.CUSTOMER,
        contact_id=visitor.contact_id,
        label=f"chat visitor {visitor.pk}",
    )


# --- tokens --------------------------------------------------------------------------------


def visitor_token(visitor: ChatVisitor) -> str:
    """A signed token naming the visitor; valid until it expires or the nonce changes."""
    return signing.dumps({"v": visitor.pk, "n": visitor.nonce}, salt=TOKEN_SALT)


def visitor_from_token(token: str, *, site: ChatSite | None = None) -> ChatVisitor:
    """The visitor a token names. Raises NotFound for a bad, expired or revoked token."""
    if not token or len(token) > 512:
        raise NotFound()
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=timedelta(days=ANONYMOUS_TOKEN_DAYS))
    except signing.BadSignature as exc:
        raise NotFound() from exc
    visitor_id = data.get("v") if isinstance(data, dict) else None
    nonce = data.get("n") if isinstance(data, dict) else None
    if not isinstance(visitor_id, int) or not isinstance(nonce, str):
        raise NotFound()
    visitor = (
        ChatVisitor.objects.select_related("site", "contact")
        .filter(pk=visitor_id, nonce=nonce, site__is_active=True)
        .first()
    )
    if visitor is None or (site is not None and visitor.site_id != site.pk):
        raise NotFound()
    return visitor


# --- visitors ------------------------------------------------------------------------------


def visitor_start(
    *,
    site: ChatSite,
    identity: Identity | None,
    token: str | None,
    language: str | None,
) -> ChatVisitor:
    """Find or create the visitor for a hello: by verified identity, else by token, else new.

    An identified visitor is one visitor per (site, exchange user id) on every device; their
    contact is the one with that exchange account id. Anonymous visitors get a fresh contact
    and never attach to an existing one by email (an email typed in a chat is not proof).
    """
    now = clock.now()
    language = _language(language)
    with transaction.atomic():
        visitor: ChatVisitor | None = None
        if identity is not None:
            visitor = _identified_visitor(site, identity, language, now)
        else:
            if token:
                try:
                    candidate = visitor_from_token(token, site=site)
                except NotFound:
                    candidate = None
                if candidate is not None and not candidate.identified:
                    visitor = candidate
            if visitor is None:
                contact = Contact.objects.create(language=language)
                visitor = ChatVisitor.objects.create(
                    site=site, contact=contact, language=language, created_at=now, last_seen_at=now
                )
                audit_record(
                    actor=visitor_actor(visitor),
                    action="chat_visitor.created",
                    object_type="chat_visitor",
                    object_id=visitor.pk,
                    data={"site": site.pk, "identified": False},
                )
        assert visitor is not None
        ChatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=now, language=language)
        visitor.last_seen_at, visitor.language = now, language
    return visitor


def _identified_visitor(
    site: ChatSite, identity: Identity, language: str, now: datetime
) -> ChatVisitor:
    visitor = (
        ChatVisitor.objects.select_related("contact")
        .filter(site=site, external_id=identity.external_id)
        .first()
    )
    if visitor is not None:
        return visitor
    contact = Contact.objects.filter(uid=identity.external_id).first()
    if contact is None:
        email_free = identity.email and not Contact.objects.filter(email=identity.email).exists()
        contact = Contact.objects.create(
            uid=identity.external_id,
            email=identity.email.lower() if email_free else None,
            name=identity.name,
            language=_language(identity.language or language),
        )
    try:
        with transaction.atomic():
            visitor = ChatVisitor.objects.create(
                site=site,
                external_id=identity.external_id,
                contact=contact,
                email=identity.email if _valid_email(identity.email) else "",
                name=identity.name,
                language=language,
                created_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # another device of the same user won the race
        return ChatVisitor.objects.select_related("contact").get(
            site=site, external_id=identity.external_id
        )
    audit_record(
        actor=visitor_actor(visitor),
        action="chat_visitor.created",
        object_type="chat_visitor",
        object_id=visitor.pk,
        data={"site": site.pk, "identified": True},
    )
    return visitor


def _valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def visitor_update(
    *, visitor: ChatVisitor, email: str | None = None, name: str | None = None, actor: Actor
) -> ChatVisitor:
    """Record the email (to continue by email) and name a visitor gives in the chat."""
    fields: dict[str, str] = {}
    if email is not None:
        email = email.strip()
        if email and (len(email) > 254 or not _valid_email(email)):
            raise ValidationFailed(
                _("Enter a valid email address."),
                fields={"email": [_("Enter a valid email address.")]},
            )
        fields["email"] = email.lower()
    if name is not None:
        name = name.strip()
        if len(name) > 120:
            raise ValidationFailed(
                _("The name is too long."), fields={"name": [_("The name is too long.")]}
            )
        fields["name"] = name
    changed = {k: v for k, v in fields.items() if getattr(visitor, k) != v}
    if not changed:
        return visitor
    with transaction.atomic():
        ChatVisitor.objects.filter(pk=visitor.pk).update(**changed)
        for key, value in changed.items():
            setattr(visitor, key, value)
        if "name" in changed and not visitor.contact.name:
            Contact.objects.filter(pk=visitor.contact_id).update(name=changed["name"])
            visitor.contact.name = changed["name"]
        audit_record(
            actor=actor,
            action="chat_visitor.updated",
            object_type="chat_visitor",
            object_id=visitor.pk,
            data={"fields": sorted(changed)},
        )
    return visitor


def visitor_conversations(visitor: ChatVisitor, *, limit: int = 10) -> list[Conversation]:
    """The visitor's chat conversations, newest first (history across devices when identified)."""
    return list(
        Conversation.objects.filter(contact_id=visitor.contact_id, channel=Channel.CHAT)
        .select_related("assignee")
        .order_by("-last_activity_at", "-id")[:limit]
    )


def visitor_conversation(visitor: ChatVisitor, conversation_id: int) -> Conversation:
    """One of the visitor's chat conversations, or NotFound."""
    conversation = (
        Conversation.objects.select_related("assignee")
        .filter(pk=conversation_id, contact_id=visitor.contact_id, channel=Channel.CHAT)
        .first()
    )
    if conversation is None:
        raise NotFound()
    return conversation


# --- messages ------------------------------------------------------------------------------


def _subject(body: str) -> str:
    first = body.strip().splitlines()[0] if body.strip() else ""
    first = first.strip() or _("Live chat")
    return first if len(first) <= 80 else first[:79] + "…"


def chat_message_send(
    *,
    visitor: ChatVisitor,
    key: str,
    body: str,
    conversation_id: int | None = None,
    attachments: Sequence[UploadedFile] = (),
    metadata: dict[str, Any] | None = None,
    actor: Actor,
) -> tuple[Message, bool]:
    """Store a visitor's chat message once per ``key``; return it and whether it is new.

    With no ``conversation_id`` a new conversation starts (routed to the site's team and, if
    one is online with room, an agent; or answered by the assistant when the site says so).
    A repeated key returns the stored message unchanged. The assistant hears every new
    message (``kefu.assistant.chat.on_customer_message``) in the transaction that stores it.
    """
    if not isinstance(key, str) or not CLIENT_KEY.match(key):
        raise ValidationFailed(
            _("Each message needs an id of 8 to 64 letters, digits, - or _."),
            fields={"id": [_("Each message needs an id of 8 to 64 letters, digits, - or _.")]},
        )
    body = (body or "").strip()
    if not body and attachments:
        body = ", ".join(f.filename for f in attachments)
    if len(body) > MAX_CHAT_BODY:
        raise ValidationFailed(
            _("The message is too long (at most 5,000 characters)."),
            fields={"body": [_("The message is too long (at most 5,000 characters).")]},
        )
    external_id = f"{visitor.pk}:{key}"
    if conversation_id is None:
        existing = _existing(external_id)
        if existing is not None:
            return existing, False
    # In an existing conversation the key is checked by message_reply (Conflict), so the usual
    # new message costs no lookup here; any refusal still answers a repeated key with the
    # stored message, as a check made first would have.
    try:
        if conversation_id is None:
            message = _start_conversation(visitor, body, attachments, external_id, actor)
        else:
            conversation = _conversation_to_write(visitor, conversation_id)
            if conversation.status == Status.CLOSED:
                raise ConversationClosed(
                    _("This conversation is closed. Start a new one to write again.")
                )
            with transaction.atomic():
                message = conversation_services.message_reply(
                    conversation=conversation,
                    body=body,
                    actor=actor,
                    attachments=attachments,
                    external_id=external_id,
                    channel=Channel.CHAT,
                    metadata=metadata,
                )
                _assistant_hears(visitor, conversation, message, new=False, actor=actor)
    except (KefuError, IntegrityError):
        # A repeated key (or the same key racing us and winning): the stored message.
        existing = _existing(external_id)
        if existing is None:
            raise
        return existing, False
    if conversation_id is None:
        ChatVisitor.objects.filter(pk=visitor.pk).update(conversation=message.conversation_id)
        visitor.conversation_id = message.conversation_id
    return message, True


def existing_message(visitor: ChatVisitor, key: str) -> Message | None:
    """The visitor's message stored under client ``key``, if any."""
    if not isinstance(key, str) or not CLIENT_KEY.match(key):
        return None
    return _existing(f"{visitor.pk}:{key}")


def _assistant_hears(
    visitor: ChatVisitor, conversation: Conversation, message: Message, *, new: bool, actor: Actor
) -> bool:
    from kefu.assistant.chat import on_customer_message

    return on_customer_message(
        conversation=conversation, message=message, site=visitor.site, new=new, actor=actor
    )


def _conversation_to_write(visitor: ChatVisitor, conversation_id: int) -> Conversation:
    """``visitor_conversation`` without the assignee: ``message_reply`` locks and re-reads the
    row anyway, so only the ownership and status checks need it."""
    conversation = (
        Conversation.objects.filter(
            pk=conversation_id, contact_id=visitor.contact_id, channel=Channel.CHAT
        )
        .order_by()
        .first()
    )
    if conversation is None:
        raise NotFound()
    return conversation


def _existing(external_id: str) -> Message | None:
    # Asked for every message and nearly always absent: a bare lookup on the unique
    # (channel, external_id) index first, the row only when there is one.
    found = list(
        Message.objects.filter(channel=Channel.CHAT, external_id=external_id)
        .order_by()
        .values_list("pk", flat=True)[:1]
    )
    if not found:
        return None
    return Message.objects.select_related("conversation").get(pk=found[0])


def _start_conversation(
    visitor: ChatVisitor,
    body: str,
    attachments: Sequence[UploadedFile],
    external_id: str,
    actor: Actor,
) -> Message:
    site = visitor.site
    with transaction.atomic():
        conversation = conversation_services.conversation_create(
            contact=visitor.contact,
            subject=_subject(body),
            body=body,
            channel=Channel.CHAT,
            language=visitor.language,
            team=site.team,
            attachments=attachments,
            external_id=external_id,
            actor=actor,
        )
        message = Message.objects.select_related("conversation").get(
            channel=Channel.CHAT, external_id=external_id
        )
        # While the assistant answers, nobody is assigned; its hand-off assigns.
        if not _assistant_hears(visitor, conversation, message, new=True, actor=actor):
            assign_new_chat(conversation)
    return Message.objects.select_related("conversation").get(
        channel=Channel.CHAT, external_id=external_id
    )


def chat_load(agent_ids: Sequence[int]) -> dict[int, int]:
    """Open live chats assigned to each agent."""
    rows = (
        Conversation.objects.filter(
            assignee_id__in=list(agent_ids),
            channel=Channel.CHAT,
            status__in=(Status.NEW, Status.OPEN),
        )
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    load = dict.fromkeys(agent_ids, 0)
    load.update({r["assignee_id"]: r["n"] for r in rows})
    return load


def pick_agent(team_id: int | None) -> User | None:
    """An online agent of the team with free chat capacity, least loaded first (then by id)."""
    candidates = agents_online(team_id)
    if not candidates:
        return None
    load = chat_load([a.pk for a in candidates])
    free = [a for a in candidates if load[a.pk] < a.chat_capacity]
    if not free:
        return None
    return min(free, key=lambda a: (load[a.pk], a.pk))


def assign_new_chat(conversation: Conversation) -> User | None:
    """Give a new chat to an agent by routing policy (kefu.routing: online, the chat's
    language, free capacity, least loaded then round-robin); None leaves it in the queue."""
    from kefu.routing.services import assign_conversation

    return assign_conversation(conversation=conversation, actor=Actor.system("chat routing"))


def visitor_seen(visitor: ChatVisitor) -> None:
    """Note that the visitor's chat is open (keeps replies in the chat instead of email)."""
    ChatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=clock.now())
