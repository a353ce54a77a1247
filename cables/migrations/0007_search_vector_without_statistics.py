"""No planner statistics for the tsvector column (PostgreSQL).

With per-lexeme statistics the planner expects a common word to match most cables and picks a
sequential scan that decompresses every tsvector (0.6 s for 26,000 matches among 40,000 cables).
Without them it assumes few matches and takes the GIN bitmap, which for a plain word never reads
the vectors at all (60 ms for the same matches). Counts and facets of a search depend on it.
"""

from django.db import migrations

FORWARD = "ALTER TABLE cables_cable ALTER COLUMN search_vector SET STATISTICS 0"
BACKWARD = "ALTER TABLE cables_cable ALTER COLUMN search_vector SET STATISTICS -1"


def run(statement):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cables", "0006_importjob_updated_at")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
