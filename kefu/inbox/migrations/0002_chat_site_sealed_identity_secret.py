"""Seal chat sites' identity secrets at rest (kefu.core.secretbox); the plain column goes."""

from django.db import migrations, models

import kefu.inbox.models
from kefu.core import secretbox


def seal_existing(apps, schema_editor):
    ChatSite = apps.get_model("inbox", "ChatSite")
    for site in ChatSite.objects.all().only("pk", "identity_secret"):
        sealed = secretbox.seal(
            site.identity_secret, purpose=kefu.inbox.models.IDENTITY_SECRET_PURPOSE
        )
        ChatSite.objects.filter(pk=site.pk).update(identity_secret_sealed=sealed)


def unseal_existing(apps, schema_editor):
    ChatSite = apps.get_model("inbox", "ChatSite")
    for site in ChatSite.objects.all().only("pk", "identity_secret_sealed"):
        plain = secretbox.unseal(
            site.identity_secret_sealed, purpose=kefu.inbox.models.IDENTITY_SECRET_PURPOSE
        ).plaintext
        ChatSite.objects.filter(pk=site.pk).update(identity_secret=plain)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="chatsite",
            name="identity_secret_sealed",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(seal_existing, unseal_existing),
        migrations.RemoveField(model_name="chatsite", name="identity_secret"),
        migrations.AlterField(
            model_name="chatsite",
            name="identity_secret_sealed",
            field=models.TextField(default=kefu.inbox.models.new_sealed_identity_secret),
        ),
    ]
