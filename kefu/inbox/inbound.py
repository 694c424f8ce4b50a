"""Inbound: store a provider's request first, then process it in the worker, with retries.

``inbound_store`` (called by the webhook after the adapter verified the request) writes the raw
payload as an ``InboundEvent``, once per provider event id, and enqueues
``process_inbound_event`` on commit; the webhook answers at once. ``inbound_process`` makes one
attempt: the adapter parses the payload into ``InboundMessage``s and each one goes to
``conversations.services.message_receive`` (deduplicated on the channel's message id). A
failure is retried by the periodic ``dispatch_due_channels`` job with growing delays; after
``MAX_ATTEMPTS`` (or at once for a permanent error) the event is ``failed`` and listed on the
admin page ``/agent/manage/inbound/``, where ``inbound_replay`` (or ``kefu inbound replay``)
sends it through again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from kefu.accounts import permissions
from kefu.accounts.models import User
from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.conversations import services as conversation_services
from kefu.conversations.attachments import UploadedFile, validated_upload
from kefu.conversations.models import Conversation, Message, Status
from kefu.core import clock, policy_cache
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import (
    InvalidTransition,
    KefuError,
    NotFound,
    PermanentError,
    PermissionDenied,
    RetryableError,
    ValidationFailed,
)
from kefu.core.jobs import enqueue_on_commit
from kefu.inbox.adapters import get_adapter
from kefu.inbox.adapters.base import (
    ChannelAdapter,
    DeliveryReceipt,
    InboundMessage,
    OutboundMessage,
)
from kefu.inbox.delivery import delivery_receipt
from kefu.inbox.models import (
    ChannelIdentity,
    ChannelLinkToken,
    GroupChatNotice,
    InboundEvent,
    InboundState,
    PhoneCall,
)
from kefu.realtime.publish import batched as publish_batched

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_DELAYS = (30, 120, 600, 1800)  # after attempt 1, 2, 3, 4


def attempt_lease() -> timedelta:
    """How long a claimed attempt may run before it is presumed lost (default two minutes)."""
    return timedelta(seconds=float(settings.KEFU_CHANNEL_ATTEMPT_LEASE_SECONDS))


ERROR_MAX = 300
MAX_HEADER_VALUE = 200
# Headers worth keeping for debugging; anything else (cookies, auth, secrets) is dropped.
KEPT_HEADERS = frozenset(
    {"content-type", "content-length", "user-agent", "x-forwarded-for", "x-kefu-source"}
)
LINK_TOKEN_MINUTES = 15
LINK_SALT = "kefu.inbox.channel-link"


def retry_delay(attempt: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])


def safe_headers(headers: Mapping[str, str], adapter: ChannelAdapter) -> dict[str, str]:
    """The request headers worth storing: a short allow-list, never the adapter's secrets."""
    secret = adapter.secret_headers()
    return {
        name: value[:MAX_HEADER_VALUE]
        for name, value in ((k.lower(), v) for k, v in headers.items())
        if name in KEPT_HEADERS and name not in secret
    }


# --- store --------------------------------------------------------------------------------


def inbound_store(
    *,
    adapter: ChannelAdapter,
    event_id: str,
    payload: bytes,
    content_type: str,
    headers: Mapping[str, str],
    account: str | None = None,
) -> tuple[InboundEvent, bool]:
    """Store a verified provider request before processing it; (event, created).

    Idempotent on (channel, account, event_id): a redelivery returns the stored event and
    queues nothing. ``account`` overrides ``adapter.account()`` for channels with several
    (an email mailbox). The raw store is its own record (no audit row per request); what it
    leads to (messages, failures, replays) is audited.
    """
    now = clock.now()
    account = (adapter.account() if account is None else account)[:64]
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                channel=adapter.kind,
                account=account,
                event_id=event_id[:128],
                payload=payload,
                content_type=content_type[:100],
                headers=safe_headers(headers, adapter),
                received_at=now,
                next_attempt_at=now + attempt_lease(),
            )
            from kefu.inbox.tasks import process_inbound_event

            enqueue_on_commit(process_inbound_event, event_pk=event.pk, attempts=0)
    except IntegrityError:
        existing = InboundEvent.objects.get(
            channel=adapter.kind, account=account, event_id=event_id[:128]
        )
        return existing, False
    return event, True


# --- process ------------------------------------------------------------------------------


def _claim(event_pk: int, attempts: int) -> InboundEvent | None:
    claimed = InboundEvent.objects.filter(
        pk=event_pk, attempts=attempts, state=InboundState.RECEIVED
    ).update(attempts=F("attempts") + 1, next_attempt_at=clock.now() + attempt_lease())
    if not claimed:
        return None
    return InboundEvent.objects.annotate(policy_token=policy_cache.token_subquery()).get(
        pk=event_pk
    )


def _finish(event: InboundEvent, **fields: object) -> None:
    InboundEvent.objects.filter(pk=event.pk).update(**fields)


def _fail(event: InboundEvent, error: str) -> None:
    with transaction.atomic():
        _finish(
            event,
            state=InboundState.FAILED,
            last_error=error[:ERROR_MAX],
            next_attempt_at=None,
            processed_at=clock.now(),
        )
        audit_record(
            actor=Actor.system("channels"),
            action="inbound_event.failed",
            object_type="inbound_event",
            object_id=event.pk,
            data={"channel": event.channel, "attempts": event.attempts, "error": error[:200]},
        )


def inbound_process(*, event_pk: int, attempts: int) -> str:
    """Make one attempt at an event stored after ``attempts`` attempts; return the outcome.

    A stale or duplicated job does nothing ("skipped"). Messages already stored by an
    earlier, partly failed attempt are not stored twice (``message_receive`` is idempotent).
    """
    event = _claim(event_pk, attempts)
    if event is None:
        return "skipped"
    # The policy rows the event reads (SLA, routing, automation, webhooks) come from the
    # per-process cache, checked against the version token its claim query read (ADR 0028).
    with policy_cache.pinned(getattr(event, "policy_token", None)):
        return _process(event)


def _process(event: InboundEvent) -> str:
    adapter = get_adapter(event.channel)
    try:
        if adapter is None:
            raise PermanentError(f"no adapter for channel {event.channel!r}")
        messages = adapter.parse(bytes(event.payload), event.content_type)
        stored: list[int] = []
        conversation_id: int | None = None
        reasons: list[str] = []
        notes: list[str] = []
        calls = 0
        # One hand-over of the realtime pushes and one webhook look-up for the whole event.
        with publish_batched():
            for item in messages:
                if isinstance(item, DeliveryReceipt):  # the provider's word on one of our replies
                    updated = delivery_receipt(channel=adapter.kind, receipt=item)
                    if updated is None:  # kept a day in case the send is being recorded
                        reasons.append("receipt for a message not (yet) recorded")
                    else:
                        stored.append(updated.message_id)
                        conversation_id = updated.message.conversation_id
                    continue
                notes.extend(item.warnings)
                if item.call is not None and not item.ignorable:  # a phone call, not a message
                    from kefu.inbox.calls import phone_call_receive

                    call = phone_call_receive(call=item.call, actor=Actor.system("phone"))
                    conversation_id = call.conversation_id or conversation_id
                    calls += 1
                    continue
                message = _receive_one(adapter, item, notes)
                if message is None:
                    reasons.append(item.reason or "ignored")
                    continue
                stored.append(message.pk)
                conversation_id = message.conversation_id
    except PermanentError as exc:
        _fail(event, str(exc))
        return "failed"
    except Exception as exc:  # retryable, a service's refusal, or a bug: retried with a bound
        error = str(exc) if isinstance(exc, RetryableError | KefuError) else repr(exc)
        if not isinstance(exc, RetryableError | KefuError):
            log.exception("inbound event %s: processing failed", event.pk)
        if event.attempts >= MAX_ATTEMPTS:
            _fail(event, error)
            return "failed"
        _finish(
            event,
            last_error=error[:ERROR_MAX],
            next_attempt_at=clock.now() + retry_delay(event.attempts),
        )
        return "retry"
    if stored or calls:
        _finish(
            event,
            state=InboundState.PROCESSED,
            conversation_id=conversation_id,
            message_id=stored[-1] if stored else None,
            processed_at=clock.now(),
            next_attempt_at=None,
            last_error="; ".join(notes)[:ERROR_MAX],  # warnings (malformed mail), if any
        )
        return "processed"
    _finish(
        event,
        state=InboundState.IGNORED,
        ignored_reason="; ".join(reasons)[:120],
        processed_at=clock.now(),
        next_attempt_at=None,
        last_error="; ".join(notes)[:ERROR_MAX],
    )
    return "ignored"


def _language(value: str) -> str:
    return "zh-hans" if value.lower().startswith("zh") else "en"


def _customer_actor(identity: ChannelIdentity) -> Actor:
    return Actor(
        kind=ActorKind.CUSTOMER,
        contact_id=identity.contact_id,
        label=f"{identity.channel} user {identity.external_id}"[:120],
    )


def _reply_directly(adapter: ChannelAdapter, thread_key: str, text: str) -> None:
    """A short bot answer that is not part of a conversation (best effort, never retried)."""
    try:
        adapter.send(OutboundMessage(thread_key=thread_key, text=text))
    except (RetryableError, PermanentError) as exc:
        log.info("%s: could not send a notice: %s", adapter.kind, exc)


def _receive_one(
    adapter: ChannelAdapter, item: InboundMessage, notes: list[str] | None = None
) -> Message | None:
    if item.ignorable:
        if item.bounce_of:
            from kefu.inbox.delivery import delivery_bounced

            delivery_bounced(
                channel=adapter.kind, provider_message_id=item.bounce_of, reason=item.reason
            )
        if item.notify_ignored and item.thread_key:
            _group_notice(adapter, item)
        return None
    identity = channel_identity_for(adapter=adapter, item=item)
    language = _language(item.sender.language) if item.sender.language else None
    if item.command == "start":
        with translation.override(language or identity.contact.language or "en"):
            if item.command_arg:
                try:
                    channel_identity_link(identity=identity, token=item.command_arg)
                except NotFound:
                    text = _(
                        "This link has expired or was already used. Open your account "
                        "page on our website and choose “Connect Telegram” again."
                    )
                else:
                    text = _(
                        "Your Telegram account is now connected to your exchange account. "
                        "Write your question here and our support team will answer."
                    )
            else:
                text = _("Hello! Write your question here and our support team will answer.")
        _reply_directly(adapter, item.thread_key, text)
        return None
    if item.command == "callback":
        _button_pressed(adapter, identity, item, language)
        return None
    files, refused = _files(item)
    body = "\n\n".join(part for part in (item.text.strip(), *refused) if part)
    if not body:
        body = _("(sent a file)")
    handler = COMMAND_HANDLERS.get(item.command)
    # A command is handled once, when its message is first stored (a retried event or a
    # redelivered mail finds the message and does not ask again).
    fresh = (
        handler is not None
        and not Message.objects.filter(
            channel=adapter.kind, external_id=item.provider_message_id
        ).exists()
    )
    message = conversation_services.message_receive(
        contact=identity.contact,
        channel=adapter.kind,
        external_id=item.provider_message_id,
        body=body,
        attachments=files,
        language=language,
        actor=_customer_actor(identity),
        subject=item.subject,
        conversation=_thread(identity, item, notes),
        join_latest=not item.new_thread,
    )
    if handler is not None and fresh:
        module, _dot, name = handler.rpartition(".")
        with translation.override(language or identity.contact.language or "en"):
            getattr(import_module(module), name)(message=message, actor=_customer_actor(identity))
    return message


def _thread(
    identity: ChannelIdentity, item: InboundMessage, notes: list[str] | None
) -> Conversation | None:
    """The first conversation the message names that belongs to its sender and is not
    closed. A reference to someone else's conversation is ignored (and noted): a stranger
    who knows a reference number or a Message-ID must not write into another person's case."""
    if not item.conversation_hints:
        return None
    found = {
        c.pk: c
        for c in Conversation.objects.filter(pk__in=item.conversation_hints).exclude(
            status=Status.CLOSED
        )
    }
    for pk in item.conversation_hints:
        conversation = found.get(pk)
        if conversation is not None and conversation.contact_id == identity.contact_id:
            return conversation
    if notes is not None and any(c.contact_id != identity.contact_id for c in found.values()):
        notes.append("thread reference to another contact's conversation ignored")
    return None


# Who handles a button press, by the prefix of its data ("csat:17:4" -> kefu.csat).
BUTTON_HANDLERS = {"csat": "kefu.csat.telegram.button_pressed"}
# Who handles a command carried by a stored message (the email channel's "escalate"):
# called after the message is stored (secrets already screened out) with it and the sender.
COMMAND_HANDLERS = {"escalate": "kefu.routing.email_escalation.escalate_by_email"}


def _button_pressed(
    adapter: ChannelAdapter, identity: ChannelIdentity, item: InboundMessage, language: str | None
) -> None:
    """Hand a button press to its app; it answers with a short text sent back to the chat."""
    prefix = item.command_arg.split(":", 1)[0]
    path = BUTTON_HANDLERS.get(prefix)
    text = ""
    if path is not None:
        module, _dot, name = path.rpartition(".")
        handler = getattr(import_module(module), name)
        with translation.override(language or identity.contact.language or "en"):
            text = handler(
                data=item.command_arg,
                contact=identity.contact,
                actor=_customer_actor(identity),
                adapter=adapter,
                thread_key=item.thread_key,
            )
    answer = getattr(adapter, "answer_callback", None)
    if answer is not None and item.callback_id:
        try:
            answer(item.callback_id)
        except (RetryableError, PermanentError) as exc:
            log.info("%s: could not acknowledge a button: %s", adapter.kind, exc)
    if text:
        _reply_directly(adapter, item.thread_key, text)


def _files(item: InboundMessage) -> tuple[list[UploadedFile], list[str]]:
    """The attachments the core accepts, and a note naming each one it refused (why)."""
    accepted: list[UploadedFile] = []
    notes: list[str] = []
    for attachment in item.attachments:
        upload = UploadedFile(filename=attachment.name, content=attachment.content)
        if attachment.too_large:
            notes.append(
                _("[%(name)s was not accepted: the file is too large.]") % {"name": attachment.name}
            )
            continue
        try:
            upload = validated_upload(upload)  # sniffed once: later checks reuse the type
        except ValidationFailed as exc:
            notes.append(
                _("[%(name)s was not accepted: %(reason)s]")
                % {"name": attachment.name, "reason": exc.message}
            )
            continue
        accepted.append(upload)
    return accepted, notes


def _group_notice(adapter: ChannelAdapter, item: InboundMessage) -> None:
    try:
        with transaction.atomic():
            GroupChatNotice.objects.create(
                channel=adapter.kind,
                account=adapter.account(),
                chat_id=item.thread_key,
                created_at=clock.now(),
            )
    except IntegrityError:
        return  # told once already
    with translation.override(_language(item.sender.language)):
        text = _(
            "Hello! For your privacy I only answer in private messages. Please message me directly."
        )
    _reply_directly(adapter, item.thread_key, text)


# --- identities and linking ---------------------------------------------------------------


def channel_identity_for(*, adapter: ChannelAdapter, item: InboundMessage) -> ChannelIdentity:
    """The sender's identity on the channel; a new sender gets a contact of their own."""
    account = adapter.account()
    identity = (
        ChannelIdentity.objects.select_related("contact")
        .filter(channel=adapter.kind, account=account, external_id=item.sender.id)
        .first()
    )
    if identity is not None:
        if identity.thread_key != item.thread_key or (
            item.sender.display_name and identity.display_name != item.sender.display_name
        ):
            ChannelIdentity.objects.filter(pk=identity.pk).update(
                thread_key=item.thread_key, display_name=item.sender.display_name
            )
            identity.thread_key = item.thread_key
        return identity
    try:
        with transaction.atomic():
            contact = _contact_for_new_identity(item)
            identity = ChannelIdentity.objects.create(
                channel=adapter.kind,
                account=account,
                external_id=item.sender.id,
                contact=contact,
                display_name=item.sender.display_name,
                thread_key=item.thread_key,
                created_at=clock.now(),
            )
            audit_record(
                actor=_customer_actor(identity),
                action="channel_identity.created",
                object_type="channel_identity",
                object_id=identity.pk,
                data={"channel": adapter.kind, "contact": contact.pk},
            )
    except IntegrityError:  # the same sender raced in through another worker
        return ChannelIdentity.objects.select_related("contact").get(
            channel=adapter.kind, account=account, external_id=item.sender.id
        )
    return identity


def _contact_for_new_identity(item: InboundMessage) -> Contact:
    """A channel that knows the sender's email address (email) finds the contact with that
    address; otherwise the new sender gets a contact of their own."""
    language = _language(item.sender.language) if item.sender.language else "en"
    if item.sender.email:
        contact = Contact.objects.filter(email__iexact=item.sender.email).first()
        if contact is not None:
            return contact
        return Contact.objects.create(
            name=item.sender.display_name[:120], language=language, email=item.sender.email
        )
    return Contact.objects.create(name=item.sender.display_name[:120], language=language)


def link_token_create(*, channel: str, contact: Contact, actor: Actor) -> str:
    """A one-use token (valid ``LINK_TOKEN_MINUTES``) that links a channel account to
    ``contact``. At most 64 characters of ``[A-Za-z0-9_-]``, as Telegram's /start wants."""
    if actor.kind != ActorKind.CUSTOMER or actor.contact_id != contact.pk:
        raise PermissionDenied(_("You do not have permission to do that."))
    now = clock.now()
    nonce = secrets.token_hex(8)
    with transaction.atomic():
        ChannelLinkToken.objects.create(
            channel=channel,
            nonce=nonce,
            contact=contact,
            created_at=now,
            expires_at=now + timedelta(minutes=LINK_TOKEN_MINUTES),
        )
        audit_record(
            actor=actor,
            action="channel_link.requested",
            object_type="contact",
            object_id=contact.pk,
            data={"channel": channel},
        )
    return f"{nonce}-{signing.Signer(salt=LINK_SALT).signature(nonce)}"


def channel_identity_link(*, identity: ChannelIdentity, token: str) -> ChannelIdentity:
    """Link a channel identity to the contact a portal link token names (audited).

    The token must carry a valid signature, be unused and unexpired; it is used up here.
    Raises NotFound otherwise (the same answer for every kind of bad token).
    """
    nonce, _sep, signature = token.partition("-")
    expected = signing.Signer(salt=LINK_SALT).signature(nonce) if nonce else ""
    if not nonce or not constant_time_compare(signature, expected):
        raise NotFound()
    now = clock.now()
    with transaction.atomic():
        link = (
            ChannelLinkToken.objects.select_for_update()
            .filter(nonce=nonce, channel=identity.channel, used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if link is None:
            raise NotFound()
        link.used_at = now
        link.save(update_fields=["used_at"])
        previous = identity.contact_id
        ChannelIdentity.objects.filter(pk=identity.pk).update(
            contact_id=link.contact_id, linked=True, linked_at=now
        )
        identity.contact_id, identity.linked, identity.linked_at = link.contact_id, True, now
        identity.contact = Contact.objects.get(pk=link.contact_id)
        audit_record(
            actor=Actor(kind=ActorKind.CUSTOMER, contact_id=link.contact_id, label="channel link"),
            action="channel_identity.linked",
            object_type="channel_identity",
            object_id=identity.pk,
            data={"channel": identity.channel, "contact": link.contact_id, "previous": previous},
        )
    return identity


# --- replay -------------------------------------------------------------------------------


def _may_replay(actor: Actor) -> bool:
    if actor.kind == ActorKind.SYSTEM:  # the command line
        return True
    user = User.objects.filter(pk=actor.user_id, is_active=True).first() if actor.user_id else None
    return user is not None and permissions.can_manage_api_keys(user)


def inbound_replay(*, event: InboundEvent, actor: Actor) -> InboundEvent:
    """Send a failed event through the pipeline again (admins, or the command line).

    Resets its attempts; the messages it had already stored are not stored twice.
    """
    if not _may_replay(actor):
        raise PermissionDenied(_("You do not have permission to do that."))
    with transaction.atomic():
        locked = InboundEvent.objects.select_for_update().get(pk=event.pk)
        if locked.state != InboundState.FAILED:
            raise InvalidTransition(_("Only failed events can be replayed."))
        locked.state = InboundState.RECEIVED
        locked.attempts = 0
        locked.next_attempt_at = clock.now() + attempt_lease()
        locked.processed_at = None
        locked.save(update_fields=["state", "attempts", "next_attempt_at", "processed_at"])
        audit_record(
            actor=actor,
            action="inbound_event.replayed",
            object_type="inbound_event",
            object_id=locked.pk,
            data={"channel": locked.channel, "last_error": locked.last_error[:200]},
        )
        from kefu.inbox.tasks import process_inbound_event

        enqueue_on_commit(process_inbound_event, event_pk=locked.pk, attempts=0)
    return locked


def events_due(limit: int = 100) -> list[tuple[int, int]]:
    """(pk, attempts) of received events whose next attempt is due."""
    return list(
        InboundEvent.objects.filter(state=InboundState.RECEIVED, next_attempt_at__lte=clock.now())
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    )


# --- privacy ------------------------------------------------------------------------------

KEEP_FINISHED_DAYS = 30


def channel_data_erase_for_contact(
    *, contact: Contact, conversation_ids: list[int], actor: Actor
) -> int:
    """Forget a customer on every channel (part of ``customer_erase``, inside its transaction).

    Their channel identities go (a later message starts a new, unlinked contact) and the raw
    payloads of the events that made their erased conversations are emptied. Returns the
    number of identities removed.
    """
    removed, _detail = ChannelIdentity.objects.filter(contact=contact).delete()
    InboundEvent.objects.filter(conversation_id__in=conversation_ids).update(
        payload=b"", headers={}
    )
    ChannelLinkToken.objects.filter(contact=contact).delete()
    # Their calls stay as "a call happened" (the timeline shows them) without numbers, notes or
    # recording links.
    PhoneCall.objects.filter(contact=contact).update(
        from_number="", to_number="", customer_number="", recording_url="", notes="", agent_ref=""
    )
    if removed:
        audit_record(
            actor=actor,
            action="channel_identity.erased",
            object_type="contact",
            object_id=contact.pk,
            data={"identities": removed},
        )
    return removed


def inbound_prune() -> int:
    """Delete processed and ignored events older than ``KEEP_FINISHED_DAYS`` (their messages
    live on in conversations); failed ones stay until replayed. Periodic."""
    cutoff = clock.now() - timedelta(days=KEEP_FINISHED_DAYS)
    deleted, _detail = InboundEvent.objects.filter(
        state__in=[InboundState.PROCESSED, InboundState.IGNORED], received_at__lt=cutoff
    ).delete()
    return deleted
