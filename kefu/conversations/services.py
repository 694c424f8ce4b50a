"""Every write to conversations, messages, tags and macros goes through these functions.

Each one runs in a transaction, locks the conversation it changes, writes the timeline row and
the audit row with the change, and schedules side effects (notifications) on commit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import Team, User
from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.conversations import search, secret_guard
from kefu.conversations.attachments import (
    UploadedFile,
    ValidAttachment,
    validate_attachments,
)
from kefu.conversations.models import (
    Attachment,
    AuthorKind,
    Category,
    Channel,
    Conversation,
    ConversationType,
    DeliveryStatus,
    Macro,
    Message,
    MessageKind,
    Priority,
    Status,
    Tag,
    TimelineEntry,
    TimelineKind,
)
from kefu.conversations.timeline import timeline_add
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import Conflict, InvalidTransition, PermissionDenied, StorageUnavailable
from kefu.core.jobs import enqueue_on_commit
from kefu.core.prepared import Prepared
from kefu.core.text import render_markdown
from kefu.core.validation import field_error as _field_error
from kefu.realtime import events
from kefu.realtime.publish import publish
from kefu.sla.services import sla_on_event

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 20_000
_TX_ID = re.compile(r"^[A-Za-z0-9:_\-.]{1,128}$")
_ASSET = re.compile(r"^[A-Z0-9]{1,16}$")

TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
    Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
    Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED},
    Status.SOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


# --- helpers --------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise _field_error("body", _("Write a message."))
    if len(text) > MAX_BODY_CHARS:
        raise _field_error("body", _("The message is too long (at most 20,000 characters)."))
    return text


# Every write to a conversation starts here: compiled once per connection (kefu.core.prepared).
_LOCKED = Prepared(
    lambda pk: Conversation.objects.select_for_update().filter(pk=pk).order_by()[:1],
    ids=1,
    name="conversation_lock",
)


def _lock(conversation: Conversation) -> Conversation:
    rows = _LOCKED(conversation.pk)
    if not rows:
        raise Conversation.DoesNotExist("Conversation matching query does not exist.")
    locked = rows[0]
    # The caller's contact row, if it had one: the message payloads built after the commit
    # show the customer's name from it (the lock re-reads the conversation, not its contact).
    if locked.contact_id == conversation.contact_id and _CONTACT.is_cached(conversation):
        _CONTACT.set_cached_value(locked, _CONTACT.get_cached_value(conversation))
    return locked


def _sent_before(
    conversation: Conversation, actor: Actor, client_key: str | None
) -> Message | None:
    """The message ``actor`` already stored in ``conversation`` under the client's idempotency
    ``client_key`` (kept in the message's metadata), if any. Call with the conversation locked:
    the lock (``BEGIN IMMEDIATE`` on SQLite) makes the look-up and the insert one step, so a
    socket frame and its HTTP fallback racing each other store one message."""
    if not client_key or actor.user_id is None:
        return None
    sql = _SENT_BEFORE_SQL.get(connection.vendor)
    if sql is None:  # another database: the ORM's own JSON look-up
        rows = Message.objects.filter(
            conversation_id=conversation.pk,
            author_user_id=actor.user_id,
            metadata__client_key=client_key,
        ).order_by()[:1]
        return next(iter(rows), None)
    # On every socket reply: its id alone, by a statement written once instead of compiled
    # (the ORM's JSON key look-up cost more to compile than to run); the row only on a repeat.
    with connection.cursor() as cursor:
        cursor.execute(sql, [conversation.pk, actor.user_id, client_key])
        found = cursor.fetchone()
    return None if found is None else Message.objects.get(pk=found[0])


# ``metadata__client_key=<a string>`` as the ORM writes it for each database (the JSON value
# under the key equals that string; a number or an object never does), for ``_sent_before``.
_SENT_BEFORE_WHERE = (
    'SELECT "id" FROM "conversations_message" '
    'WHERE "conversation_id" = %s AND "author_user_id" = %s AND '
)
_SENT_BEFORE_SQL = {
    "sqlite": _SENT_BEFORE_WHERE + """JSON_EXTRACT("metadata", '$."client_key"') = %s LIMIT 1""",
    "postgresql": _SENT_BEFORE_WHERE
    + """("metadata" -> 'client_key') = to_jsonb(%s::text) LIMIT 1""",
}


def _with_client_key(metadata: dict[str, Any] | None, client_key: str | None) -> dict[str, Any]:
    if not client_key:
        return metadata or {}
    return {**(metadata or {}), "client_key": client_key}


_CONTACT = Conversation._meta.get_field("contact")
_AUTHOR_USER = Message._meta.get_field("author_user")
_ATTACHMENTS_CACHE = Message._meta.get_field("attachments").cache_name


def _hold_attachments(message: Message, rows: list[Attachment]) -> None:
    """Cache ``rows`` as ``message.attachments.all()`` (all of them: the message was just
    written), as ``prefetch_related`` would, so the payloads built on commit need no query."""
    queryset = Attachment.objects.filter(message=message)
    queryset._result_cache = rows
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    message._prefetched_objects_cache = {_ATTACHMENTS_CACHE: queryset}  # type: ignore[attr-defined]


def _actor_user(actor: Actor) -> User | None:
    return User.objects.filter(pk=actor.user_id).first() if actor.user_id else None


def _holds_user(actor: Actor, user_id: int | None) -> bool:
    """Whether ``actor`` carries the row of user ``user_id`` already read by its caller."""
    return type(actor.user) is User and user_id is not None and actor.user.pk == user_id


def _require_staff(actor: Actor) -> None:
    if actor.kind not in (ActorKind.AGENT, ActorKind.API, ActorKind.SYSTEM, ActorKind.ASSISTANT):
        raise PermissionDenied(_("You do not have permission to do that."))


def _require_owner_or_staff(conversation: Conversation, actor: Actor) -> None:
    if actor.kind == ActorKind.CUSTOMER and actor.contact_id != conversation.contact_id:
        raise PermissionDenied(_("You do not have permission to do that."))


def _timeline(
    conversation: Conversation,
    kind: str,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
    public: bool = False,
) -> TimelineEntry:
    return timeline_add(conversation.pk, kind, actor, data=data, message=message, public=public)


def _audit(conversation: Conversation, action: str, actor: Actor, **data: Any) -> None:
    audit_record(
        actor=actor, action=action, object_type="conversation", object_id=conversation.pk, data=data
    )


def _author_kind(actor: Actor, author: str | None) -> str:
    if actor.kind == ActorKind.CUSTOMER:
        return AuthorKind.CUSTOMER
    if actor.kind == ActorKind.AGENT:
        return AuthorKind.AGENT
    if actor.kind == ActorKind.ASSISTANT:
        return AuthorKind.ASSISTANT
    if author in (AuthorKind.CUSTOMER, AuthorKind.AGENT, AuthorKind.SYSTEM):
        return author
    return AuthorKind.SYSTEM


def _store_attachments(message: Message, valid: Sequence[ValidAttachment]) -> list[Attachment]:
    """Write the files and their rows (returned); a storage failure (disk full, ...) stores none.

    Raises StorageUnavailable: the caller's transaction rolls back, so the message is never
    kept without the attachments it was sent with; files already written are removed.
    """
    written: list[Attachment] = []
    try:
        for item in valid:
            written.append(
                Attachment.objects.create(
                    message=message,
                    file=item.content,
                    filename=item.filename,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                )
            )
    except OSError as exc:
        log.error("attachment storage failed for a message: %s", exc)
        for attachment in written:
            try:
                attachment.file.delete(save=False)
            except OSError:
                log.warning("could not remove %s after a storage failure", attachment.file.name)
        raise StorageUnavailable(
            _(
                "The attachment could not be saved, so the message was not sent. "
                "Please try again in a few minutes."
            )
        ) from exc
    return written


def _add_message(
    conversation: Conversation,
    *,
    kind: str,
    body: str,
    actor: Actor,
    author_kind: str,
    channel: str,
    files: Sequence[UploadedFile],
    external_id: str | None,
    index: bool = True,
    metadata: dict[str, Any] | None = None,
) -> Message:
    valid = validate_attachments(list(files))
    now = clock.now()
    author_user_id = (
        actor.user_id if author_kind in (AuthorKind.AGENT, AuthorKind.CUSTOMER) else None
    )
    # The caller holds the conversation's row lock (or just created it): numbers are gap-free.
    seq = conversation.last_seq + 1
    public_seq = conversation.last_public_seq + 1 if kind == MessageKind.REPLY else None
    author_name = ""
    author_user: User | None = None
    if author_kind == AuthorKind.AGENT and author_user_id is not None:
        # The whole row (one query, no ORDER BY): its display name is stored with the message,
        # and the staff payload built on commit names the author from it without a query.
        author_user = actor.user if _holds_user(actor, author_user_id) else None
        if author_user is None:
            author_user = next(iter(User.objects.filter(pk=author_user_id).order_by()[:1]), None)
        author_name = author_user.display_name if author_user is not None else ""
    message = Message.objects.create(
        conversation=conversation,
        kind=kind,
        author_kind=author_kind,
        author_user_id=author_user_id,
        author_name=author_name,
        body=body,
        body_html=render_markdown(body),
        channel=channel,
        external_id=external_id or None,
        created_at=now,
        delivery_status=DeliveryStatus.NONE,
        seq=seq,
        public_seq=public_seq,
        metadata=metadata or {},
    )
    if author_user is not None:
        _AUTHOR_USER.set_cached_value(message, author_user)
    _hold_attachments(message, _store_attachments(message, valid))
    Conversation.objects.filter(pk=conversation.pk).update(
        last_activity_at=now,
        message_count=F("message_count") + 1,
        last_seq=seq,
        last_public_seq=public_seq or conversation.last_public_seq,
    )
    conversation.last_activity_at = now
    conversation.last_seq = seq
    conversation.last_public_seq = public_seq or conversation.last_public_seq
    if index:
        search.append_to_index(conversation.pk, body)
    publish(
        events.MessageCreated(
            conversation_id=conversation.pk,
            message_id=message.pk,
            seq=seq,
            public_seq=public_seq,
            team_id=conversation.team_id,
            assignee_id=conversation.assignee_id,
        ),
        message=message,
    )
    return message


# --- the secret guard (docs/subsystems/conversations.md) ----------------------------------------


def _screen(
    author_kind: str, *, body: str, subject: str = "", attachments: Sequence[UploadedFile]
) -> secret_guard.Screened | None:
    """Screen a customer's message (None for anyone else's): only the result is stored."""
    if author_kind != AuthorKind.CUSTOMER:
        return None
    return secret_guard.screen_inbound(body=body, subject=subject, attachments=attachments)


def _outbound_guard(body: str, reason: str, actor: Actor) -> str | None:
    """Refuse a public staff reply that asks the customer for a secret, unless a supervisor or
    admin gives a reason. Returns the kind asked for when the reply goes out overridden."""
    from kefu.guard.outbound import check_outbound

    finding = check_outbound(body)
    if finding is None:
        return None
    reason = (reason or "").strip()
    if not reason:
        raise secret_guard.blocked_error(finding.kind)
    user = _actor_user(actor)
    if user is None or not permissions.can_override_guard(user):
        raise PermissionDenied(
            _("Only a supervisor or an admin can send a reply that the secret guard blocked.")
        )
    if len(reason) > 500:
        raise _field_error(
            "guard_override_reason", _("The reason is too long (at most 500 characters).")
        )
    return finding.kind


def _secret_found(
    conversation: Conversation, message: Message, screened: secret_guard.Screened, actor: Actor
) -> Message:
    """Flag the conversation, record what kinds were hidden (never the secret) and tell the
    customer what to do now. The caller holds the conversation's lock."""
    Conversation.objects.filter(pk=conversation.pk).update(security_risk=True)
    conversation.security_risk = True
    kinds = list(screened.kinds)
    _timeline(
        conversation,
        TimelineKind.SECURITY,
        actor,
        data={"kinds": kinds, "withheld": len(screened.withheld)},
    )
    guard = Actor.system("secret guard")
    contact = Contact.objects.only("language").get(pk=conversation.contact_id)
    notice = _add_message(
        conversation,
        kind=MessageKind.REPLY,
        body=secret_guard.customer_notice(
            kinds, screened.withheld, contact.language or conversation.language
        ),
        actor=guard,
        author_kind=AuthorKind.SYSTEM,
        channel=conversation.channel,
        files=(),
        external_id=None,
        index=False,
    )
    _timeline(conversation, TimelineKind.MESSAGE, guard, message=notice, public=True)
    _audit(
        conversation,
        "message.secret_redacted",
        actor,
        message=message.pk,
        notice=notice.pk,
        kinds=kinds,
        counts=dict(screened.counts),
        withheld=len(screened.withheld),
    )
    _notify_customer(conversation, notice)
    return notice


def _notify_customer(conversation: Conversation, message: Message) -> None:
    """Tell the customer a public reply is waiting: in the chat, on the conversation's channel
    if an adapter serves it (Telegram, ...), else by email (on commit)."""
    from kefu.inbox import delivery

    if delivery.delivery_queue(conversation=conversation, message=message):
        return
    if conversation.channel == Channel.CHAT:
        # Live chat answers in the chat; email only if the visitor left (see the task).
        from kefu.inbox.adapters.webchat.tasks import continue_chat_by_email

        enqueue_on_commit(continue_chat_by_email, message_id=message.pk, attempt=1)
    else:
        from kefu.conversations.tasks import notify_customer_of_reply

        enqueue_on_commit(notify_customer_of_reply, message_id=message.pk, attempt=1)


def _publish_update(
    conversation: Conversation,
    reason: str,
    *,
    previous_team_id: int | None = None,
    previous_assignee_id: int | None = None,
    customer_visible: bool = False,
) -> None:
    publish(
        events.ConversationUpdated(
            conversation_id=conversation.pk,
            reason=reason,  # type: ignore[arg-type]
            team_id=conversation.team_id,
            assignee_id=conversation.assignee_id,
            previous_team_id=previous_team_id,
            previous_assignee_id=previous_assignee_id,
            customer_visible=customer_visible,
        )
    )


def _validate_case_fields(tx_id: str, asset: str, network: str) -> tuple[str, str, str]:
    tx_id, asset, network = tx_id.strip(), asset.strip().upper(), network.strip()
    if tx_id and not _TX_ID.match(tx_id):
        raise _field_error("tx_id", _("The transaction id has unexpected characters."))
    if asset and not _ASSET.match(asset):
        raise _field_error("asset", _("Use the asset's ticker, e.g. USDT."))
    if len(network) > 32:
        raise _field_error("network", _("The network name is too long."))
    return tx_id, asset, network


# --- conversations --------------------------------------------------------------------------


def conversation_create(
    *,
    contact: Contact,
    subject: str,
    body: str,
    category: str = Category.OTHER,
    channel: str = Channel.WEB,
    language: str | None = None,
    priority: int = Priority.NORMAL,
    tx_id: str = "",
    asset: str = "",
    network: str = "",
    team: Team | None = None,
    attachments: Sequence[UploadedFile] = (),
    external_id: str | None = None,
    author: str | None = None,
    conversation_type: str = ConversationType.STANDARD,
    actor: Actor,
) -> Conversation:
    """Open a conversation with its first message from the customer, then route it
    (``kefu.routing``: team by policy; assigned now unless it is a live chat, which the chat
    pipeline assigns once the assistant hands it over).

    A customer may only open conversations for themselves. With ``external_id`` set, a repeat
    of the same channel message raises Conflict instead of creating a duplicate.
    """
    conversation, _message = _conversation_open(
        contact=contact,
        subject=subject,
        body=body,
        category=category,
        channel=channel,
        language=language,
        priority=priority,
        tx_id=tx_id,
        asset=asset,
        network=network,
        team=team,
        attachments=attachments,
        external_id=external_id,
        author=author,
        conversation_type=conversation_type,
        actor=actor,
        known_new=False,
    )
    return conversation


def _conversation_open(
    *,
    contact: Contact,
    subject: str,
    body: str,
    category: str,
    channel: str,
    language: str | None,
    priority: int,
    tx_id: str,
    asset: str,
    network: str,
    team: Team | None,
    attachments: Sequence[UploadedFile],
    external_id: str | None,
    author: str | None,
    conversation_type: str,
    actor: Actor,
    known_new: bool,
) -> tuple[Conversation, Message]:
    """``conversation_create``, returning the first message too. ``known_new``: the caller has
    just looked ``external_id`` up itself (``message_receive``), so it is not looked up again
    (a race with another worker still fails on the unique constraint)."""
    if actor.kind == ActorKind.CUSTOMER and actor.contact_id != contact.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    subject = (subject or "").strip()
    if not subject:
        raise _field_error("subject", _("Write a short subject."))
    if len(subject) > 200:
        raise _field_error("subject", _("The subject is too long (at most 200 characters)."))
    body = _clean_body(body)
    if category not in Category.values:
        raise _field_error("category", _("Choose a category."))
    if channel not in Channel.values:
        raise _field_error("channel", _("Unknown channel."))
    if priority not in Priority.values:
        raise _field_error("priority", _("Unknown priority."))
    if conversation_type not in ConversationType.values:
        raise _field_error("conversation_type", _("Unknown type."))
    tx_id, asset, network = _validate_case_fields(tx_id, asset, network)
    language = language or contact.language or "en"
    if (
        external_id
        and not known_new
        and Message.objects.filter(channel=channel, external_id=external_id).exists()
    ):
        raise Conflict(_("This message was already received."))
    author_kind = _author_kind(actor, author or AuthorKind.CUSTOMER)
    screened = _screen(author_kind, body=body, subject=subject, attachments=attachments)
    if screened is not None:  # from here on only the redacted text exists
        body, subject, attachments = screened.body, screened.subject[:200], screened.attachments
    now = clock.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            contact=contact,
            subject=subject,
            category=category,
            channel=channel,
            priority=priority,
            language=language,
            tx_id=tx_id,
            asset=asset,
            network=network,
            team=team,
            conversation_type=conversation_type,
            created_at=now,
            last_activity_at=now,
        )
        message = _add_message(
            conversation,
            kind=MessageKind.REPLY,
            body=body,
            actor=actor,
            author_kind=author_kind,
            channel=channel,
            files=attachments,
            external_id=external_id,
            index=False,
        )
        search.index_conversation(conversation.pk, [subject, body])  # one write, not two
        _timeline(
            conversation,
            TimelineKind.CREATED,
            actor,
            message=message,
            public=True,
            data={"channel": channel, "category": category},
        )
        _audit(conversation, "conversation.created", actor, channel=channel, category=category)
        sla_on_event(conversation=conversation, event="created", at=now)
        conversation.message_count = 1
        publish(
            events.ConversationCreated(
                conversation_id=conversation.pk, team_id=team.pk if team else None
            )
        )
        from kefu.automation.tasks import on_event  # automation rules, in the worker

        on_event(conversation.pk, "created")
        if screened is not None and screened.found:
            _secret_found(conversation, message, screened, actor)
            conversation.message_count = 2
        from kefu.routing.services import route_conversation

        # Routing is policy the system applies (audited as such), whoever opened the
        # conversation: a customer may not set a team, but the rules may.
        routed = route_conversation(
            conversation=conversation,
            actor=Actor.system("routing"),
            assign=channel != Channel.CHAT,
        )
        # Routing re-reads the conversation (which drops its cached contact): the message's
        # payloads, built on commit, show the contact's name.
        _CONTACT.set_cached_value(conversation, contact)
        return routed, message


def message_reply(
    *,
    conversation: Conversation,
    body: str,
    actor: Actor,
    attachments: Sequence[UploadedFile] = (),
    set_status: str | None = None,
    author: str | None = None,
    external_id: str | None = None,
    channel: str | None = None,
    guard_override_reason: str = "",
    metadata: dict[str, Any] | None = None,
    client_key: str | None = None,
) -> Message:
    """Add a public reply. A customer's reply reopens a pending or solved conversation.

    Closed conversations take no replies: reopen first. With ``external_id`` set, a repeat of
    the same channel message raises Conflict instead of creating a duplicate. ``client_key``
    is a signed-in author's idempotency key (the workspace's socket frame id and its HTTP
    fallback): a repeat returns the message already stored under it and changes nothing. It is
    not an ``external_id``, which would mark the reply as come from the channel and so never
    delivered to it. A customer's
    reply is stored with its secrets redacted; a staff reply that asks for one raises
    GuardBlocked unless a supervisor or admin gives ``guard_override_reason`` (audited).
    Live chat writes customers' messages in batches with the same rows
    (kefu.inbox.adapters.webchat.batch): keep the two in step.
    """
    return _reply(
        conversation=conversation,
        body=body,
        actor=actor,
        attachments=attachments,
        set_status=set_status,
        author=author,
        external_id=external_id,
        channel=channel,
        guard_override_reason=guard_override_reason,
        metadata=metadata,
        client_key=client_key,
        known_new=False,
    )


def _reply(
    *,
    conversation: Conversation,
    body: str,
    actor: Actor,
    attachments: Sequence[UploadedFile],
    set_status: str | None,
    author: str | None,
    external_id: str | None,
    channel: str | None,
    guard_override_reason: str,
    metadata: dict[str, Any] | None,
    known_new: bool,
    client_key: str | None = None,
) -> Message:
    """``message_reply``; ``known_new`` as for ``_conversation_open``."""
    _require_owner_or_staff(conversation, actor)
    body = _clean_body(body)
    if set_status is not None and set_status not in Status.values:
        raise _field_error("status", _("Unknown status."))
    if actor.kind == ActorKind.CUSTOMER and set_status not in (None, Status.CLOSED):
        # Same rule as conversation_set_status: a customer may only close (or reopen by replying).
        raise PermissionDenied(_("You can only close or reopen your request."))
    if (
        external_id
        and not known_new
        and Message.objects.filter(
            channel=channel or conversation.channel, external_id=external_id
        ).exists()
    ):
        raise Conflict(_("This message was already received."))
    author_kind = _author_kind(actor, author)
    screened = _screen(author_kind, body=body, attachments=attachments)
    overridden: str | None = None
    if screened is not None:  # from here on only the redacted text exists
        body, attachments = screened.body, screened.attachments
    else:
        overridden = _outbound_guard(body, guard_override_reason, actor)
    with transaction.atomic():
        conversation = _lock(conversation)
        sent = _sent_before(conversation, actor, client_key)
        if sent is not None:
            return sent
        if conversation.status == Status.CLOSED:
            raise InvalidTransition(_("This conversation is closed. Reopen it to reply."))
        message = _add_message(
            conversation,
            kind=MessageKind.REPLY,
            body=body,
            actor=actor,
            author_kind=author_kind,
            channel=channel or conversation.channel,
            files=attachments,
            external_id=external_id,
            metadata=_with_client_key(metadata, client_key),
        )
        _timeline(conversation, TimelineKind.MESSAGE, actor, message=message, public=True)
        _audit(conversation, "message.replied", actor, message=message.pk)
        if author_kind == AuthorKind.AGENT:  # before a status change: answered, then solved
            sla_on_event(conversation=conversation, event="staff_replied")
        if author_kind == AuthorKind.AGENT:
            # An agent answering in person takes the chat over from the assistant.
            from kefu.assistant.services import assistant_agent_took_over

            assistant_agent_took_over(conversation=conversation, actor=actor)
        if screened is not None and screened.found:
            _secret_found(conversation, message, screened, actor)
        if overridden is not None:
            _audit(
                conversation,
                "message.guard_overridden",
                actor,
                message=message.pk,
                asked_for=overridden,
                reason=guard_override_reason.strip(),
            )
        customer_reopens = author_kind == AuthorKind.CUSTOMER and conversation.status in (
            Status.PENDING,
            Status.SOLVED,
        )
        staff_opens = author_kind != AuthorKind.CUSTOMER and conversation.status == Status.NEW
        new_status = set_status
        if new_status is None and (customer_reopens or staff_opens):
            new_status = Status.OPEN
        if new_status and new_status != conversation.status:
            _change_status(conversation, new_status, actor)
        if author_kind == AuthorKind.CUSTOMER:  # after the reopen it may cause
            sla_on_event(conversation=conversation, event="customer_replied")
        if author_kind != AuthorKind.CUSTOMER:
            _notify_customer(conversation, message)
        else:
            from kefu.automation.tasks import on_event  # automation rules, in the worker

            on_event(conversation.pk, "customer_message")
    return message


def message_receive(
    *,
    contact: Contact,
    channel: str,
    external_id: str,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    language: str | None = None,
    actor: Actor,
    subject: str = "",
    conversation: Conversation | None = None,
    join_latest: bool = True,
) -> Message:
    """Store a customer's message that arrived on a channel (Telegram, email, ...).

    It joins ``conversation`` when the channel threaded it there (it must be the contact's
    and not closed), else the contact's latest conversation on that channel that is not
    closed (a solved or pending one reopens; unless ``join_latest`` is False, as for a new
    email), else it opens a new one, titled ``subject`` if given. Idempotent on
    ``(channel, external_id)``: a repeat returns the message already stored. Every channel
    adapter's messages come here.
    """
    if not external_id:
        raise _field_error("external_id", _("A channel message needs its id."))
    # No ORDER BY: at most one row (unique), and ``first()``'s ordering only costs compiling.
    existing = list(Message.objects.filter(channel=channel, external_id=external_id).order_by()[:1])
    if existing:
        return existing[0]
    if conversation is not None and (
        conversation.contact_id != contact.pk or conversation.status == Status.CLOSED
    ):
        conversation = None
    if conversation is None and join_latest:
        conversation = (
            Conversation.objects.filter(contact=contact, channel=channel)
            .exclude(status=Status.CLOSED)
            .order_by("-last_activity_at", "-pk")
            .first()
        )
    try:
        if conversation is not None:
            conversation.contact = contact  # the same row (checked above): the payloads show it
            return _reply(
                conversation=conversation,
                body=body,
                actor=actor,
                attachments=attachments,
                set_status=None,
                author=AuthorKind.CUSTOMER,
                external_id=external_id,
                channel=channel,
                guard_override_reason="",
                metadata=None,
                known_new=True,
            )
        first_line = (body or "").strip().splitlines()[0] if (body or "").strip() else ""
        subject = (
            subject.strip()[:200]
            or first_line[:80]
            or _("Message from %(channel)s")
            % {"channel": Channel(channel).label if channel in Channel.values else channel}
        )
        _conversation, message = _conversation_open(
            contact=contact,
            subject=subject,
            body=body,
            category=Category.OTHER,
            channel=channel,
            language=language,
            priority=Priority.NORMAL,
            tx_id="",
            asset="",
            network="",
            team=None,
            attachments=attachments,
            external_id=external_id,
            author=AuthorKind.CUSTOMER,
            conversation_type=ConversationType.STANDARD,
            actor=actor,
            known_new=True,
        )
    except Conflict:  # the same message raced in through another worker
        return Message.objects.get(channel=channel, external_id=external_id)
    return message


def note_add(
    *,
    conversation: Conversation,
    body: str,
    actor: Actor,
    attachments: Sequence[UploadedFile] = (),
    metadata: dict[str, Any] | None = None,
    client_key: str | None = None,
) -> Message:
    """Add an internal note, visible to staff only.

    ``client_key`` as for ``message_reply``: a repeat returns the note already stored."""
    _require_staff(actor)
    body = _clean_body(body)
    with transaction.atomic():
        conversation = _lock(conversation)
        sent = _sent_before(conversation, actor, client_key)
        if sent is not None:
            return sent
        message = _add_message(
            conversation,
            kind=MessageKind.NOTE,
            body=body,
            actor=actor,
            author_kind=_author_kind(actor, AuthorKind.AGENT),
            channel=conversation.channel,
            files=attachments,
            external_id=None,
            metadata=_with_client_key(metadata, client_key),
        )
        _timeline(conversation, TimelineKind.NOTE, actor, message=message, public=False)
        _audit(conversation, "note.added", actor, message=message.pk)
    return message


def conversation_log_call(
    *, conversation: Conversation, call_id: int, direction: str, actor: Actor
) -> TimelineEntry:
    """Add a phone call's entry to the timeline (staff only; the call's details live on the
    ``inbox.PhoneCall`` row ``call_id``, so later status updates change what the entry shows).

    A solved or pending conversation reopens, as when the customer writes. The caller makes
    sure each call is logged once (kefu.inbox.calls)."""
    _require_staff(actor)
    with transaction.atomic():
        conversation = _lock(conversation)
        if conversation.status == Status.CLOSED:
            raise InvalidTransition(_("This conversation is closed. Reopen it to reply."))
        entry = _timeline(
            conversation,
            TimelineKind.CALL,
            actor,
            data={"call": call_id, "direction": direction},
        )
        now = clock.now()
        Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=now)
        conversation.last_activity_at = now
        _audit(conversation, "conversation.call_logged", actor, call=call_id, direction=direction)
        if conversation.status in (Status.PENDING, Status.SOLVED):
            _change_status(conversation, Status.OPEN, actor)
        _publish_update(conversation, "call")
    return entry


def _change_status(conversation: Conversation, status: str, actor: Actor) -> None:
    old = conversation.status
    if status not in TRANSITIONS[old]:
        raise InvalidTransition(
            _("Cannot change status from %(old)s to %(new)s.")
            % {"old": Status(old).label, "new": Status(status).label}
        )
    if (
        status == Status.SOLVED
        and conversation.conversation_type == ConversationType.COMPLAINT
        and not conversation.resolution.strip()
    ):
        raise InvalidTransition(
            _("A complaint needs a written resolution before it can be solved.")
        )
    now = clock.now()
    conversation.status = status
    conversation.closed_at = now if status == Status.CLOSED else None
    conversation.last_activity_at = now
    conversation.save(update_fields=["status", "closed_at", "last_activity_at"])
    sla_on_event(conversation=conversation, event="status_changed", at=now)
    _timeline(
        conversation, TimelineKind.STATUS, actor, data={"from": old, "to": status}, public=True
    )
    _audit(conversation, "conversation.status_changed", actor, **{"from": old, "to": status})
    if status in (Status.SOLVED, Status.CLOSED) and conversation.assignee_id is not None:
        from kefu.routing.services import on_agent_freed

        on_agent_freed(agent_id=conversation.assignee_id)  # a seat is free: serve the queue
    if status == Status.SOLVED:  # ask the customer to rate it (kefu.csat; explicit, no signal)
        from kefu.csat.services import survey_open

        survey_open(conversation=conversation, actor=actor)
    _publish_update(
        conversation,
        "status",
        previous_team_id=conversation.team_id,
        previous_assignee_id=conversation.assignee_id,
        customer_visible=True,
    )


def conversation_set_status(
    *, conversation: Conversation, status: str, actor: Actor
) -> Conversation:
    """Move a conversation to ``status`` if the transition is allowed.

    Customers may only close their own conversation or reopen a solved or closed one.
    Setting the current status again is a no-op (nothing is recorded).
    """
    _require_owner_or_staff(conversation, actor)
    if status not in Status.values:
        raise _field_error("status", _("Unknown status."))
    with transaction.atomic():
        conversation = _lock(conversation)
        if conversation.status == status:
            return conversation
        if actor.kind == ActorKind.CUSTOMER:
            reopening = status == Status.OPEN and conversation.status in (
                Status.SOLVED,
                Status.CLOSED,
            )
            if status != Status.CLOSED and not reopening:
                raise PermissionDenied(_("You can only close or reopen your request."))
        _change_status(conversation, status, actor)
    return conversation


def conversation_set_priority(
    *, conversation: Conversation, priority: int, actor: Actor
) -> Conversation:
    """Change the priority (low, normal, high, urgent)."""
    _require_staff(actor)
    if priority not in Priority.values:
        raise _field_error("priority", _("Unknown priority."))
    with transaction.atomic():
        conversation = _lock(conversation)
        old = conversation.priority
        if old == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority"])
        sla_on_event(conversation=conversation, event="attributes_changed")
        _timeline(conversation, TimelineKind.PRIORITY, actor, data={"from": old, "to": priority})
        _audit(
            conversation, "conversation.priority_changed", actor, **{"from": old, "to": priority}
        )
        _publish_update(conversation, "priority", previous_assignee_id=conversation.assignee_id)
    return conversation


def conversation_assign(
    *, conversation: Conversation, assignee: User | None, actor: Actor
) -> Conversation:
    """Assign to an active agent who works on the conversation's tier, or unassign (None)."""
    _require_staff(actor)
    if assignee is not None:
        if not assignee.is_agent:
            raise _field_error("assignee", _("Only active staff can be assigned."))
        if permissions.max_tier(assignee) < conversation.tier:
            raise _field_error("assignee", _("This agent does not work on this tier."))
    with transaction.atomic():
        conversation = _lock(conversation)
        old = conversation.assignee_id
        new = assignee.pk if assignee else None
        if old == new:
            return conversation
        conversation.assignee = assignee
        conversation.save(update_fields=["assignee"])
        _timeline(
            conversation,
            TimelineKind.ASSIGNMENT,
            actor,
            data={"from": old, "to": new, "to_name": str(assignee) if assignee else ""},
        )
        _audit(conversation, "conversation.assigned", actor, **{"from": old, "to": new})
        _publish_update(
            conversation,
            "assignee",
            previous_team_id=conversation.team_id,
            previous_assignee_id=old,
            customer_visible=True,
        )
    return conversation


def conversation_set_team(
    *, conversation: Conversation, team: Team | None, actor: Actor
) -> Conversation:
    """Route a conversation to a team (or to no team)."""
    _require_staff(actor)
    with transaction.atomic():
        conversation = _lock(conversation)
        old = conversation.team_id
        new = team.pk if team else None
        if old == new:
            return conversation
        conversation.team = team
        conversation.save(update_fields=["team"])
        sla_on_event(conversation=conversation, event="attributes_changed")
        _timeline(
            conversation,
            TimelineKind.ASSIGNMENT,
            actor,
            data={"team_from": old, "team_to": new, "team_name": team.name if team else ""},
        )
        _audit(conversation, "conversation.team_changed", actor, **{"from": old, "to": new})
        _publish_update(
            conversation,
            "team",
            previous_team_id=old,
            previous_assignee_id=conversation.assignee_id,
        )
    return conversation


def conversation_escalate(*, conversation: Conversation, reason: str, actor: Actor) -> Conversation:
    """Raise the conversation one tier (L1 -> L2 senior -> L3 management); a reason is required.

    If the current assignee does not work on the new tier the conversation is unassigned.
    """
    _require_staff(actor)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise _field_error("reason", _("Say why this needs escalating."))
    if len(reason) > 2000:
        raise _field_error("reason", _("The reason is too long."))
    with transaction.atomic():
        conversation = _lock(conversation)
        if conversation.tier >= 3:
            raise InvalidTransition(_("This conversation is already at the highest tier."))
        old = conversation.tier
        conversation.tier = old + 1
        fields = ["tier"]
        unassigned = None
        if conversation.assignee_id is not None:
            assignee = User.objects.get(pk=conversation.assignee_id)
            if permissions.max_tier(assignee) < conversation.tier:
                unassigned = assignee.pk
                conversation.assignee = None
                fields.append("assignee")
        if conversation.priority < Priority.HIGH:
            conversation.priority = Priority.HIGH
            fields.append("priority")
        from kefu.routing.escalation import escalation_team

        old_team = conversation.team_id
        target = escalation_team(conversation.tier)  # the tier's team in routing policy
        if target is not None and target.pk != old_team:
            conversation.team = target
            fields.append("team")
        conversation.save(update_fields=fields)
        sla_on_event(conversation=conversation, event="attributes_changed")
        if unassigned is not None:
            from kefu.routing.services import on_agent_freed, on_conversation_waiting

            on_conversation_waiting(conversation_id=conversation.pk)  # to the new tier's agents
            on_agent_freed(agent_id=unassigned)  # the old agent has a seat free
        data: dict[str, Any] = {
            "from": old,
            "to": conversation.tier,
            "reason": reason,
            "unassigned": unassigned,
        }
        moved = {"team_from": old_team, "team_to": conversation.team_id} if "team" in fields else {}
        if target is not None and moved:
            data.update(moved, team_name=target.name)
        _timeline(conversation, TimelineKind.ESCALATION, actor, data=data)
        _audit(
            conversation,
            "conversation.escalated",
            actor,
            **{"from": old, "to": conversation.tier, "reason": reason, **moved},
        )
        _publish_update(
            conversation,
            "tier",
            previous_team_id=old_team,
            previous_assignee_id=unassigned or conversation.assignee_id,
            customer_visible=unassigned is not None,
        )
    return conversation


def conversation_set_tags(
    *, conversation: Conversation, names: Iterable[str], actor: Actor
) -> Conversation:
    """Replace the conversation's tags with existing tags named in ``names``."""
    _require_staff(actor)
    given = {n.strip() for n in names if n and n.strip()}
    wanted = {n.lower() for n in given}
    # Matches the case-insensitive unique index on Lower(name) instead of loading every tag; and
    # exact names, because SQLite's LOWER() folds only ASCII letters ("İ", "Ü" stay as they are).
    tags = list(
        Tag.objects.annotate(lname=Lower("name")).filter(Q(lname__in=wanted) | Q(name__in=given))
    )
    missing = wanted - {t.name.lower() for t in tags}
    if missing:
        raise _field_error(
            "tags", _("Unknown tags: %(names)s") % {"names": ", ".join(sorted(missing))}
        )
    with transaction.atomic():
        conversation = _lock(conversation)
        old = sorted(conversation.tags.values_list("name", flat=True))
        new = sorted(t.name for t in tags)
        if old == new:
            return conversation
        conversation.tags.set(tags)
        _timeline(conversation, TimelineKind.TAGS, actor, data={"from": old, "to": new})
        _audit(conversation, "conversation.tags_changed", actor, **{"from": old, "to": new})
        _publish_update(conversation, "tags", previous_assignee_id=conversation.assignee_id)
    return conversation


def conversation_record_view(*, conversation: Conversation, actor: Actor) -> None:
    """Audit that staff opened a conversation and its customer's profile (a sensitive read)."""
    with transaction.atomic():
        _audit(conversation, "conversation.viewed", actor, contact=conversation.contact_id)


def attachment_record_download(*, attachment: Attachment, actor: Actor) -> None:
    """Audit that staff downloaded a customer's or colleague's attachment (a sensitive read)."""
    message = attachment.message
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="attachment.downloaded",
            object_type="attachment",
            object_id=attachment.pk,
            data={"conversation": message.conversation_id, "message": message.pk},
        )


def conversation_mark_read(*, conversation: Conversation, seq: int, actor: Actor) -> bool:
    """Record that the customer (or, for staff actors, the agents) read up to public ``seq``.

    Read marks only move forward; an older or repeated mark changes nothing and returns False.
    """
    _require_owner_or_staff(conversation, actor)
    if not isinstance(seq, int) or seq < 0:
        raise _field_error("seq", _("Invalid sequence number."))
    who = "customer" if actor.kind == ActorKind.CUSTOMER else "agent"
    field = "customer_read_seq" if who == "customer" else "agent_read_seq"
    with transaction.atomic():
        conversation = _lock(conversation)
        seq = min(seq, conversation.last_public_seq)
        if seq <= getattr(conversation, field):
            return False
        setattr(conversation, field, seq)
        conversation.save(update_fields=[field])
        _audit(conversation, "conversation.read", actor, who=who, seq=seq)
        publish(events.ReadMarked(conversation_id=conversation.pk, who=who, seq=seq))  # type: ignore[arg-type]
    return True


# --- tags and macros ------------------------------------------------------------------------


def _require_manager(actor: Actor) -> None:
    user = _actor_user(actor)
    if user is None or not permissions.can_manage_workspace(user):
        raise PermissionDenied(_("You do not have permission to do that."))


def tag_save(*, tag: Tag | None = None, name: str, actor: Actor) -> Tag:
    """Create or rename a tag (names are unique, case-insensitive)."""
    _require_manager(actor)
    name = (name or "").strip()
    if not name or len(name) > 50 or "," in name:
        raise _field_error("name", _("Use a name of 1 to 50 characters without commas."))
    clash = Tag.objects.filter(name__iexact=name)
    if tag is not None:
        clash = clash.exclude(pk=tag.pk)
    if clash.exists():
        raise Conflict(
            _("A tag with this name already exists."),
            fields={"name": [_("A tag with this name already exists.")]},
        )
    with transaction.atomic():
        created = tag is None
        tag = tag or Tag()
        tag.name = name
        tag.save()
        audit_record(
            actor=actor,
            action="tag.created" if created else "tag.renamed",
            object_type="tag",
            object_id=tag.pk,
            data={"name": name},
        )
    return tag


def tag_delete(*, tag: Tag, actor: Actor) -> None:
    """Delete a tag and remove it from every conversation."""
    _require_manager(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="tag.deleted",
            object_type="tag",
            object_id=tag.pk,
            data={"name": tag.name},
        )
        tag.delete()


def macro_save(
    *,
    macro: Macro | None = None,
    name: str,
    body_en: str,
    body_zh: str,
    actor: Actor,
    set_status: str = "",
    set_priority: int | None = None,
    set_team: Team | None = None,
    add_tags: Iterable[Tag] = (),
    assign: str = "",
) -> Macro:
    """Create or update a macro; both language versions are required. The optional fields are
    what applying the macro sets (kefu.conversations.macros.macro_apply); empty leaves them."""
    _require_manager(actor)
    if set_status and set_status not in Status.values:
        raise _field_error("set_status", _("Unknown status."))
    if set_priority is not None and set_priority not in Priority.values:
        raise _field_error("set_priority", _("Unknown priority."))
    if assign not in ("", "me", "nobody"):
        raise _field_error("assign", _("Choose whom to assign to."))
    tags = list(add_tags)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _field_error("name", _("Use a name of 1 to 100 characters."))
    if not body_en.strip():
        raise _field_error("body_en", _("Write the English text."))
    if not body_zh.strip():
        raise _field_error("body_zh", _("Write the Chinese text."))
    clash = Macro.objects.filter(name__iexact=name)
    if macro is not None:
        clash = clash.exclude(pk=macro.pk)
    if clash.exists():
        raise Conflict(
            _("A macro with this name already exists."),
            fields={"name": [_("A macro with this name already exists.")]},
        )
    with transaction.atomic():
        created = macro is None
        macro = macro or Macro()
        macro.name, macro.body_en, macro.body_zh = name, body_en.strip(), body_zh.strip()
        macro.set_status, macro.set_priority, macro.set_team = set_status, set_priority, set_team
        macro.assign = assign
        macro.save()
        macro.add_tags.set(tags)
        audit_record(
            actor=actor,
            action="macro.created" if created else "macro.updated",
            object_type="macro",
            object_id=macro.pk,
            data={"name": name, **_macro_actions(macro, tags)},
        )
    return macro


def _macro_actions(macro: Macro, tags: list[Tag]) -> dict[str, Any]:
    """The fields a macro sets, for its audit row (only when it sets any)."""
    actions = {
        "set_status": macro.set_status,
        "set_priority": macro.set_priority,
        "set_team": macro.set_team_id,
        "add_tags": sorted(t.name for t in tags),
        "assign": macro.assign,
    }
    return {"actions": actions} if any(v not in ("", None, []) for v in actions.values()) else {}


def macro_delete(*, macro: Macro, actor: Actor) -> None:
    """Delete a macro."""
    _require_manager(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="macro.deleted",
            object_type="macro",
            object_id=macro.pk,
            data={"name": macro.name},
        )
        macro.delete()
