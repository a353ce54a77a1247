"""What a search backend does; one is chosen per database connection (see `backend()`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from django.db.models import Expression, QuerySet

from ..models import Cable
from .query import Query

# Private-use characters mark highlights in database output, so the text can be escaped first.
MARK_START, MARK_STOP = "\ue000", "\ue001"


class Ranking(Protocol):
    """Cables best first, read a slice or a stream at a time (a QuerySet is one)."""

    def __getitem__(self, window: slice, /) -> Iterable[Cable]: ...

    def iterator(self, chunk_size: int = ...) -> Iterator[Cable]: ...


class SearchBackend:
    """The full-text index of the cables and the queries over it, for one kind of database."""

    def index(self, cable_ids: Sequence[int]) -> None:
        """Index these cables, whose text, TAGs and origin are saved."""
        raise NotImplementedError

    def unindex(self, cable_ids: Sequence[int]) -> None:
        """Take these cables out of the index, before their text, TAGs or origin change."""

    def rebuild(self) -> None:
        """Index every cable again from the stored text."""
        raise NotImplementedError

    def matching(self, queryset: QuerySet[Cable], query: Query) -> QuerySet[Cable]:
        """The cables of `queryset` that match a query with positive words."""
        raise NotImplementedError

    def by_relevance(self, queryset: QuerySet[Cable], query: Query) -> Ranking:
        """The ranked head of the matches among `queryset`, best first (see `ranked_count`)."""
        raise NotImplementedError

    def count(self, queryset: QuerySet[Cable], query: Query) -> int:
        """How many cables of `queryset` match."""
        return self.matching(queryset, query).count()

    def dated_ids(
        self, queryset: QuerySet[Cable], ordered: QuerySet[Cable], start: int, stop: int
    ) -> Expression | None:
        """Rows start..stop of `ordered` (the matches by date) as a subquery, or None."""
        return None

    def reading_index(self, sql: str, index: str) -> str:
        """The SQL of a query over the cables, told to read them through `index` where this
        database's planner would read each row instead."""
        return sql

    def ranked_count(self, total: int | None) -> int | None:
        """How many of `total` matches `by_relevance` ranks (None: all)."""
        return total

    def snippets(self, cable_ids: Sequence[int], query: Query) -> list[tuple[int, str | None]]:
        """A passage of each cable's body, matching words between MARK_START and MARK_STOP."""
        raise NotImplementedError

    def highlight(self, cable_id: int, query: Query) -> str | None:
        """The cable's whole body, matching words between the marks (None: no such cable)."""
        raise NotImplementedError
