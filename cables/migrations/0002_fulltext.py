"""Full-text index: a GIN index on the tsvector on PostgreSQL, an FTS5 table on SQLite."""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE INDEX cable_search_vector_gin ON cables_cable USING gin (search_vector)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS cable_search_vector_gin"]

# rowid is cables_cable.id. Columns are stored (not contentless) so snippet() can highlight.
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE cables_cable_fts USING fts5("
    "subject, tags, origin, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS cables_cable_fts"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cables", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
