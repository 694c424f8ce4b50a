"""Number the messages that existed before sequences (docs/subsystems/realtime.md)."""

from django.db import migrations
from django.db.models import F, Window
from django.db.models.functions import RowNumber

BATCH = 2000


def backfill(apps, schema_editor):
    Message = apps.get_model("conversations", "Message")
    Conversation = apps.get_model("conversations", "Conversation")
    for kind, field, last in (
        (None, "seq", "last_seq"),
        ("reply", "public_seq", "last_public_seq"),
    ):
        qs = Message.objects.filter(**{f"{field}__isnull": True})
        if kind:
            qs = qs.filter(kind=kind)
        numbered = qs.annotate(
            n=Window(RowNumber(), partition_by=[F("conversation_id")], order_by=[F("created_at"), F("id")])
        ).values_list("id", "conversation_id", "n")
        pending, top = [], {}
        for pk, conv, n in numbered.iterator(chunk_size=BATCH):
            pending.append(Message(pk=pk, **{field: n}))
            top[conv] = max(top.get(conv, 0), n)
            if len(pending) >= BATCH:
                Message.objects.bulk_update(pending, [field])
                pending = []
        if pending:
            Message.objects.bulk_update(pending, [field])
        for conv, n in top.items():
            Conversation.objects.filter(pk=conv).update(**{last: n})


class Migration(migrations.Migration):
    dependencies = [("conversations", "0004_conversation_agent_read_seq_and_more")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
