"""Hash chain, step 3: sequence numbers and hashes required and unique, the ORM's append-only
manager as the base manager, and the database triggers (kefu.audit.triggers)."""

from django.db import migrations, models

from kefu.audit import triggers


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


def uninstall_triggers(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_backfill")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(unique=True),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.AlterModelOptions(
            name="auditentry",
            options={"base_manager_name": "objects", "ordering": ["-id"]},
        ),
        # Last: on SQLite the AlterFields above rebuild the table, which drops its triggers.
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
