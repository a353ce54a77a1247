"""PostgreSQL: a weighted tsvector column with a GIN index, ranked by ts_rank."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet, TextField
from django.db.models.expressions import RawSQL

from .. import storedtext
from ..models import Cable
from .base import MARK_START, MARK_STOP, SearchBackend
from .query import Query

CONFIG = "english"
# Ranking every match of a common word is slow because ts_rank has to detoast each cable's
# tsvector, so relevance ranks the RANK_CANDIDATES newest matches; the others follow by date.
RANK_CANDIDATES = 2000

# Subject weighs most, then tags and the sending post, then the text itself.
# The vector of the cable `c` sent by the post `o`.
VECTOR = f"""(
    setweight(to_tsvector('english', coalesce(c.subject, '')), 'A')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.code, ' ' ORDER BY ct.position)
        FROM cables_cabletag AS ct JOIN cables_tag AS t ON t.id = ct.tag_id
        WHERE ct.cable_id = c.id), '')), 'B')
    || setweight(to_tsvector('english', coalesce(o.name, '')), 'B')
    || setweight(to_tsvector('english', coalesce({storedtext.sql("c", "body")}, '')), 'D'))"""
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
        candidates = queryset.order_by("-created", "-id").values("id")[:RANK_CANDIDATES]
        ranked = (
            Cable.objects.for_list()
            .filter(id__in=candidates)
            .annotate(rank=SearchRank(F("search_vector"), _ts_query(query)))
            .order_by("-rank", "-created", "-id")
        )
        return cast("QuerySet[Cable]", ranked)

    def ranked_count(self, total: int | None) -> int | None:
        return RANK_CANDIDATES if total is None else min(total, RANK_CANDIDATES)

    def snippets(self, cable_ids: Sequence[int], query: Query) -> list[tuple[int, str | None]]:
        headline = _headline(query, max_words=35, min_words=15, max_fragments=2)
        rows = Cable.objects.filter(id__in=cable_ids).annotate(h=headline).values_list("id", "h")
        return list(rows)

    def highlight(self, cable_id: int, query: Query) -> str | None:
        found = Cable.objects.filter(id=cable_id).annotate(h=_headline(query, highlight_all=True))
        return next(iter(found.values_list("h", flat=True)), None)


def _ts_query(query: Query) -> SearchQuery:
    return SearchQuery(query.text, search_type="websearch", config=CONFIG)


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
