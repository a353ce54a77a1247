"""SQLite: let FTS5 gather 16 index segments of a size before merging them, not 4.

An import indexes each batch as it commits, so the default policy rewrites the fresh segments
again and again; 16 merges less often (25,000 cables: 6% less import time, measured against
children CPU in one run) for a few more segments per search to read.
"""

from django.db import migrations

SEGMENTS = "INSERT INTO cables_cable_fts (cables_cable_fts, rank) VALUES ('automerge', %s)"


def merge_at(segments):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(SEGMENTS % segments)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cables", "0011_reparse_and_renames")]

    operations = [migrations.RunPython(merge_at(16), merge_at(4))]
