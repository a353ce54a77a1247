"""An index on updated_at, so the archive's version key (facets.VERSION_SQL) never scans the table.

A model index rather than raw SQL: SQLite rebuilds the table on some later AlterFields, and only
indexes Django knows about are rebuilt with it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cables", "0003_tag_kind_unknown")]

    operations = [
        migrations.AddIndex(
            model_name="cable",
            index=models.Index(fields=["updated_at"], name="cable_updated_at"),
        ),
    ]
