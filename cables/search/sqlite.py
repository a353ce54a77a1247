"""SQLite: an FTS5 table reading the cables through a view (external content), ranked by bm25()."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice

from django.db import connection
from django.db.models import Expression, QuerySet
from django.db.models.expressions import RawSQL

from .. import storedtext
from ..models import Cable
from .base import MARK_START, MARK_STOP, SearchBackend
from .query import Near, Phrase, Query, Term

# bm25() column weights for subject, tags, origin, body: PostgreSQL's weights A, B, B and D.
BM25_WEIGHTS = "10.0, 4.0, 4.0, 1.0"

# The FTS5 table keeps no text of its own: it reads the columns of this view (external content),
# whose body is a span of the raw text (cables/storedtext.py). Its rows must be deleted while the
# view still shows what was indexed, so `unindex` runs before a cable changes.
CONTENT_VIEW = f"""
CREATE VIEW cables_cable_fts_content AS
SELECT c.id AS id, coalesce(c.subject, '') AS subject, coalesce((
        SELECT group_concat(code, ' ') FROM (
            SELECT t.code FROM cables_cabletag AS ct JOIN cables_tag AS t ON t.id = ct.tag_id
            WHERE ct.cable_id = c.id ORDER BY ct.position)), '') AS tags,
    coalesce(o.name, '') AS origin, coalesce({storedtext.sql("c", "body")}, '') AS body
FROM cables_cable AS c JOIN cables_origin AS o ON o.id = c.origin_id
"""
FTS = (
    "CREATE VIRTUAL TABLE cables_cable_fts USING fts5(subject, tags, origin, body, "
    "content = 'cables_cable_fts_content', content_rowid = 'id', "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
# One JSON parameter whatever the batch size, so SQLite's variable limit never applies.
DELETE = "DELETE FROM cables_cable_fts WHERE rowid IN (SELECT value FROM json_each(%s))"
INSERT = """
INSERT INTO cables_cable_fts (rowid, subject, tags, origin, body)
SELECT id, subject, tags, origin, body FROM cables_cable_fts_content
WHERE id IN (SELECT value FROM json_each(%s))
"""
REBUILD = "INSERT INTO cables_cable_fts (cables_cable_fts) VALUES ('rebuild')"
MATCH = "SELECT rowid FROM cables_cable_fts WHERE cables_cable_fts MATCH %s"
COUNT = "SELECT count(*) FROM cables_cable_fts WHERE cables_cable_fts MATCH %s"
SNIPPETS = (
    "SELECT rowid, snippet(cables_cable_fts, 3, %s, %s, '…', 40) FROM cables_cable_fts "
    "WHERE cables_cable_fts MATCH %s AND rowid IN (SELECT value FROM json_each(%s))"
)
# bm25() over every match in the index alone, materialised once; the cables are read only for the
# slice asked for. (A rowid constraint inside the MATCH makes FTS5 search again per row.)
RANKED = (
    "WITH ranked AS MATERIALIZED (SELECT rowid AS id, "
    f"bm25(cables_cable_fts, {BM25_WEIGHTS}) AS score FROM cables_cable_fts "
    "WHERE cables_cable_fts MATCH %s) SELECT id FROM ranked {where} ORDER BY score, id DESC"
)
HIGHLIGHT = (
    "SELECT highlight(cables_cable_fts, 3, %s, %s) FROM cables_cable_fts "
    "WHERE cables_cable_fts MATCH %s AND rowid = %s"
)


def fts5_expression(query: Query) -> str:
    """The FTS5 expression: every word quoted, so colons, brackets and SQL are plain text."""
    parts = ["(" + " OR ".join(map(_term, clause)) + ")" for clause in query.clauses]
    expression = " AND ".join(parts)
    for term in query.excluded:
        expression = f"({expression}) NOT {_term(term)}"
    return expression


class SQLiteSearch(SearchBackend):
    def index(self, cable_ids: Sequence[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(INSERT, [_json_ids(cable_ids)])

    def unindex(self, cable_ids: Sequence[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(DELETE, [_json_ids(cable_ids)])

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(REBUILD)

    def matching(self, queryset: QuerySet[Cable], query: Query) -> QuerySet[Cable]:
        return queryset.filter(id__in=RawSQL(MATCH, [fts5_expression(query)]))

    def by_relevance(self, queryset: QuerySet[Cable], query: Query) -> RankedCables:
        return RankedCables(queryset, query)

    def count(self, queryset: QuerySet[Cable], query: Query) -> int:
        if queryset.query.has_filters():
            return super().count(queryset, query)
        # Every cable is indexed: the index alone counts, without reading a row per match.
        with connection.cursor() as cursor:
            cursor.execute(COUNT, [fts5_expression(query)])
            return int(cursor.fetchone()[0])

    def dated_ids(
        self, queryset: QuerySet[Cable], ordered: QuerySet[Cable], start: int, stop: int
    ) -> Expression | None:
        if queryset.query.has_filters():
            return None  # another filter's index may be the better start
        # The planner would read every match's row and sort them; walking the date index and
        # keeping the matches reads 50 index entries for a common word, the index for a rare one
        # (251,287 cables: 234 ms -> 17 ms for "government", at most 9 ms for no match).
        sql, params = ordered.values("pk")[start:stop].query.sql_with_params()
        return RawSQL(self.reading_index(sql, "cable_created_id"), params)

    def reading_index(self, sql: str, index: str) -> str:
        # SQLite's planner reads a cable by its rowid even where an index holds every column
        # the query needs; the rows hold long text, so that reads a page per cable.
        table = 'FROM "cables_cable"'
        return sql.replace(table, f"{table} INDEXED BY {index}", 1)

    def snippets(self, cable_ids: Sequence[int], query: Query) -> list[tuple[int, str | None]]:
        with connection.cursor() as cursor:
            args = [MARK_START, MARK_STOP, fts5_expression(query), _json_ids(cable_ids)]
            cursor.execute(SNIPPETS, args)
            return list(cursor.fetchall())

    def highlight(self, cable_id: int, query: Query) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute(HIGHLIGHT, [MARK_START, MARK_STOP, fts5_expression(query), cable_id])
            row = cursor.fetchone()
        return row[0] if row else None


class RankedCables:
    """Every match among `queryset`, best first (ties: newest id first), read a slice at a time."""

    def __init__(self, queryset: QuerySet[Cable], query: Query) -> None:
        self.queryset, self.query = queryset, query

    def __getitem__(self, window: slice) -> list[Cable]:
        start, stop = window.start or 0, window.stop
        limit = " LIMIT %s OFFSET %s" if stop is not None else " LIMIT -1 OFFSET %s"
        bounds = [stop - start, start] if stop is not None else [start]
        return self._cables(self._ids(limit, bounds))

    def __iter__(self) -> Iterator[Cable]:
        return self.iterator()

    def iterator(self, chunk_size: int = 2000) -> Iterator[Cable]:
        ids = iter(self._ids("", []))
        while chunk := list(islice(ids, chunk_size)):
            yield from self._cables(chunk)

    def _ids(self, limit: str, bounds: list[int]) -> list[int]:
        where, params = "", [fts5_expression(self.query)]
        if self.queryset.query.has_filters():
            inner, inner_params = self.queryset.values("id").query.sql_with_params()
            where, params = f"WHERE id IN ({inner})", [*params, *inner_params]
        with connection.cursor() as cursor:
            cursor.execute(RANKED.format(where=where) + limit, [*params, *bounds])
            return [row[0] for row in cursor.fetchall()]

    def _cables(self, ids: list[int]) -> list[Cable]:
        found = self.queryset.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]


def _term(term: Term) -> str:
    if isinstance(term, Near):
        first, second = term.parts
        return f"NEAR({_phrase(first)} {_phrase(second)}, {term.distance})"
    return _phrase(term)


def _phrase(phrase: Phrase) -> str:
    # \w+ words never contain a double quote, so the quoting cannot be broken out of.
    return '"' + " ".join(phrase.words) + '"' + (" *" if phrase.prefix else "")


def _json_ids(ids: Sequence[int]) -> str:
    return "[" + ",".join(str(int(pk)) for pk in ids) + "]"
