"""SQLite: the long texts become the last columns of a cable's row.

SQLite stores a row's columns in order and spills what does not fit a page into a chain of
overflow pages; a column after the 7 KB raw text is read by walking that chain. The origin, the
import times and the text spans sat after it, so a facet by origin over the matches of a common
word read every match's whole text (251,287 cables: 996 ms against 230 ms for the date, which
comes first). The table is rebuilt once with header, body and raw at the end, and the migration
state lists them last so that later rebuilds keep that order. PostgreSQL keeps long values out of
line already and is left as it is. On SQLite, run VACUUM afterwards to give the old table's pages
back to the file system.
"""

import django.contrib.postgres.search
from django.db import migrations, models

VIEW = "cables_cable_fts_content"
LAST = {
    "header_stored": models.TextField(
        blank=True, db_column="header", verbose_name="header, where it is not a span of the raw text"
    ),
    "body_stored": models.TextField(
        blank=True, db_column="body", verbose_name="body, where it is not a span of the raw text"
    ),
    "raw": models.TextField(verbose_name="raw text as imported"),
    "search_vector": django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
}


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = %s", [VIEW])
        view = cursor.fetchone()
    # The view reads the table; it is set aside while the table is copied and renamed.
    schema_editor.execute(f"DROP VIEW IF EXISTS {VIEW}")
    schema_editor._remake_table(apps.get_model("cables", "Cable"))
    if view:
        schema_editor.execute(view[0])


def listed_last():
    """Each long field removed and added again in the state alone, which then lists it last."""
    operations = []
    for name, field in LAST.items():
        operations.append(migrations.RemoveField(model_name="cable", name=name))
        operations.append(migrations.AddField(model_name="cable", name=name, field=field))
    return operations


class Migration(migrations.Migration):
    dependencies = [("cables", "0013_accent_folding")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=listed_last()),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
