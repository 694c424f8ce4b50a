from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def backfill(apps, schema_editor):
    """Conversations with a survey still being asked get its closing time."""
    Conversation = apps.get_model("conversations", "Conversation")
    Survey = apps.get_model("csat", "Survey")
    latest = (
        Survey.objects.filter(conversation_id=OuterRef("pk"), superseded=False)
        .values("conversation_id")
        .annotate(until=Max("open_until"))
        .values("until")
    )
    Conversation.objects.filter(
        pk__in=Survey.objects.filter(superseded=False).values("conversation_id")
    ).update(survey_open_until=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0015_message_author_name"),
        ("csat", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="survey_open_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
