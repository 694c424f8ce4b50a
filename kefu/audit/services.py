"""Write audit rows. Called by other services inside their own transaction."""

from __future__ import annotations

from typing import Any

from kefu.audit.models import AuditEntry
from kefu.core.actor import Actor

# Keys whose values must never be written to the audit log.
_SECRET_KEYS = {"password", "secret", "token", "api_key", "key"}


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row (caller holds the transaction that makes the change)."""
    clean = {k: ("[redacted]" if k in _SECRET_KEYS else v) for k, v in (data or {}).items()}
    return AuditEntry.objects.create(
        actor_kind=str(actor.kind),
        actor_ref=actor.ref,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=clean,
        ip=actor.ip,
    )
