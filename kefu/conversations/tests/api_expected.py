"""What the REST API must answer for a conversation or message, built from the database."""

from __future__ import annotations

from kefu.accounts.tests.apikit import iso
from kefu.conversations.api import PRIORITY_NAMES
from kefu.conversations.models import Conversation, Message


def conversation_body(conversation: Conversation) -> dict:
    """What the API must answer for ``conversation``, built from the database."""
    c = Conversation.objects.select_related("contact", "assignee", "team").get(pk=conversation.pk)
    return {
        "id": c.pk,
        "reference": f"KF-{c.pk:06d}",
        "subject": c.subject,
        "status": c.status,
        "priority": PRIORITY_NAMES[c.priority],
        "tier": c.tier,
        "category": c.category,
        "channel": c.channel,
        "language": c.language,
        "contact": {
            "id": c.contact.pk,
            "name": c.contact.name,
            "email": c.contact.email,
            "uid": c.contact.uid,
            "language": c.contact.language,
            "vip_tier": c.contact.vip_tier,
        },
        "assignee": {"id": c.assignee.pk, "name": str(c.assignee)} if c.assignee else None,
        "team": {"id": c.team.pk, "name": c.team.name} if c.team else None,
        "tags": sorted(t.name for t in c.tags.all()),
        "tx_id": c.tx_id,
        "asset": c.asset,
        "network": c.network,
        "message_count": c.message_count,
        "created_at": iso(c.created_at),
        "last_activity_at": iso(c.last_activity_at),
        "closed_at": iso(c.closed_at) if c.closed_at else None,
        "sla_due_at": iso(c.sla_due_at) if c.sla_due_at else None,
    }


def message_body(message: Message) -> dict:
    m = Message.objects.select_related("author_user").get(pk=message.pk)
    return {
        "id": m.pk,
        "conversation_id": m.conversation_id,
        "kind": m.kind,
        "author_kind": m.author_kind,
        "author": {"id": m.author_user.pk, "name": str(m.author_user)} if m.author_user else None,
        "body": m.body,
        "body_html": m.body_html,
        "channel": m.channel,
        "external_id": m.external_id,
        "created_at": iso(m.created_at),
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in m.attachments.order_by("pk")
        ],
    }
