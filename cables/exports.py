"""The list and the cable as data: JSON objects and a streamed CSV of every matching row."""

import csv
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from .search import Ranking

CSV_COLUMNS = [
    "refid",
    "date",
    "origin",
    "classification",
    "precedence",
    "subject",
    "tags",
    "url",
]
CSV_CHUNK = 2000
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cable_row(cable, request: HttpRequest) -> dict[str, Any]:
    return {
        "refid": cable.refid,
        "date": cable.created.isoformat() if cable.created else None,
        "origin": cable.origin.name,
        "classification": cable.classification,
        "precedence": cable.precedence,
        "subject": cable.subject,
        "tags": [tag.code for tag in cable.tag_list],
        "url": request.build_absolute_uri(cable.get_absolute_url()),
    }


def list_json(
    request: HttpRequest, page: Page, facets: list[dict], *, complete: bool = True
) -> dict[str, Any]:
    params = request.GET.copy()

    def page_url(number: int) -> str:
        params["page"] = str(number)
        return request.build_absolute_uri("?" + params.urlencode())

    return {
        "count": page.paginator.count,
        "page": page.number,
        "next": page_url(page.next_page_number()) if page.has_next() else None,
        "previous": page_url(page.previous_page_number()) if page.has_previous() else None,
        "results": [
            {**cable_row(cable, request), "snippet": getattr(cable, "snippet", None)}
            for cable in page
        ],
        "facets": facets,
        "facets_complete": complete,
    }


def cable_json(cable, request: HttpRequest) -> dict[str, Any]:
    """Everything the cable page shows, from a cable fetched with for_detail()."""
    return {
        **cable_row(cable, request),
        "dump_id": cable.dump_id,
        "transmission_id": cable.transmission_id,
        "summary": cable.summary,
        "signed_by": cable.signed_by,
        "classified_by": cable.classified_by,
        "classification_reasons": cable.classification_reasons,
        "declassify_on": cable.decl_date.isoformat() if cable.decl_date else None,
        "caveats": cable.caveats,
        "recipients": [
            {"role": r.role, "name": r.name, "route": r.route, "precedence": r.precedence}
            for r in cable.recipients.all()
        ],
        "tags_as_written": cable.tags_as_written,
        "references": [
            {
                "refid": ref.target_refid,
                "in_archive": ref.cited_id is not None,
                "as_written": ref.text,
            }
            for ref in cable.references.all()
        ],
        "cited_by": [ref.citing.refid for ref in cable.cited_by.all()],
        "header": cable.header,
        "body": cable.body,
        "source": {"file": cable.source_name, "format": cable.source_format},
        "corrections": cable.corrections,
        "warnings": cable.warnings,
    }


class Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    parts: Sequence[QuerySet | Ranking], request: HttpRequest
) -> StreamingHttpResponse:
    """Every matching cable, part after part, streamed in chunks with their tags prefetched."""
    response = StreamingHttpResponse(
        _csv_lines(parts, request), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="cables.csv"'
    return response


def _csv_lines(parts: Sequence[QuerySet | Ranking], request: HttpRequest) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_COLUMNS)
    for cable in chain.from_iterable(part.iterator(chunk_size=CSV_CHUNK) for part in parts):
        row = cable_row(cable, request)
        row["tags"] = " ".join(row["tags"])
        yield writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
