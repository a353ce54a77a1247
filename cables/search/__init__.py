"""Full-text search of the cables, one backend per database: `postgres` and `sqlite`.

The rest of the project calls only the functions here, never a backend or a vendor test:
`index_cables` (called by `cables.importing` after each batch), `matching`, `by_relevance`,
`snippets` and `highlight_body`. All read websearch syntax (`query`): words (all required),
`"exact phrase"`, `OR`, `-word`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Expression, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import Cable
from .base import MARK_START, MARK_STOP, Ranking, SearchBackend
from .query import STOP_WORDS, Query, QueryError, parse_query

__all__ = [
    "MARK_START",
    "MARK_STOP",
    "STOP_WORDS",
    "Query",
    "Ranking",
    "QueryError",
    "SearchBackend",
    "backend",
    "by_relevance",
    "count_matching",
    "dated_ids",
    "highlight_body",
    "index_cables",
    "marked",
    "matching",
    "parse_query",
    "ranked_count",
    "rebuild_index",
    "snippets",
    "unindex_cables",
    "unindex_deleted",
    "validate_query",
]


def backend() -> SearchBackend:
    """The search backend of the default database."""
    return _backend(connection.vendor)


@cache
def _backend(vendor: str) -> SearchBackend:
    if vendor == "postgresql":
        from .postgres import PostgresSearch

        return PostgresSearch()
    if vendor == "sqlite":
        from .sqlite import SQLiteSearch

        return SQLiteSearch()
    raise NotImplementedError(f"no full-text search for {vendor}")


def validate_query(text: str) -> None:
    """A form validator: the reason a query will not run, in the reader's words."""
    try:
        parse_query(text)
    except QueryError as exc:
        raise ValidationError(str(exc), code="query") from exc


def index_cables(cable_ids: Sequence[int]) -> None:
    """Index these cables; call once their text, tags and origin are saved.

    A cable indexed before must have been unindexed (`unindex_cables`) before it changed.
    """
    ids = [int(pk) for pk in cable_ids]
    if ids:
        backend().index(ids)


def unindex_cables(cable_ids: Sequence[int]) -> None:
    """Take indexed cables out of the index; call before their text, tags or origin change."""
    ids = [int(pk) for pk in cable_ids]
    if ids:
        backend().unindex(ids)


def unindex_deleted(sender: type[Cable], instance: Cable, **kwargs: object) -> None:
    """pre_delete: a deleted cable leaves the index while its TAGs and text are still there."""
    unindex_cables([instance.pk])


def rebuild_index() -> None:
    """Index every cable again from the stored text (after a migration or a repair)."""
    backend().rebuild()


def matching(queryset: QuerySet[Cable], text: str) -> QuerySet[Cable]:
    """Cables matching the query; a query with no positive words matches nothing."""
    query = parse_query(text)
    return backend().matching(queryset, query) if query else queryset.none()


def by_relevance(queryset: QuerySet[Cable], text: str) -> Ranking:
    """The ranked head of the cables of `queryset` that match, best first; `ranked_count` says
    how long it is. `queryset` holds every other filter: the ranking does the matching."""
    query = parse_query(text)
    return backend().by_relevance(queryset, query) if query else queryset.none()


def count_matching(queryset: QuerySet[Cable], text: str) -> int:
    """How many cables of `queryset` (every other filter) match the query."""
    query = parse_query(text)
    return backend().count(queryset, query) if query else 0


def dated_ids(
    queryset: QuerySet[Cable], text: str, ordered: QuerySet[Cable], start: int, stop: int
) -> Expression | None:
    """Rows start..stop of `ordered`, the matches of `queryset` by date, as an id subquery
    written for this database; None where the database plans it well alone."""
    query = parse_query(text)
    return backend().dated_ids(queryset, ordered, start, stop) if query else None


def ranked_count(total: int | None) -> int | None:
    """How many of `total` matches `by_relevance` ranks (None: all); the rest follow by date."""
    return backend().ranked_count(total)


def snippets(cable_ids: Iterable[int], text: str) -> dict[int, SafeString]:
    """An escaped passage of each cable's body with the matching words in <mark>, in one query."""
    ids = [int(pk) for pk in cable_ids]
    query = _readable(text)
    if not ids or not query:
        return {}
    return {pk: marked(passage or "") for pk, passage in backend().snippets(ids, query)}


def highlight_body(cable_id: int, body: str, text: str) -> str:
    """The whole body with MARK_START/MARK_STOP around matching words (not yet escaped)."""
    query = _readable(text)
    if not query:
        return body
    highlighted = backend().highlight(cable_id, query)
    # ts_headline drops anything that looks like an HTML tag; never show a cable altered.
    plain = (highlighted or "").replace(MARK_START, "").replace(MARK_STOP, "")
    return highlighted if highlighted is not None and plain == body else body


def marked(text: str) -> SafeString:
    """Escape text, then turn the highlight markers into <mark> elements."""
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped on the line above


def _readable(text: str) -> Query:
    """The query, or an empty one where it cannot run: highlighting never fails a page."""
    try:
        return parse_query(text)
    except QueryError:
        return Query(text)
