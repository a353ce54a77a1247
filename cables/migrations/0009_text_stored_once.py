"""Text stored once, the columns: header and body may become spans of the raw text.

0010_text_spans rewrites the stored cables to use them; the two are apart so that on PostgreSQL
no table is altered in the transaction that updates its rows.
"""

from django.db import migrations, models


def span(name):
    return migrations.AddField(
        model_name="cable",
        name=name,
        field=models.PositiveIntegerField(blank=True, editable=False, null=True),
    )


def renamed(old, new, verbose_name):
    field = models.TextField(blank=True, db_column=old, verbose_name=verbose_name)
    return [
        migrations.RenameField(model_name="cable", old_name=old, new_name=new),
        migrations.AlterField(model_name="cable", name=new, field=field),
    ]


class Migration(migrations.Migration):
    dependencies = [("cables", "0008_provenance")]

    operations = [
        # The columns keep their names: only Django's field names change.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *renamed(
                    "header", "header_stored", "header, where it is not a span of the raw text"
                ),
                *renamed("body", "body_stored", "body, where it is not a span of the raw text"),
            ]
        ),
        span("header_start"),
        span("header_end"),
        span("body_start"),
        span("body_end"),
    ]
