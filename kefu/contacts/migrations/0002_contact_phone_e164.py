# Contact.phone_e164: the stored number in E.164, what callers are matched on (kefu.inbox.calls).

from django.db import migrations, models


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kefu.contacts.phones import normalise_phone

    Contact = apps.get_model("contacts", "Contact")
    for contact in Contact.objects.exclude(phone="").only("pk", "phone").iterator(chunk_size=2000):
        value = normalise_phone(contact.phone)
        if value:
            Contact.objects.filter(pk=contact.pk).update(phone_e164=value)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="phone_e164",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=20),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
