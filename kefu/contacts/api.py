"""REST endpoints for customers (contacts): thin — parse, select or call a service, serialise."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from kefu.accounts.api_auth import api_actor, create_once, scoped
from kefu.accounts.models import Language
from kefu.audit.services import audit_record
from kefu.contacts.models import Contact, VipTier
from kefu.contacts.selectors import contact_get_for_api, contact_list_for_api
from kefu.contacts.services import contact_create, contact_update
from kefu.core.api_support import ERROR_RESPONSES, IdempotencyKey, InputSchema, PageQuery
from kefu.core.pagination import paginate

router = Router(tags=["customers"])


# --- schemas --------------------------------------------------------------------------------


class CustomerOut(Schema):
    id: int
    email: str | None
    uid: str | None = Field(description="The customer's account id at the exchange.")
    name: str
    phone: str
    language: str
    vip_tier: int
    created_at: datetime
    updated_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class CustomerCreate(InputSchema):
    email: str | None = Field(None, max_length=254)
    uid: str | None = Field(None, max_length=64, description="Exchange account id.")
    name: str = Field("", max_length=120)
    phone: str = Field("", max_length=32)
    language: Language = Language.EN
    vip_tier: VipTier = VipTier.STANDARD


class CustomerUpdate(InputSchema):
    """Only the fields sent are changed. Email and account id cannot be changed."""

    name: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=32)
    language: Language | None = None
    vip_tier: VipTier | None = None


class CustomerQuery(PageQuery):
    email: str | None = Field(None, max_length=254, description="Exact email.")
    uid: str | None = Field(None, max_length=64, description="Exact exchange account id.")


def customer_out(contact: Contact) -> CustomerOut:
    return CustomerOut(
        id=contact.pk,
        email=contact.email,
        uid=contact.uid,
        name=contact.name,
        phone=contact.phone,
        language=contact.language,
        vip_tier=contact.vip_tier,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


# --- endpoints ------------------------------------------------------------------------------


@router.get("", response={200: CustomerPage, **ERROR_RESPONSES}, auth=scoped("customers:read"))
def list_customers(request: HttpRequest, query: Query[CustomerQuery]) -> CustomerPage:
    """List customers, newest first, optionally by exact `email` or `uid`.

    Scope: `customers:read`.
    """
    qs = contact_list_for_api(email=query.email or "", uid=query.uid or "")
    page = paginate(qs, ordering=["-id"], cursor=query.cursor, limit=query.limit)
    return CustomerPage(items=[customer_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.post("", response={201: CustomerOut, **ERROR_RESPONSES}, auth=scoped("customers:write"))
def create_customer(
    request: HttpRequest, payload: CustomerCreate, idempotency_key: IdempotencyKey = None
) -> HttpResponse:
    """Create a customer with an email and/or an exchange account id (`uid`), both unique.

    Scope: `customers:write`. Honours `Idempotency-Key`.
    """
    actor = api_actor(request)

    def perform() -> CustomerOut:
        contact = contact_create(
            email=payload.email,
            uid=payload.uid,
            name=payload.name,
            phone=payload.phone,
            language=payload.language,
            vip_tier=payload.vip_tier,
            actor=actor,
        )
        return customer_out(contact)

    return create_once(request, idempotency_key=idempotency_key, payload=payload, perform=perform)


@router.get(
    "/{customer_id}",
    response={200: CustomerOut, **ERROR_RESPONSES},
    auth=scoped("customers:read"),
)
def get_customer(request: HttpRequest, customer_id: int) -> CustomerOut:
    """One customer. The read is audited (`contact.viewed`).

    Scope: `customers:read`.
    """
    contact = contact_get_for_api(pk=customer_id)
    with transaction.atomic():
        audit_record(
            actor=api_actor(request),
            action="contact.viewed",
            object_type="contact",
            object_id=contact.pk,
        )
    return customer_out(contact)


@router.patch(
    "/{customer_id}",
    response={200: CustomerOut, **ERROR_RESPONSES},
    auth=scoped("customers:write"),
)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerUpdate) -> CustomerOut:
    """Change a customer's name, phone, language or VIP tier.

    Scope: `customers:write`.
    """
    contact = contact_get_for_api(pk=customer_id)
    contact = contact_update(
        contact=contact,
        name=payload.name,
        phone=payload.phone,
        language=payload.language,
        vip_tier=payload.vip_tier,
        actor=api_actor(request),
    )
    return customer_out(contact)
