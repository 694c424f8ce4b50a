from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One append-only row per state change or sensitive read. Never updated or deleted."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16)
    actor_ref = models.CharField(max_length=64, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.actor_ref} {self.action} {self.object_type}:{self.object_id}"
