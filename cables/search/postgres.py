"""PostgreSQL: a weighted tsvector column with a GIN index, ranked by ts_rank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.sql.compiler import SQLCompiler

from .. import storedtext
from ..models import Cable
from .base import MARK_START, MARK_STOP, SearchBackend
from .query import Phrase, Query, Term

# english with accents folded (migration 0013), so `São Paulo` finds SAO PAULO as on SQLite.
CONFIG = "cables_english"
# Ranking every match of a common word is slow because ts_rank has to detoast each cable's
# tsvector, so relevance ranks the RANK_CANDIDATES newest matches; the others follow by date.
RANK_CANDIDATES = 2000

# Subject weighs most, then tags and the sending post, then the text itself.
# The vector of the cable `c` sent by the post `o`.
VECTOR = f"""(
    setweight(to_tsvector('{CONFIG}', coalesce(c.subject, '')), 'A')
    || setweight(to_tsvector('{CONFIG}', coalesce((
        SELECT string_agg(t.code, ' ' ORDER BY ct.position)
        FROM cables_cabletag AS ct JOIN cables_tag AS t ON t.id = ct.tag_id
        WHERE ct.cable_id = c.id), '')), 'B')
    || setweight(to_tsvector('{CONFIG}', coalesce(o.name, '')), 'B')
    || setweight(to_tsvector('{CONFIG}', coalesce({storedtext.sql("c", "body")}, '')), 'D'))"""
# ts_headline parses the whole text it is given (5 ms for a 7 KB cable), so a snippet is cut
# from the first window of the text that matches, found by parsing windows until one does: a
# word in most cables is found in the first. Windows overlap so a phrase is never cut in two.
WINDOW, OVERLAP = 2000, 400
SNIPPETS = f"""
SELECT c.id, coalesce(
    (SELECT ts_headline('{CONFIG}', w.text, q.query, %s)
     FROM (SELECT substr(b.body, i * {WINDOW} + 1, {WINDOW + OVERLAP}) AS text
           FROM generate_series(0, length(b.body) / {WINDOW}) AS i) AS w
     WHERE to_tsvector('{CONFIG}', w.text) @@ q.query
     LIMIT 1),
    ts_headline('{CONFIG}', substr(b.body, 1, {WINDOW + OVERLAP}), q.query, %s))
FROM cables_cable AS c
CROSS JOIN LATERAL (SELECT {storedtext.sql("c", "body")} AS body OFFSET 0) AS b
CROSS JOIN (SELECT {{query}} AS query) AS q
WHERE c.id = ANY(%s)
"""
INDEX = f"""
UPDATE cables_cable AS c SET search_vector = {VECTOR}
FROM cables_origin AS o
WHERE o.id = c.origin_id AND c.id = ANY(%s)
"""


class PostgresSearch(SearchBackend):
    def index(self, cable_ids: Sequence[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(INDEX, [list(cable_ids)])

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(INDEX.replace("c.id = ANY(%s)", "TRUE"))

    def matching(self, queryset: QuerySet[Cable], query: Query) -> QuerySet[Cable]:
        return queryset.filter(search_vector=_ts_query(query))

    def by_relevance(self, queryset: QuerySet[Cable], query: Query) -> QuerySet[Cable]:
        matches = self.matching(queryset, query)
        candidates = matches.order_by("-created", "-id").values("id")[:RANK_CANDIDATES]
        ranked = (
            queryset.filter(id__in=candidates)
            .annotate(rank=SearchRank(F("search_vector"), _ts_query(query)))
            .order_by("-rank", "-created", "-id")
        )
        return cast("QuerySet[Cable]", ranked)

    def ranked_count(self, total: int | None) -> int | None:
        return RANK_CANDIDATES if total is None else min(total, RANK_CANDIDATES)

    def snippets(self, cable_ids: Sequence[int], query: Query) -> list[tuple[int, str | None]]:
        if not cable_ids:
            return []
        options = (
            f'StartSel="{MARK_START}", StopSel="{MARK_STOP}", MaxWords=35, MinWords=15, '
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        tsquery = cast(_TsQuery, _ts_query(query))
        params: list[Any] = [options, options, *tsquery.sql_params, list(cable_ids)]
        with connection.cursor() as cursor:
            cursor.execute(SNIPPETS.format(query=tsquery.sql), params)
            return [(pk, passage) for pk, passage in cursor.fetchall()]

    def highlight(self, cable_id: int, query: Query) -> str | None:
        found = Cable.objects.filter(id=cable_id).annotate(h=_headline(query, highlight_all=True))
        return next(iter(found.values_list("h", flat=True)), None)


class _TsQuery(SearchQuery):
    """A tsquery built from the parsed query, so both databases read the same syntax."""

    def __init__(self, sql: str, params: list[str]) -> None:
        super().__init__("", config=CONFIG)
        self.sql, self.sql_params = sql, params

    def as_sql(  # type: ignore[override]
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
    ) -> tuple[str, list[str]]:
        return self.sql, self.sql_params


def _ts_query(query: Query) -> SearchQuery:
    params: list[str] = []
    clauses = [" || ".join(_term(term, params) for term in clause) for clause in query.clauses]
    sql = " && ".join(f"({clause})" for clause in clauses)
    for term in query.excluded:
        sql = f"({sql}) && !!({_term(term, params)})"
    return _TsQuery(f"({sql})", params)


def _term(term: Term, params: list[str]) -> str:
    """The term as a tsquery expression, its words appended to params (each a \\w+ word)."""
    if isinstance(term, Phrase):
        return _phrase(term, params)
    # a <k> b: b exactly k positions after a; NEAR allows up to `distance` words between.
    alternatives = []
    for first, second in (term.parts, term.parts[::-1]):
        for gap in range(1, term.distance + 2):
            left, right = _phrase(first, params), _phrase(second, params)
            alternatives.append(f"tsquery_phrase({left}, {right}, {gap})")
    return "(" + " || ".join(alternatives) + ")"


def _phrase(phrase: Phrase, params: list[str]) -> str:
    words = list(phrase.words)
    last = words.pop() if phrase.prefix else None
    parts = []
    if words:
        params.append(" ".join(words))
        parts.append(f"phraseto_tsquery('{CONFIG}', %s)")
    if last is not None:
        params.append(f"{last}:*")
        parts.append(f"to_tsquery('{CONFIG}', %s)")
    return "(" + " <-> ".join(parts) + ")"


def _headline(query: Query, **options: Any) -> SearchHeadline:
    return SearchHeadline(
        RawSQL(storedtext.sql(Cable._meta.db_table, "body"), [], output_field=TextField()),
        _ts_query(query),
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        fragment_delimiter=" … ",
        **options,
    )
