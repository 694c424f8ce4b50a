"""Search terms per conversation: FTS5 on SQLite, text[] + GIN on PostgreSQL (see search.py)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TABLE conversations_search ("
            " conversation_id bigint PRIMARY KEY,"  # no FK: the table is not a Django model, so a
            " terms text[] NOT NULL)"  # flush's TRUNCATE of conversations must not depend on it
        )
        schema_editor.execute(
            "CREATE INDEX conversations_search_terms ON conversations_search USING gin (terms)"
        )
    else:
        schema_editor.execute(
            "CREATE VIRTUAL TABLE conversations_fts USING fts5("
            "terms, tokenize = \"unicode61 remove_diacritics 0 tokenchars '-'\")"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS conversations_search")
    else:
        schema_editor.execute("DROP TABLE IF EXISTS conversations_fts")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
