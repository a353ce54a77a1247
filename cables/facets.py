"""Facet counts for an already-filtered queryset, in the manner of datasette's facets.

Each facet is a small object whose `results()` returns plain dicts. Counts group on indexed
columns (origin, classification, created, the cable-tag table) and never read a cable's text.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, Func, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .models import CableTag

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


def monthly_counts(queryset: QuerySet) -> list[tuple[str, int]]:
    """("YYYY-MM", count) for every month with cables, oldest first: the data of the charts."""
    counts = (
        queryset.order_by()
        .filter(created__isnull=False)
        .annotate(month=Period("created", 7))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return [(row["month"], row["n"]) for row in counts]


@dataclass
class Facet:
    name: str
    title: str
    size: int = 10
    single: bool = False

    def rows(self, queryset: QuerySet, limit: int) -> list[tuple[Any, str, int]]:
        raise NotImplementedError

    def results(self, queryset: QuerySet, params: QueryDict) -> dict[str, Any]:
        rows = self.rows(queryset.order_by(), self.size + 1)
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


class OriginFacet(Facet):
    def rows(self, queryset: QuerySet, limit: int) -> list[tuple[Any, str, int]]:
        counts = (
            queryset.values("origin__slug", "origin__name")
            .annotate(n=Count("id"))
            .order_by("-n", "origin__name")
        )
        return [(r["origin__slug"], r["origin__name"], r["n"]) for r in counts[:limit]]


class TagFacet(Facet):
    def rows(self, queryset: QuerySet, limit: int) -> list[tuple[Any, str, int]]:
        links = CableTag.objects.all()
        if queryset.query.where:
            # An unfiltered list skips the semi-join and groups the link table directly.
            links = links.filter(cable__in=queryset.values("id"))
        counts = links.values("tag__code").annotate(n=Count("id")).order_by("-n", "tag__code")
        return [(r["tag__code"], r["tag__code"], r["n"]) for r in counts[:limit]]


class ClassificationFacet(Facet):
    def rows(self, queryset: QuerySet, limit: int) -> list[tuple[Any, str, int]]:
        counts = (
            queryset.values("classification")
            .annotate(n=Count("id"))
            .order_by("-n", "classification")
        )
        return [(r["classification"], r["classification"], r["n"]) for r in counts[:limit]]


class YearFacet(Facet):
    def rows(self, queryset: QuerySet, limit: int) -> list[tuple[Any, str, int]]:
        counts = (
            queryset.filter(created__isnull=False)
            .annotate(year=Period("created", 4))
            .values("year")
            .annotate(n=Count("id"))
            .order_by("-year")
        )
        return [(r["year"], r["year"], r["n"]) for r in counts[:limit]]


FACETS = (
    OriginFacet("origin", _("Origin")),
    TagFacet("tag", _("TAG"), size=15),
    ClassificationFacet("classification", _("Classification")),
    YearFacet("year", _("Year"), size=50, single=True),
)


def facet_results(queryset: QuerySet, params: QueryDict) -> list[dict[str, Any]]:
    """One dict per facet, each a single query on the filtered cables."""
    return [facet.results(queryset, params) for facet in FACETS]
