"""Facet counts for an already-filtered queryset, in the manner of datasette's facets.

`summarize` reads the matching cables once: a single query materialises their ids and small
columns (origin, classification, month) and groups them four ways, so the count, the four facets
and the monthly chart cost one pass over the matches, never one per facet. No cable text is read.
The unfiltered archive's summary is cached until a cable is added, removed or changed.

Each facet is a small object whose `results()` returns plain dicts.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Func, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from . import search
from .release import release
from .timelimit import OutOfTime, time_limit

T = TypeVar("T")

# Parameters a facet link drops, because they no longer fit the new result.
RESET_ON_TOGGLE = ("page", "format")


def toggle_url(params: QueryDict, name: str, value: str, *, single: bool = False) -> str:
    """The query string with `value` added to or removed from parameter `name`."""
    query = params.copy()
    for key in RESET_ON_TOGGLE:
        query.pop(key, None)
    values = query.getlist(name)
    if value in values:
        values.remove(value)
    else:
        values = [value] if single else [*values, value]
    query.setlist(name, values)
    return "?" + query.urlencode()


class Period(Func):
    """'YYYY' or 'YYYY-MM' of a UTC datetime, in SQL on both databases.

    Django's ExtractYear and TruncMonth call back into Python for every row on SQLite.
    """

    output_field = CharField()

    def __init__(self, expression: str, length: int) -> None:
        super().__init__(expression)
        self.length = length

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template=f"substr(%(expressions)s, 1, {self.length})"
        )

    def as_postgresql(self, compiler, connection, **extra):
        pattern = "YYYY-MM" if self.length == 7 else "YYYY"
        template = f"to_char(%(expressions)s AT TIME ZONE 'UTC', '{pattern}')"
        return self.as_sql(compiler, connection, template=template)


# One pass over the matches: `m` is the filtered queryset's own SQL, materialised once.
SUMMARY_SQL = """
WITH m AS MATERIALIZED ({matches})
SELECT 'month', month, month, COUNT(*) FROM m GROUP BY month
UNION ALL
SELECT 'classification', classification, classification, COUNT(*) FROM m GROUP BY classification
UNION ALL
SELECT 'origin', o.slug, o.name, g.n
FROM (SELECT origin_id, COUNT(*) AS n FROM m GROUP BY origin_id) AS g
JOIN cables_origin AS o ON o.id = g.origin_id
UNION ALL
SELECT 'tag', t.code, t.code, g.n
FROM (SELECT ct.tag_id, COUNT(*) AS n FROM m JOIN cables_cabletag AS ct ON ct.cable_id = m.id
      GROUP BY ct.tag_id) AS g
JOIN cables_tag AS t ON t.id = g.tag_id
"""
# One row, moved by every change (models.ArchiveState).
VERSION_SQL = "SELECT generation FROM cables_archivestate WHERE id = 1"
# A backstop for changes the version cannot see, such as a renamed origin.
CACHE_SECONDS = 15 * 60

Row = tuple[str, str, int]


@dataclass(frozen=True)
class Summary:
    """How many cables matched, and how they spread over months, origins, TAGs, classifications."""

    count: int = 0
    months: list[tuple[str, int]] = field(default_factory=list)
    origins: list[Row] = field(default_factory=list)
    tags: list[Row] = field(default_factory=list)
    classifications: list[Row] = field(default_factory=list)
    years: list[Row] = field(default_factory=list)
    complete: bool = True  # False: the facets and chart ran out of time; only the count is known

    @classmethod
    def from_rows(cls, rows: list[tuple[str, Any, Any, int]]) -> "Summary":
        groups: dict[str, list[Row]] = defaultdict(list)
        for kind, value, label, n in rows:
            groups[kind].append((value, label, n))
        months = sorted((v, n) for v, _label, n in groups["month"] if v is not None)
        years: dict[str, int] = defaultdict(int)
        for month, n in months:
            years[month[:4]] += n
        return cls(
            count=sum(n for _v, _label, n in groups["classification"]),
            months=months,
            origins=sorted(groups["origin"], key=lambda r: (-r[2], r[1])),
            tags=sorted(groups["tag"], key=lambda r: (-r[2], r[0])),
            classifications=sorted(groups["classification"], key=lambda r: (-r[2], r[0])),
            years=[(y, y, n) for y, n in sorted(years.items(), reverse=True)],
        )


def summarize(
    queryset: QuerySet,
    *,
    milliseconds: int | None = None,
    count: Callable[[], int] | None = None,
) -> Summary:
    """Count, facets and chart of the filtered cables in one query (none when cached).

    Given a time limit, a summary that runs past it is given up for the count alone (by
    `count`, or of the queryset), as Datasette gives up a facet: the page is never held up by
    counts a reader can ask for.
    """
    if not queryset.query.where:
        return unfiltered("summary", lambda: _summarize(queryset))
    if milliseconds is None:
        return _summarize(queryset)
    try:
        with time_limit(milliseconds):
            return _summarize(queryset)
    except OutOfTime:
        return Summary(count=count() if count else queryset.count(), complete=False)


def _summarize(queryset: QuerySet) -> Summary:
    columns = queryset.order_by().annotate(month=Period("created", 7))
    columns = columns.values("id", "origin_id", "classification", "month")
    try:
        matches, params = columns.query.sql_with_params()
    except EmptyResultSet:
        return Summary()
    # The summary index holds every column read here (175,439 matches on SQLite: 1,106 ms
    # through the rows, 619 ms through the index).
    matches = search.backend().reading_index(matches, "cable_summary")
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY_SQL.format(matches=matches), params)
        return Summary.from_rows(cursor.fetchall())


# The version read at the start of a request (cables.conditional), so its pages ask only once.
known_version: ContextVar[tuple | None] = ContextVar("archive_version", default=None)


def archive_version() -> tuple:
    if (known := known_version.get()) is not None:
        return known
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        return tuple(cursor.fetchone() or (0,))


def unfiltered(name: str, compute: Callable[[], T]) -> T:
    """A figure of the whole archive, recomputed only when the archive changed (one query).

    The cache may be shared by many processes and machines (CACHE_URL), so the key names the
    database as well as the archive version.
    """
    key = cache_key(name)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def cache_key(name: str) -> str:
    where = {k: connection.settings_dict.get(k) for k in ("ENGINE", "NAME", "HOST", "PORT")}
    # The release too: a migration may change what a figure counts without a new generation.
    version = hashlib.sha1(repr((where, release(), archive_version())).encode()).hexdigest()
    return f"cablearchive:{name}:{version}"


def monthly_counts(queryset: QuerySet) -> list[tuple[str, int]]:
    """("YYYY-MM", count) for every month with cables, oldest first: the data of the charts."""
    return summarize(queryset).months


@dataclass
class Facet:
    name: str
    title: str
    rows: Callable[[Summary], list[Row]]
    size: int = 10
    single: bool = False

    def results(self, summary: Summary, params: QueryDict) -> dict[str, Any]:
        rows = self.rows(summary)
        chosen = params.getlist(self.name)
        values = [
            {
                "value": value,
                "label": label,
                "count": count,
                "toggle_url": toggle_url(params, self.name, str(value), single=self.single),
                "selected": str(value) in chosen,
            }
            for value, label, count in rows[: self.size]
        ]
        return {
            "name": self.name,
            "title": str(self.title),
            "values": values,
            "truncated": len(rows) > self.size,
        }


FACETS = (
    Facet("origin", _("Origin"), lambda s: s.origins),
    Facet("tag", _("TAG"), lambda s: s.tags, size=15),
    Facet("classification", _("Classification"), lambda s: s.classifications),
    Facet("year", _("Year"), lambda s: s.years, size=50, single=True),
)


def facet_results(
    queryset: QuerySet, params: QueryDict, *, summary: Summary | None = None
) -> list[dict[str, Any]]:
    """One dict per facet, all from one summary of the filtered cables."""
    summary = summary if summary is not None else summarize(queryset)
    if not summary.complete:
        return []
    return [facet.results(summary, params) for facet in FACETS]
