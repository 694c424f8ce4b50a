from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from kefu.audit.chain import GENESIS_HASH, EntryFields


class AuditAppendOnlyError(RuntimeError):
    """Audit entries are never changed or removed (see docs/subsystems/audit.md)."""

    def __init__(self, what: str = "changed or deleted") -> None:
        super().__init__(f"The audit log is append-only: entries cannot be {what}.")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads only: every bulk write path refuses (appends go through ``audit_record``)."""

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditAppendOnlyError("updated")

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditAppendOnlyError("deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditAppendOnlyError("updated")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        # A bulk insert would bypass the chain's numbering and hashing.
        raise AuditAppendOnlyError("inserted in bulk; use audit_record")


class AuditEntry(models.Model):
    """One row per state change or sensitive read: append-only and hash-chained.

    ``seq`` numbers entries 1, 2, 3... with no gaps; ``hash`` commits to this entry's fields and
    to ``prev_hash``, the hash of entry ``seq - 1`` (kefu.audit.chain). Written only by
    ``kefu.audit.services.audit_record``.
    """

    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=16)
    actor_ref = models.CharField(max_length=64, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        ordering = ["-id"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.actor_ref} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditAppendOnlyError("updated")
        kwargs["force_insert"] = True  # never an UPDATE, even with a primary key set
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditAppendOnlyError("deleted")

    def chain_fields(self) -> EntryFields:
        """The fields the entry's hash covers, as they are now."""
        return EntryFields(
            seq=self.seq,
            prev_hash=self.prev_hash,
            created_at=self.created_at,
            actor_kind=self.actor_kind,
            actor_ref=self.actor_ref,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            data=self.data,
            ip=self.ip,
        )


class AuditChainHead(models.Model):
    """The newest entry's number and hash, in a single row (id 1).

    ``audit_record`` locks this row, so appends are numbered one at a time without gaps, and
    moves it forward in the same transaction as the entry. ``kefu audit verify`` compares it with
    the newest entry, so deleting the newest entries shows.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")
        ]

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"
