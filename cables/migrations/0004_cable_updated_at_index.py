"""An index on updated_at, so the archive's version (facets.VERSION_SQL) never scans the table.

Raw SQL rather than Meta.indexes: it serves a cache key, not a query users write.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cables", "0003_tag_kind_unknown")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX cable_updated_at ON cables_cable (updated_at)",
            "DROP INDEX IF EXISTS cable_updated_at",
        ),
    ]
