"""Text stored once, the data: header and body become spans of the raw text; FTS5 keeps no copy.

Every cable is rewritten once, in batches, with the spans `cables.storedtext.store` finds; on
SQLite the FTS5 table is rebuilt as an external-content table over a view. The PostgreSQL
tsvector is left as it is: the text it was computed from has not changed. On SQLite, run VACUUM
afterwards to give the freed pages back to the file system. to_spans imports storedtext.store:
a later change to what it stores comes with its own migration that re-runs it and the view.
"""

from django.db import migrations

from cables import storedtext

BATCH = 2000


def to_spans(apps, schema_editor):
    connection = schema_editor.connection
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, raw, header, body, source_format FROM cables_cable "
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            updates = []
            for pk, raw, header, body, format in rows:
                kept_header = storedtext.store(raw, header, format)
                kept_body = storedtext.store(raw, body, format)
                updates.append(
                    (
                        kept_header.text,
                        kept_header.start,
                        kept_header.end,
                        kept_body.text,
                        kept_body.start,
                        kept_body.end,
                        pk,
                    )
                )
            cursor.executemany(
                "UPDATE cables_cable SET header = %s, header_start = %s, header_end = %s, "
                "body = %s, body_start = %s, body_end = %s WHERE id = %s",
                updates,
            )
            last = rows[-1][0]


# Frozen here: the SQL of cables.storedtext.sql("c", "body") and of cables.search when written.
PIECE = "substr(c.raw, c.body_start + 1, c.body_end - c.body_start)"
BODY = (
    "(CASE WHEN c.body_start IS NULL THEN c.body WHEN c.source_format = 'csv' THEN "
    f"replace(replace(replace({PIECE}, '\\\"', '\"'), '\\''', ''''), '\r\n', '\n') "
    f"ELSE replace({PIECE}, '\r\n', '\n') END)"
)
TAGS = """coalesce((
        SELECT group_concat(code, ' ') FROM (
            SELECT t.code FROM cables_cabletag AS ct JOIN cables_tag AS t ON t.id = ct.tag_id
            WHERE ct.cable_id = c.id ORDER BY ct.position)), '')"""
COLUMNS = f"c.id, coalesce(c.subject, ''), {TAGS}, coalesce(o.name, ''), coalesce(c.body, '')"
CONTENT_VIEW = f"""
CREATE VIEW cables_cable_fts_content AS
SELECT c.id AS id, coalesce(c.subject, '') AS subject, {TAGS} AS tags,
    coalesce(o.name, '') AS origin, coalesce({BODY}, '') AS body
FROM cables_cable AS c JOIN cables_origin AS o ON o.id = c.origin_id
"""
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"


def from_spans(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for field in ("header", "body"):
            text = BODY.replace("c.", "").replace("body", field)
            cursor.execute(f"UPDATE cables_cable SET {field} = {text}")  # noqa: S608


def external_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS cables_cable_fts")
    schema_editor.execute(CONTENT_VIEW)
    schema_editor.execute(
        "CREATE VIRTUAL TABLE cables_cable_fts USING fts5(subject, tags, origin, body, "
        f"content = 'cables_cable_fts_content', content_rowid = 'id', {TOKENIZE})"
    )
    schema_editor.execute("INSERT INTO cables_cable_fts (cables_cable_fts) VALUES ('rebuild')")


def stored_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS cables_cable_fts")
    schema_editor.execute("DROP VIEW IF EXISTS cables_cable_fts_content")
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE cables_cable_fts USING fts5(subject, tags, origin, body, {TOKENIZE})"
    )


def refill_stored_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "INSERT INTO cables_cable_fts (rowid, subject, tags, origin, body) "
        f"SELECT {COLUMNS} FROM cables_cable AS c JOIN cables_origin AS o ON o.id = c.origin_id"
    )


class Migration(migrations.Migration):
    dependencies = [("cables", "0009_text_stored_once")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, refill_stored_fts),
        migrations.RunPython(to_spans, from_spans),
        migrations.RunPython(external_fts, stored_fts),
    ]
