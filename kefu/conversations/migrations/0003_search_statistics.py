"""PostgreSQL: finer statistics on search terms so rare terms (a tx id) get an index plan.

With the default statistics target the planner guesses a rare term matches many rows and walks
the newest-first index over every conversation (seconds at 1M rows); at 1000 it knows the term
is rare and reads the GIN index first (milliseconds). See docs/benchmarks.md.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE conversations_search ALTER COLUMN terms SET STATISTICS 1000"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE conversations_search ALTER COLUMN terms SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_search_index")]
    operations = [migrations.RunPython(forwards, backwards)]
