"""REST endpoints for conversations, their messages and internal notes.

Thin: parse (pydantic schemas, unknown fields rejected) -> selector -> service -> serialise.
Every write goes through the conversation services, which audit it as ``api:<key id>``.
A conversation in a URL is its id or its reference (``123`` or ``KF-000123``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Literal

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import BaseModel, Field, StringConstraints

from kefu.accounts.api_auth import api_actor, create_once, scoped
from kefu.accounts.models import Language, Team, User, UserKind
from kefu.contacts.selectors import contact_get_for_api
from kefu.conversations import services
from kefu.conversations.models import (
    AuthorKind,
    Category,
    Channel,
    Conversation,
    Message,
    MessageKind,
    Priority,
    Status,
    Tier,
    parse_reference,
)
from kefu.conversations.selectors import (
    InboxFilters,
    conversation_get_for_api,
    conversation_list_for_api,
    messages_for_api,
)
from kefu.core.actor import Actor
from kefu.core.api_support import ERROR_RESPONSES, Id, IdempotencyKey, InputSchema, PageQuery
from kefu.core.errors import Conflict, NotFound, ValidationFailed

router = Router(tags=["conversations"])

PriorityName = Literal["low", "normal", "high", "urgent"]
PRIORITY_VALUES: dict[PriorityName, int] = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "urgent": Priority.URGENT,
}
PRIORITY_NAMES: dict[int, PriorityName] = {v: k for k, v in PRIORITY_VALUES.items()}
TagName = Annotated[str, StringConstraints(min_length=1, max_length=50)]
MAX_BODY = services.MAX_BODY_CHARS


# --- output schemas -------------------------------------------------------------------------


class ContactSummary(Schema):
    id: int
    name: str
    email: str | None
    uid: str | None
    language: str
    vip_tier: int


class StaffSummary(Schema):
    id: int
    name: str


class TeamSummary(Schema):
    id: int
    name: str


class ConversationOut(Schema):
    id: int
    reference: str = Field(description="The reference customers see, e.g. KF-000123.")
    subject: str
    status: Status
    priority: PriorityName
    tier: Tier
    category: Category
    channel: Channel
    language: str
    contact: ContactSummary
    assignee: StaffSummary | None
    team: TeamSummary | None
    tags: list[str]
    tx_id: str
    asset: str
    network: str
    message_count: int
    created_at: datetime
    last_activity_at: datetime
    closed_at: datetime | None
    sla_due_at: datetime | None = Field(
        description="The most urgent running SLA deadline (null: none running or paused)."
    )


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageOut(Schema):
    id: int
    conversation_id: int
    kind: MessageKind = Field(description="`reply` (public) or `note` (internal, staff only).")
    author_kind: AuthorKind
    author: StaffSummary | None = Field(description="The signed-in author, if any.")
    body: str
    body_html: str = Field(description="The body rendered from Markdown and sanitised.")
    channel: Channel
    external_id: str | None
    created_at: datetime
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


def _staff(user: User | None) -> StaffSummary | None:
    return StaffSummary(id=user.pk, name=str(user)) if user is not None else None


def conversation_out(conversation: Conversation) -> ConversationOut:
    """Serialise a conversation loaded with contact, assignee, team and tags."""
    contact = conversation.contact
    team = conversation.team
    return ConversationOut(
        id=conversation.pk,
        reference=conversation.reference,
        subject=conversation.subject,
        status=Status(conversation.status),
        priority=PRIORITY_NAMES[conversation.priority],
        tier=Tier(conversation.tier),
        category=Category(conversation.category),
        channel=Channel(conversation.channel),
        language=conversation.language,
        contact=ContactSummary(
            id=contact.pk,
            name=contact.name,
            email=contact.email,
            uid=contact.uid,
            language=contact.language,
            vip_tier=contact.vip_tier,
        ),
        assignee=_staff(conversation.assignee),
        team=TeamSummary(id=team.pk, name=team.name) if team is not None else None,
        tags=sorted(t.name for t in conversation.tags.all()),
        tx_id=conversation.tx_id,
        asset=conversation.asset,
        network=conversation.network,
        message_count=conversation.message_count,
        created_at=conversation.created_at,
        last_activity_at=conversation.last_activity_at,
        closed_at=conversation.closed_at,
        sla_due_at=conversation.sla_due_at,
    )


def message_out(message: Message) -> MessageOut:
    """Serialise a message loaded with its author and attachments."""
    return MessageOut(
        id=message.pk,
        conversation_id=message.conversation_id,
        kind=MessageKind(message.kind),
        author_kind=AuthorKind(message.author_kind),
        author=_staff(message.author_user),
        body=message.body,
        body_html=message.body_html,
        channel=Channel(message.channel),
        external_id=message.external_id,
        created_at=message.created_at,
        attachments=[
            AttachmentOut(
                id=a.pk,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
            )
            for a in message.attachments.all()
        ],
    )


# --- input schemas --------------------------------------------------------------------------


class ConversationQuery(PageQuery):
    status: list[Status] = Field(default_factory=list, description="Repeat to match any.")
    priority: list[PriorityName] = Field(default_factory=list)
    channel: list[Channel] = Field(default_factory=list)
    tier: list[Tier] = Field(default_factory=list)
    language: list[Language] = Field(default_factory=list)
    tag: str = Field("", max_length=50, description="Tag name (case-insensitive).")
    team: Id | None = Field(None, description="Team id.")
    contact: Id | None = Field(None, description="Customer id.")
    q: str = Field("", max_length=200, description="Search text, or a reference (KF-000123).")
    sort: Literal["activity", "priority", "age", "sla"] = Field(
        "activity",
        description="`sla`: the most urgent SLA deadline first (`sla_due_at`), conversations "
        "without a running deadline last.",
    )


class ConversationCreate(InputSchema):
    customer_id: Id
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown.")
    category: Category = Category.OTHER
    channel: Channel = Channel.API
    priority: PriorityName = "normal"
    language: Language | None = Field(None, description="Defaults to the customer's.")
    tx_id: str = Field("", max_length=128, description="Transaction hash or id.")
    asset: str = Field("", max_length=16, description="Ticker, e.g. USDT.")
    network: str = Field("", max_length=32, description="e.g. TRC20.")
    team_id: Id | None = None


class MessageCreate(InputSchema):
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown.")
    author: Literal["agent", "customer"] = Field(
        "agent", description="Who wrote it: a reply to the customer, or the customer's message."
    )
    external_id: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        description="Your id for the message; a repeat is rejected with 409.",
    )
    status: Status | None = Field(None, description="Also move the conversation to this status.")


class NoteCreate(InputSchema):
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown.")


class AssignmentIn(InputSchema):
    assignee_id: Id | None = Field(description="A staff user's id, or null to unassign.")


class StatusIn(InputSchema):
    status: Status


class PriorityIn(InputSchema):
    priority: PriorityName


class TagsIn(InputSchema):
    tags: list[TagName] = Field(max_length=50, description="Names of existing tags.")


class EscalationIn(InputSchema):
    reason: str = Field(min_length=3, max_length=2000)


# --- helpers --------------------------------------------------------------------------------


def _conversation(ref: str) -> Conversation:
    pk = parse_reference(ref)
    if pk is None:
        raise NotFound()
    return conversation_get_for_api(pk=pk)


def _refreshed(conversation: Conversation) -> ConversationOut:
    return conversation_out(conversation_get_for_api(pk=conversation.pk))


def _changed(
    request: HttpRequest,
    conversation_id: str,
    change: Callable[[Conversation, Actor], Conversation],
) -> ConversationOut:
    """Apply one service change, as the calling key, to the conversation in the URL; answer the
    conversation as it now is."""
    conversation = _conversation(conversation_id)
    return _refreshed(change(conversation, api_actor(request)))


def _create_on(
    request: HttpRequest,
    conversation_id: str,
    idempotency_key: str | None,
    payload: BaseModel,
    perform: Callable[[Conversation, Actor], BaseModel],
) -> HttpResponse:
    """Run ``perform`` once per ``Idempotency-Key`` on the conversation in the URL, as the calling
    key (see ``create_once``)."""
    conversation = _conversation(conversation_id)
    actor = api_actor(request)
    return create_once(
        request,
        idempotency_key=idempotency_key,
        payload=payload,
        perform=lambda: perform(conversation, actor),
    )


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _renamed(exc: ValidationFailed, names: Mapping[str, str]) -> ValidationFailed:
    """The service's error with field names as this API spells them."""
    fields = {names.get(k, k): v for k, v in exc.fields.items()}
    return ValidationFailed(exc.message, fields=fields)


# --- conversations --------------------------------------------------------------------------

READ = "conversations:read"
WRITE = "conversations:write"


@router.get("", response={200: ConversationPage, **ERROR_RESPONSES}, auth=scoped(READ))
def list_conversations(request: HttpRequest, query: Query[ConversationQuery]) -> ConversationPage:
    """List conversations, filtered and sorted like the agent inbox, one page at a time.

    Scope: `conversations:read`.
    """
    filters = InboxFilters(
        view="all",
        status=[str(s) for s in query.status],
        priority=[PRIORITY_VALUES[p] for p in query.priority],
        channel=[str(c) for c in query.channel],
        tier=[int(t) for t in query.tier],
        language=[str(lang) for lang in query.language],
        tag=query.tag.strip(),
        team=query.team,
        contact=query.contact,
        q=query.q.strip(),
        sort=query.sort,
    )
    page = conversation_list_for_api(filters=filters, cursor=query.cursor, limit=query.limit)
    return ConversationPage(
        items=[conversation_out(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.post("", response={201: ConversationOut, **ERROR_RESPONSES}, auth=scoped(WRITE))
def create_conversation(
    request: HttpRequest, payload: ConversationCreate, idempotency_key: IdempotencyKey = None
) -> HttpResponse:
    """Open a conversation for a customer with its first message (written by the customer).

    Scope: `conversations:write`. Honours `Idempotency-Key`.
    """
    actor = api_actor(request)
    try:
        contact = contact_get_for_api(pk=payload.customer_id)
    except NotFound:
        raise _field_error("customer_id", _("Unknown customer.")) from None
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            raise _field_error("team_id", _("Unknown team."))

    def perform() -> ConversationOut:
        conversation = services.conversation_create(
            contact=contact,
            subject=payload.subject,
            body=payload.body,
            category=payload.category,
            channel=payload.channel,
            language=payload.language,
            priority=PRIORITY_VALUES[payload.priority],
            tx_id=payload.tx_id,
            asset=payload.asset,
            network=payload.network,
            team=team,
            actor=actor,
        )
        return _refreshed(conversation)

    return create_once(request, idempotency_key=idempotency_key, payload=payload, perform=perform)


@router.get(
    "/{conversation_id}", response={200: ConversationOut, **ERROR_RESPONSES}, auth=scoped(READ)
)
def get_conversation(request: HttpRequest, conversation_id: str) -> ConversationOut:
    """One conversation by id or reference. The read is audited (`conversation.viewed`).

    Scope: `conversations:read`.
    """
    conversation = _conversation(conversation_id)
    services.conversation_record_view(conversation=conversation, actor=api_actor(request))
    return conversation_out(conversation)


# --- messages and notes ---------------------------------------------------------------------


@router.get(
    "/{conversation_id}/messages",
    response={200: MessagePage, **ERROR_RESPONSES},
    auth=scoped(READ),
)
def list_messages(
    request: HttpRequest, conversation_id: str, query: Query[PageQuery]
) -> MessagePage:
    """Public replies and internal notes (`kind`), oldest first, one page at a time.

    Scope: `conversations:read`.
    """
    conversation = _conversation(conversation_id)
    page = messages_for_api(conversation, cursor=query.cursor, limit=query.limit)
    return MessagePage(items=[message_out(m) for m in page.items], next_cursor=page.next_cursor)


@router.post(
    "/{conversation_id}/messages",
    response={201: MessageOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def create_message(
    request: HttpRequest,
    conversation_id: str,
    payload: MessageCreate,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Add a public reply, from an agent (emailed to the customer) or from the customer.

    Scope: `conversations:write`. Honours `Idempotency-Key`.
    """

    def perform(conversation: Conversation, actor: Actor) -> MessageOut:
        author = AuthorKind.CUSTOMER if payload.author == "customer" else AuthorKind.AGENT
        try:
            message = services.message_reply(
                conversation=conversation,
                body=payload.body,
                author=author,
                external_id=payload.external_id,
                set_status=payload.status,
                actor=actor,
            )
        except IntegrityError as exc:
            # Two deliveries of one external message raced past the service's check.
            if payload.external_id is None:
                raise
            raise Conflict(_("This message was already received.")) from exc
        return message_out(message)

    return _create_on(request, conversation_id, idempotency_key, payload, perform)


@router.post(
    "/{conversation_id}/notes",
    response={201: MessageOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def create_note(
    request: HttpRequest,
    conversation_id: str,
    payload: NoteCreate,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Add an internal note: staff only, never shown or sent to the customer.

    Scope: `conversations:write`. Honours `Idempotency-Key`.
    """

    def perform(conversation: Conversation, actor: Actor) -> MessageOut:
        note = services.note_add(conversation=conversation, body=payload.body, actor=actor)
        return message_out(note)

    return _create_on(request, conversation_id, idempotency_key, payload, perform)


# --- changes --------------------------------------------------------------------------------


@router.put(
    "/{conversation_id}/assignment",
    response={200: ConversationOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def set_assignment(
    request: HttpRequest, conversation_id: str, payload: AssignmentIn
) -> ConversationOut:
    """Assign to an active agent who works on the conversation's tier, or unassign (`null`).

    Scope: `conversations:write`.
    """

    def change(conversation: Conversation, actor: Actor) -> Conversation:
        assignee = None
        if payload.assignee_id is not None:
            assignee = User.objects.filter(pk=payload.assignee_id, kind=UserKind.STAFF).first()
            if assignee is None:
                raise _field_error("assignee_id", _("Unknown staff user."))
        try:
            return services.conversation_assign(
                conversation=conversation, assignee=assignee, actor=actor
            )
        except ValidationFailed as exc:
            raise _renamed(exc, {"assignee": "assignee_id"}) from exc

    return _changed(request, conversation_id, change)


@router.put(
    "/{conversation_id}/status",
    response={200: ConversationOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def set_status(request: HttpRequest, conversation_id: str, payload: StatusIn) -> ConversationOut:
    """Move the conversation to a status; a disallowed transition is a 409.

    Scope: `conversations:write`.
    """
    return _changed(
        request,
        conversation_id,
        lambda conversation, actor: services.conversation_set_status(
            conversation=conversation, status=payload.status, actor=actor
        ),
    )


@router.put(
    "/{conversation_id}/priority",
    response={200: ConversationOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def set_priority(
    request: HttpRequest, conversation_id: str, payload: PriorityIn
) -> ConversationOut:
    """Change the priority (`low`, `normal`, `high`, `urgent`).

    Scope: `conversations:write`.
    """
    return _changed(
        request,
        conversation_id,
        lambda conversation, actor: services.conversation_set_priority(
            conversation=conversation, priority=PRIORITY_VALUES[payload.priority], actor=actor
        ),
    )


@router.put(
    "/{conversation_id}/tags",
    response={200: ConversationOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def set_tags(request: HttpRequest, conversation_id: str, payload: TagsIn) -> ConversationOut:
    """Replace the conversation's tags with these existing tags (an empty list clears them).

    Scope: `conversations:write`.
    """
    return _changed(
        request,
        conversation_id,
        lambda conversation, actor: services.conversation_set_tags(
            conversation=conversation, names=payload.tags, actor=actor
        ),
    )


@router.post(
    "/{conversation_id}/escalations",
    response={201: ConversationOut, **ERROR_RESPONSES},
    auth=scoped(WRITE),
)
def create_escalation(
    request: HttpRequest,
    conversation_id: str,
    payload: EscalationIn,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponse:
    """Escalate one tier (L1 -> L2 -> L3) with a reason; answers the updated conversation.

    Raises priority to at least `high`, and unassigns an agent who does not work on the new
    tier. Already at L3 is a 409. Scope: `conversations:write`. Honours `Idempotency-Key`.
    """

    def perform(conversation: Conversation, actor: Actor) -> ConversationOut:
        escalated = services.conversation_escalate(
            conversation=conversation, reason=payload.reason, actor=actor
        )
        return _refreshed(escalated)

    return _create_on(request, conversation_id, idempotency_key, payload, perform)
