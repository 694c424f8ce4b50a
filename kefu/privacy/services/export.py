"""The customer's copy of their data (GDPR-style access and portability).

One JSON document: the profile, every conversation with its public replies (internal notes
are staff working papers about the customer and are never included) and a list of the
attachments (names, sizes and checksums; the files themselves are downloaded from each
request's page). Every export is audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from kefu.audit.services import audit_record
from kefu.contacts.models import Contact
from kefu.conversations.models import Conversation, Message, MessageKind
from kefu.core import clock
from kefu.core.actor import Actor, ActorKind
from kefu.core.errors import PermissionDenied
from kefu.privacy.services.common import require_admin_or_system

FORMAT = "kefu.customer-export.v1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _document(contact: Contact, now: datetime) -> dict[str, Any]:
    replies = Message.objects.filter(kind=MessageKind.REPLY).prefetch_related("attachments")
    conversations = (
        Conversation.objects.filter(contact=contact)
        .prefetch_related(Prefetch("messages", queryset=replies, to_attr="public_messages"))
        .order_by("created_at", "pk")
    )
    user = contact.user
    out: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for conversation in conversations:
        messages = []
        for message in conversation.public_messages:
            attachments = [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                }
                for a in message.attachments.all()
            ]
            files.extend({"conversation": conversation.reference, **a} for a in attachments)
            messages.append(
                {
                    "author": message.author_kind,
                    "channel": message.channel,
                    "created_at": _iso(message.created_at),
                    "body": message.body,
                    "attachments": attachments,
                }
            )
        out.append(
            {
                "reference": conversation.reference,
                "subject": conversation.subject,
                "status": conversation.status,
                "category": conversation.category,
                "channel": conversation.channel,
                "transaction_id": conversation.tx_id,
                "asset": conversation.asset,
                "network": conversation.network,
                "created_at": _iso(conversation.created_at),
                "closed_at": _iso(conversation.closed_at),
                "messages": messages,
            }
        )
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "profile": {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "exchange_account_id": contact.uid,
            "language": contact.language,
            "created_at": _iso(contact.created_at),
            "portal_login": (
                {"email": user.email, "language": user.language, "timezone": user.timezone}
                if user is not None
                else None
            ),
        },
        "conversations": out,
        "attachments": files,
    }


def customer_export(*, contact: Contact, actor: Actor) -> bytes:
    """Build the customer's data export as UTF-8 JSON (the customer themself, an
    administrator or the system, e.g. the CLI; audited with counts, never the content)."""
    if actor.kind == ActorKind.CUSTOMER:
        if actor.contact_id != contact.pk:
            raise PermissionDenied(_("You do not have permission to do that."))
    else:
        require_admin_or_system(actor)
    now = clock.now()
    with transaction.atomic():
        document = _document(contact, now)
        audit_record(
            actor=actor,
            action="contact.data_exported",
            object_type="contact",
            object_id=contact.pk,
            data={
                "conversations": len(document["conversations"]),
                "messages": sum(len(c["messages"]) for c in document["conversations"]),
                "attachments": len(document["attachments"]),
            },
        )
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
