"""The pages users see. The work sits in filters, facets, search and QuerySet methods."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import display, exports, search
from .conditional import revalidated
from .facets import Period, facet_results, summarize, unfiltered
from .feeds import CableFeed
from .filters import SORTS, CableFilter
from .models import Cable, CableAlias, CableTag, Origin, OriginAlias, Recipient, Tag
from .ratelimit import retry_after
from .timelimit import OutOfTime, time_limit

PAGE_SIZE = 50
FIRST_YEAR, LAST_YEAR = 1966, 2010


class ArchivePaginator(Paginator):
    """Pages of a count known in advance, read from the other end past the middle.

    OFFSET costs as many rows as it skips, so the last page of 251,287 cables is read as the
    first page of the reversed order: no page ever skips more than half the result. The rows
    skipped are ids read from the (created, id) index, and only the page's rows are fetched.
    A relevance sort ranks its first `ranked_count` rows; the rest are the date order's.
    """

    def __init__(
        self,
        dated: QuerySet,
        per_page: int,
        *,
        count: int,
        ranked: search.Ranking | None = None,
        ranked_count: int = 0,
        dated_ids: Callable[[QuerySet, int, int], Any],
    ) -> None:
        super().__init__(dated, per_page)
        self.known_count = count
        self.dated_ids = dated_ids
        self.ranked, self.ranked_count = ranked, ranked_count if ranked is not None else 0

    @property
    def count(self) -> int:
        return self.known_count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = []
        if bottom < self.ranked_count:
            rows = list(self.ranked[bottom : min(top, self.ranked_count)])
        if top > self.ranked_count:
            rows += self.dated_rows(max(bottom, self.ranked_count), top)
        return self._get_page(rows, number, self)

    def dated_rows(self, start: int, stop: int) -> list:
        if start > self.count // 2:
            rows = self.rows(self.object_list.reverse(), self.count - stop, self.count - start)
            rows.reverse()
            return rows
        return self.rows(self.object_list, start, stop)

    def rows(self, queryset: QuerySet, start: int, stop: int) -> list:
        return list(queryset.filter(pk__in=self.dated_ids(queryset, start, stop)))


def paginate(filterset: CableFilter, number: str | None, count: int):
    ranked = filterset.ranked()
    paginator = ArchivePaginator(
        filterset.dated(),
        PAGE_SIZE,
        count=count,
        ranked=ranked,
        ranked_count=search.ranked_count(count) if ranked is not None else 0,
        dated_ids=filterset.dated_ids,
    )
    try:
        page = paginator.page(number or 1)
    except InvalidPage as error:
        raise Http404(str(error)) from error
    found = search.snippets([c.pk for c in page], filterset.text) if filterset.text else {}
    for cable in page:
        cable.snippet = found.get(cable.pk)
    return page


@require_safe
@revalidated
def home(request: HttpRequest) -> HttpResponse:
    summary = summarize(Cable.objects.all())
    months = summary.months
    context = {
        "totals": {
            "count": summary.count,
            "first": month_start(months[0][0]) if months else None,
            "last": month_start(months[-1][0]) if months else None,
        },
        "origin_count": len(summary.origins),
        "chart": display.month_chart(months),
        "origins": summary.origins[:10],
        "tags": summary.tags[:15],
        "recent": Cable.objects.for_list().order_by("-created", "-id")[:10],
    }
    return render(request, "cables/home.html", context)


@require_safe
@revalidated
def cable_list(request: HttpRequest) -> HttpResponse:
    renamed = renamed_origins(request)
    if renamed:
        return HttpResponsePermanentRedirect(renamed)
    filterset = CableFilter(request.GET, queryset=Cable.objects.all())
    output = request.GET.get("format", "html")
    if output == "csv":
        wait = retry_after(request, "csv", settings.CABLEARCHIVE_EXPORTS_PER_MINUTE)
        if wait is not None:
            return too_many_exports(wait)
        return exports.csv_response(filterset.ordered(), request)
    if output == "atom":
        return CableFeed()(request)
    try:
        with time_limit(settings.CABLEARCHIVE_SEARCH_TIME_LIMIT_MS):
            return _list_page(request, filterset, output)
    except OutOfTime:
        message = (
            "This search took too long and was stopped. Try fewer words, fewer prefixes (word*) "
            "or another filter beside it.\n"
        )
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")


def _list_page(request: HttpRequest, filterset: CableFilter, output: str) -> HttpResponse:
    limit = None if request.GET.get("facets") == "all" else settings.FACETS_TIME_LIMIT_MS
    summary = summarize(filterset.qs, milliseconds=limit, count=filterset.count)
    page = paginate(filterset, request.GET.get("page"), summary.count)
    facets = facet_results(filterset.qs, request.GET, summary=summary)
    if output == "json":
        return JsonResponse(exports.list_json(request, page, facets, complete=summary.complete))
    context = {
        "facets_complete": summary.complete,
        "all_facets_url": all_facets_url(request),
        "filter": filterset,
        "page": page,
        "facets": facets,
        "chart": display.month_chart(summary.months),
        "sorts": SORTS,
        "kept": kept_params(request),
        "links": export_links(request),
        "pages": page_links(request, page),
    }
    return render(request, "cables/cable_list.html", context)


@require_safe
@revalidated
def cable_detail(request: HttpRequest, refid: str) -> HttpResponse:
    cable = Cable.objects.for_detail().filter(refid=refid).first()
    if cable is None:
        return former_refid(request, refid, "cables:cable_detail")
    if request.GET.get("format") == "json":
        return JsonResponse(exports.cable_json(cable, request))
    text = request.GET.get("q", "")[:500]
    body = search.highlight_body(cable.pk, cable.body, text) if text.strip() else cable.body
    recipients = cable.recipients.all()
    context = {
        "cable": cable,
        "q": text,
        "to": [r for r in recipients if r.role == Recipient.Role.ACTION],
        "info": [r for r in recipients if r.role == Recipient.Role.INFO],
        "paragraphs": display.paragraphs(body),
        "as_written": display.as_written(cable.corrections, cable.tags_as_written),
        "previous": Cable.objects.previous_in_post(cable),
        "next": Cable.objects.next_in_post(cable),
    }
    return render(request, "cables/cable_detail.html", context)


@require_safe
@revalidated
def cable_raw(request: HttpRequest, refid: str) -> HttpResponse:
    raw = Cable.objects.filter(refid=refid).values_list("raw", flat=True).first()
    if raw is None:
        return former_refid(request, refid, "cables:cable_raw")
    return HttpResponse(raw, content_type="text/plain; charset=utf-8")


def former_refid(request: HttpRequest, refid: str, view: str) -> HttpResponse:
    """A reference id a reparse replaced redirects to the cable; any other is not found."""
    now = CableAlias.objects.filter(refid=refid).values_list("cable__refid", flat=True).first()
    if now is None:
        return render(request, "cables/cable_missing.html", {"refid": refid}, status=404)
    query = request.GET.urlencode()
    return HttpResponsePermanentRedirect(reverse(view, args=[now]) + (f"?{query}" if query else ""))


def renamed_origins(request: HttpRequest) -> str | None:
    """The same list under the posts' current slugs, if it names a renamed post; else None."""
    slugs = request.GET.getlist("origin")
    if not slugs:
        return None
    renamed = dict(OriginAlias.objects.filter(slug__in=slugs).values_list("slug", "origin__slug"))
    if not renamed:
        return None
    params = request.GET.copy()
    params.setlist("origin", list(dict.fromkeys(renamed.get(slug, slug) for slug in slugs)))
    return f"{request.path}?{params.urlencode()}"


@require_safe
@revalidated
def origin_list(request: HttpRequest) -> HttpResponse:
    years = unfiltered("origin-years", origin_years)
    origins = Origin.objects.filter(id__in=years).order_by("name")
    rows = [(o, display.sparkline(years[o.pk], FIRST_YEAR, LAST_YEAR)) for o in origins]
    for origin, _sparkline in rows:
        origin.count = sum(years[origin.pk].values())
    return render(
        request, "cables/origin_list.html", {"rows": rows, "width": 2 * (LAST_YEAR - FIRST_YEAR)}
    )


def origin_years() -> dict[int, dict[str, int]]:
    """{origin id: {"YYYY": cables}} for every post that sent cables."""
    years: dict[int, dict[str, int]] = {}
    per_year = Cable.objects.annotate(year=Period("created", 4)).values("origin_id", "year")
    for row in per_year.annotate(n=Count("id")).order_by():
        years.setdefault(row["origin_id"], {})[row["year"]] = row["n"]
    return years


@require_safe
@revalidated
def tag_list(request: HttpRequest) -> HttpResponse:
    counts = unfiltered("tag-counts", tag_counts)
    tags = list(Tag.objects.filter(id__in=counts).order_by("code"))
    for tag in tags:
        tag.count = counts[tag.pk]
    return render(request, "cables/tag_list.html", {"tags": tags})


def tag_counts() -> dict[int, int]:
    links = CableTag.objects.values("tag_id").annotate(n=Count("id")).order_by()
    return {row["tag_id"]: row["n"] for row in links}


def month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)


def kept_params(request: HttpRequest) -> list[tuple[str, str]]:
    """Facet choices the search form carries along as hidden fields."""
    keys = ("origin", "tag", "classification", "precedence")
    return [(key, value) for key in keys for value in request.GET.getlist(key)]


def page_links(request: HttpRequest, page) -> dict[str, str]:
    params = request.GET.copy()

    def url(number: int) -> str:
        params["page"] = str(number)
        return "?" + params.urlencode()

    links = {}
    if page.has_previous():
        links |= {"first": url(1), "previous": url(page.previous_page_number())}
    if page.has_next():
        links |= {"next": url(page.next_page_number()), "last": url(page.paginator.num_pages)}
    return links


def too_many_exports(wait: int) -> HttpResponse:
    message = f"Too many CSV exports from your address in the last minute; try again in {wait} s.\n"
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response


def all_facets_url(request: HttpRequest) -> str:
    params = request.GET.copy()
    params["facets"] = "all"
    return "?" + params.urlencode()


def export_links(request: HttpRequest) -> dict[str, str]:
    params = request.GET.copy()
    params.pop("page", None)
    links = {}
    for output in ("json", "csv", "atom"):
        params["format"] = output
        links[output] = "?" + params.urlencode()
    return links
