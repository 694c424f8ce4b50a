"""Write audit rows. Called by other services inside their own transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from kefu.audit.chain import GENESIS_HASH, canonical_data, entry_hash
from kefu.audit.models import AuditChainHead, AuditEntry
from kefu.core import clock
from kefu.core.actor import Actor
from kefu.core.inserts import insert_new
from kefu.core.prepared import Prepared

logger = logging.getLogger(__name__)

# Keys whose values must never be written to the audit log.
_SECRET_KEYS = {"password", "secret", "token", "api_key", "key"}

_IP_FIELD = AuditEntry._meta.get_field("ip")


def _stored_ip(ip: str | None) -> str | None:
    """The address as the column stores it (IPv6 compressed and lower-cased), so the hash is
    taken over what is read back."""
    if not ip:
        return None
    value = _IP_FIELD.get_prep_value(ip)
    return str(value) if value else None


# The head's locked read, built once (every audited write runs it): one row by primary key, so
# no ORDER BY (``first()`` would add one).
# Compiled once per connection (kefu.core.prepared): the same statement every time.
_HEAD = Prepared(
    lambda: AuditChainHead.objects.select_for_update().filter(pk=1).order_by()[:1],
    ids=0,
    name="audit_head",
)


def _lock_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends (created if missing)."""
    head = next(iter(_HEAD()), None)
    if head is not None:
        return head
    # No head: a new database, or a test database just emptied. If entries exist anyway the
    # head was removed behind our back; carry on from the newest entry rather than stop every
    # write in the product, and say so (verify's anchors still catch a rewritten tail).
    newest = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, digest = newest if newest is not None else (0, GENESIS_HASH)
    if newest is not None:
        logger.warning("audit chain head was missing; continuing from entry %s", seq)
    try:
        with transaction.atomic():  # a savepoint: another transaction may create it first
            return AuditChainHead.objects.create(pk=1, seq=seq, hash=digest)
    except IntegrityError:
        return AuditChainHead.objects.select_for_update().get(pk=1)


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row (caller holds the transaction that makes the change).

    Locks the chain head row until the caller's transaction commits or rolls back, so appends
    are numbered one at a time; keep transactions that audit short. Secret-named keys are
    redacted; ``data`` is stored in canonical JSON form (kefu.audit.chain.canonical_data).
    """
    return audit_record_many([(actor, action, object_type, object_id, data)])[0]


def audit_record_many(
    records: list[tuple[Actor, str, str, object, dict[str, Any] | None]],
) -> list[AuditEntry]:
    """Append several audit rows at once: ``(actor, action, object_type, object_id, data)``
    each, numbered and hashed in the given order exactly as that many ``audit_record`` calls
    would be (for batched writes, e.g. live chat's group commit). The head is locked once; the
    entries are inserted together, then the head moves forward one entry per statement, as the
    database guard requires (kefu.audit.triggers)."""
    if not records:
        return []
    now = clock.now()
    if timezone.is_naive(now):
        now = timezone.make_aware(now, timezone.get_default_timezone())
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        seq, prev = head.seq, head.hash
        entries = []
        for actor, action, object_type, object_id, data in records:
            clean = {k: ("[redacted]" if k in _SECRET_KEYS else v) for k, v in (data or {}).items()}
            seq += 1
            entry = AuditEntry(
                seq=seq,
                prev_hash=prev,
                created_at=now,
                actor_kind=str(actor.kind),
                actor_ref=actor.ref,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                data=canonical_data(clean),
                ip=_stored_ip(actor.ip),
            )
            entry.hash = prev = entry_hash(entry.chain_fields())
            entries.append(entry)
        # AuditEntry's own queryset refuses bulk inserts (they would skip the numbering and
        # hashing above); this is the one place that does both.
        insert_new(AuditEntry, entries)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {AuditChainHead._meta.db_table} SET seq = %s, hash = %s WHERE id = 1",  # noqa: S608
                [(e.seq, e.hash) for e in entries],
            )
    return entries


def audit_changes(
    obj: models.Model,
    values: dict[str, Any],
    *,
    actor: Actor,
    action: str,
    object_type: str,
    also_save: tuple[str, ...] = (),
) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj`` (a row the caller has locked, e.g. a one-row policy), save only
    the fields that changed (plus ``also_save``, e.g. ``updated_at``) and audit them as
    ``{field: [old, new]}``. Nothing changed: nothing is saved or audited. Returns the changes."""
    changes = {
        name: [getattr(obj, name), value]
        for name, value in values.items()
        if getattr(obj, name) != value
    }
    if changes:
        for name, (_old, new) in changes.items():
            setattr(obj, name, new)
        obj.save(update_fields=[*changes, *also_save])
        audit_record(
            actor=actor, action=action, object_type=object_type, object_id=obj.pk, data=changes
        )
    return changes
