"""Hash chain, step 2: number and hash the entries written before the chain existed, oldest
first (by id), and record the head. Hashes are taken over the values as read back."""

from django.db import migrations

from kefu.audit.chain import GENESIS_HASH, EntryFields, entry_hash

BATCH = 1000


def backfill(apps, schema_editor):
    entries = apps.get_model("audit", "AuditEntry")
    head = apps.get_model("audit", "AuditChainHead")
    db = schema_editor.connection.alias
    seq, previous, last_id = 0, GENESIS_HASH, 0
    while True:
        batch = list(entries.objects.using(db).filter(id__gt=last_id).order_by("id")[:BATCH])
        if not batch:
            break
        for entry in batch:
            seq += 1
            entry.seq, entry.prev_hash = seq, previous
            entry.hash = entry_hash(
                EntryFields(
                    seq=seq,
                    prev_hash=previous,
                    created_at=entry.created_at,
                    actor_kind=entry.actor_kind,
                    actor_ref=entry.actor_ref,
                    action=entry.action,
                    object_type=entry.object_type,
                    object_id=entry.object_id,
                    data=entry.data,
                    ip=entry.ip,
                )
            )
            previous = entry.hash
        entries.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash"])
        last_id = batch[-1].id
    head.objects.using(db).update_or_create(pk=1, defaults={"seq": seq, "hash": previous})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_fields")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
