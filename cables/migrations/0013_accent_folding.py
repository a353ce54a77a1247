"""PostgreSQL: search in a text-search configuration of its own, english with accents folded.

`São Paulo` then finds SAO PAULO, as SQLite's `remove_diacritics` tokenizer already does. Every
search vector is computed again; SQLite is left as it is.
"""

from django.db import migrations

CONFIGURATION = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION cables_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION cables_english "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
]


def vectors(config):
    def compute(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        from cables.search import postgres

        sql = postgres.INDEX.replace("c.id = ANY(%s)", "TRUE")
        schema_editor.execute(sql.replace("'cables_english'", f"'{config}'"))

    return compute


def configure(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CONFIGURATION:
            schema_editor.execute(statement)


def unconfigure(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS cables_english")


class Migration(migrations.Migration):
    dependencies = [("cables", "0012_fts_automerge")]

    operations = [
        migrations.RunPython(configure, vectors("english")),
        migrations.RunPython(vectors("cables_english"), unconfigure),
    ]
