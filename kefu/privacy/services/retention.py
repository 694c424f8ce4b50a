"""The retention policy and the job that enforces it.

For conversations closed longer ago than the policy says, the text of every message is
replaced with a marker (and the conversation's search terms rebuilt from its subject only),
and attachments are deleted with their files. Conversation metadata (reference, times,
status, category, transaction id), the timeline and the audit log are kept. Customers and
conversations under a legal hold are skipped. Each run does bounded work; the next run continues.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kefu.audit.services import audit_record
from kefu.conversations import search
from kefu.conversations.models import Attachment, Conversation, Message, Status
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.validation import field_error
from kefu.integrations.services import deliveries_redact_for_conversations
from kefu.privacy.models import ConversationPurge, RetentionPolicy
from kefu.privacy.services.common import (
    MARKERS,
    RETENTION_MARKER,
    delete_files_on_commit,
    marker_html,
    require_admin,
)

BATCH = 500  # conversations per kind of purge per run
DAYS_MAX = 36_500


def _days(name: str, value: int | None, *, minimum: int) -> int | None:
    if value is None:
        return None
    if not minimum <= value <= DAYS_MAX:
        raise field_error(
            name,
            _("Enter a number of days from %(min)d to %(max)d, or leave it empty to keep.")
            % {"min": minimum, "max": DAYS_MAX},
        )
    return value


def policy_update(
    *,
    message_days: int | None,
    attachment_days: int | None,
    identity_document_days: int | None,
    erasure_keeps_account_id: bool = True,
    erasure_keeps_transaction_ids: bool = True,
    actor: Actor,
) -> RetentionPolicy:
    """Save the retention policy (administrators only). Empty periods mean "keep".

    Locks the single policy row; saving the same values writes nothing.
    """
    user = require_admin(actor)
    message_days = _days("message_days", message_days, minimum=1)
    attachment_days = _days("attachment_days", attachment_days, minimum=1)
    identity_document_days = _days("identity_document_days", identity_document_days, minimum=1)
    with transaction.atomic():
        RetentionPolicy.load()
        policy = RetentionPolicy.objects.select_for_update().get(pk=1)
        new = {
            "message_days": message_days,
            "attachment_days": attachment_days,
            "identity_document_days": identity_document_days,
            "erasure_keeps_account_id": erasure_keeps_account_id,
            "erasure_keeps_transaction_ids": erasure_keeps_transaction_ids,
        }
        old = {name: getattr(policy, name) for name in new}
        if old == new:
            return policy
        for name, value in new.items():
            setattr(policy, name, value)
        policy.updated_by = user
        policy.save()
        audit_record(
            actor=actor,
            action="retention.policy_changed",
            object_type="retention_policy",
            object_id=policy.pk,
            data={"from": old, "to": new},
        )
    return policy


@dataclass
class RetentionReport:
    """What a run removed (or, on a dry run, would remove)."""

    dry_run: bool
    ran_at: str
    message_cutoff: str | None = None
    attachment_cutoff: str | None = None
    conversations_with_messages_purged: list[int] = field(default_factory=list)
    messages_purged: int = 0
    conversations_with_attachments_purged: list[int] = field(default_factory=list)
    attachments_purged: int = 0
    attachment_bytes: int = 0
    skipped_for_legal_hold: int = 0
    identity_documents: str = "not enforced: Kefu stores no identity documents yet"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def changed(self) -> bool:
        return bool(self.messages_purged or self.attachments_purged)


def _closed_before(cutoff: datetime) -> QuerySet[Conversation]:
    return Conversation.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff)


def _message_candidates(cutoff: datetime) -> QuerySet[Conversation]:
    return _closed_before(cutoff).filter(
        Q(retention_purge__isnull=True)
        | Q(retention_purge__messages_purged_at__isnull=True)
        | Q(retention_purge__messages_purged_at__lt=F("closed_at"))
    )


def _attachment_candidates(cutoff: datetime) -> QuerySet[Conversation]:
    return _closed_before(cutoff).filter(
        Q(retention_purge__isnull=True)
        | Q(retention_purge__attachments_purged_at__isnull=True)
        | Q(retention_purge__attachments_purged_at__lt=F("closed_at"))
    )


_HELD = Q(contact__legal_hold__isnull=False) | Q(legal_hold__isnull=False)


def _not_held(rows: QuerySet[Conversation]) -> QuerySet[Conversation]:
    return rows.exclude(_HELD)


def _held_count(rows: QuerySet[Conversation]) -> int:
    return rows.filter(_HELD).count()


def _purge_messages(pk: int, cutoff: datetime, now: datetime, actor: Actor) -> int | None:
    """Replace the text of one conversation's messages; None if it no longer qualifies."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .filter(pk=pk, status=Status.CLOSED, closed_at__lt=cutoff)
        .exclude(_HELD)
        .first()
    )
    if conversation is None:
        return None
    count = (
        Message.objects.filter(conversation=conversation)
        .exclude(body__in=MARKERS)
        .update(body=RETENTION_MARKER, body_html=marker_html(RETENTION_MARKER))
    )
    search.index_conversation(conversation.pk, [conversation.subject])
    purge, _created = ConversationPurge.objects.get_or_create(conversation=conversation)
    purge.messages_purged_at = now
    purge.messages_purged += count
    purge.save(update_fields=["messages_purged_at", "messages_purged"])
    audit_record(
        actor=actor,
        action="conversation.retention_messages_purged",
        object_type="conversation",
        object_id=conversation.pk,
        data={"messages": count},
    )
    return count


def _purge_attachments(
    pk: int, cutoff: datetime, now: datetime, actor: Actor
) -> tuple[int, int] | None:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .filter(pk=pk, status=Status.CLOSED, closed_at__lt=cutoff)
        .exclude(_HELD)
        .first()
    )
    if conversation is None:
        return None
    rows = list(
        Attachment.objects.filter(message__conversation=conversation).values_list(
            "pk", "file", "size"
        )
    )
    Attachment.objects.filter(pk__in=[row[0] for row in rows]).delete()
    delete_files_on_commit(row[1] for row in rows)
    purge, _created = ConversationPurge.objects.get_or_create(conversation=conversation)
    purge.attachments_purged_at = now
    purge.attachments_purged += len(rows)
    purge.save(update_fields=["attachments_purged_at", "attachments_purged"])
    size = sum(row[2] for row in rows)
    audit_record(
        actor=actor,
        action="conversation.retention_attachments_purged",
        object_type="conversation",
        object_id=conversation.pk,
        data={"attachments": len(rows), "bytes": size},
    )
    return len(rows), size


def retention_enforce(
    *, actor: Actor, dry_run: bool = False, batch: int = BATCH
) -> RetentionReport:
    """Apply the retention policy to up to ``batch`` conversations per kind of content.

    Idempotent and resumable: each conversation is purged in its own transaction under its
    row lock, re-checked there (a reopened conversation is left alone), recorded in
    ConversationPurge and audited with its counts; a run that changed anything adds one
    summary audit row. A dry run
    writes nothing and reports what the same run would remove.
    """
    policy = RetentionPolicy.load()
    now = clock.now()
    report = RetentionReport(dry_run=dry_run, ran_at=now.isoformat())
    if policy.message_days is not None:
        cutoff = now - timedelta(days=policy.message_days)
        report.message_cutoff = cutoff.isoformat()
        candidates = _message_candidates(cutoff)
        report.skipped_for_legal_hold += _held_count(candidates)
        pks = list(
            _not_held(candidates).order_by("closed_at", "pk").values_list("pk", flat=True)[:batch]
        )
        if dry_run:
            report.conversations_with_messages_purged = pks
            report.messages_purged = (
                Message.objects.filter(conversation_id__in=pks).exclude(body__in=MARKERS).count()
            )
        else:
            for pk in pks:
                with transaction.atomic():
                    count = _purge_messages(pk, cutoff, now, actor)
                    if count is not None:
                        deliveries_redact_for_conversations(conversation_ids=[pk], actor=actor)
                if count is not None:
                    report.conversations_with_messages_purged.append(pk)
                    report.messages_purged += count
    if policy.attachment_days is not None:
        cutoff = now - timedelta(days=policy.attachment_days)
        report.attachment_cutoff = cutoff.isoformat()
        candidates = _attachment_candidates(cutoff)
        report.skipped_for_legal_hold += _held_count(candidates)
        pks = list(
            _not_held(candidates).order_by("closed_at", "pk").values_list("pk", flat=True)[:batch]
        )
        if dry_run:
            files = Attachment.objects.filter(message__conversation_id__in=pks)
            report.conversations_with_attachments_purged = pks
            report.attachments_purged = files.count()
            report.attachment_bytes = files.aggregate(total=Sum("size"))["total"] or 0
        else:
            for pk in pks:
                with transaction.atomic():
                    result = _purge_attachments(pk, cutoff, now, actor)
                if result is not None:
                    report.conversations_with_attachments_purged.append(pk)
                    report.attachments_purged += result[0]
                    report.attachment_bytes += result[1]
    if not dry_run and report.changed:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="retention.enforced",
                object_type="retention_policy",
                object_id=policy.pk,
                data={
                    "messages": report.messages_purged,
                    "attachments": report.attachments_purged,
                    "attachment_bytes": report.attachment_bytes,
                    "message_conversations": report.conversations_with_messages_purged,
                    "attachment_conversations": report.conversations_with_attachments_purged,
                },
            )
    return report
