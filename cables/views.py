"""The pages users see. The work sits in filters, facets, search and QuerySet methods."""

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count, Max, Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from . import display, exports, search
from .facets import FACETS, Period, facet_results, monthly_counts
from .feeds import CableFeed
from .filters import SORTS, CableFilter
from .models import Cable, Origin, Recipient, Tag

PAGE_SIZE = 50
FIRST_YEAR, LAST_YEAR = 1966, 2010


class ArchivePaginator(Paginator):
    """Counts on the unordered filter, and reads pages past the middle from the other end.

    OFFSET costs as many rows as it skips, so the last page of 251,287 cables is read as the
    first page of the reversed order: no page ever skips more than half the result. The rows
    skipped are ids read from the (created, id) index, and only the page's rows are fetched.
    """

    def __init__(self, object_list: QuerySet, per_page: int, *, count_from: QuerySet) -> None:
        super().__init__(object_list, per_page)
        self.count_from = count_from

    @cached_property
    def count(self) -> int:
        return self.count_from.count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom > self.count // 2:
            rows = self.rows(self.object_list.reverse(), self.count - top, self.count - bottom)
            rows.reverse()
        else:
            rows = self.rows(self.object_list, bottom, top)
        return self._get_page(rows, number, self)

    @staticmethod
    def rows(queryset: QuerySet, start: int, stop: int) -> list:
        if "rank" in queryset.query.annotations or queryset.query.extra:
            return list(queryset[start:stop])
        return list(queryset.filter(pk__in=queryset.values("pk")[start:stop]))


def paginate(filterset: CableFilter, number: str | None):
    paginator = ArchivePaginator(filterset.ordered(), PAGE_SIZE, count_from=filterset.qs)
    try:
        page = paginator.page(number or 1)
    except InvalidPage as error:
        raise Http404(str(error)) from error
    found = search.snippets([c.pk for c in page], filterset.text) if filterset.text else {}
    for cable in page:
        cable.snippet = found.get(cable.pk)
    return page


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    cables = Cable.objects.all()
    context = {
        "totals": cables.aggregate(count=Count("id"), first=Min("created"), last=Max("created")),
        "origin_count": Origin.objects.count(),
        "chart": display.month_chart(monthly_counts(cables)),
        "origins": FACETS[0].rows(cables, 10),
        "tags": FACETS[1].rows(cables, 15),
        "recent": cables.for_list().order_by("-created", "-id")[:10],
    }
    return render(request, "cables/home.html", context)


@require_GET
def cable_list(request: HttpRequest) -> HttpResponse:
    filterset = CableFilter(request.GET, queryset=Cable.objects.all())
    output = request.GET.get("format", "html")
    if output == "csv":
        return exports.csv_response(filterset.ordered(), request)
    if output == "atom":
        return CableFeed()(request)
    page = paginate(filterset, request.GET.get("page"))
    facets = facet_results(filterset.qs, request.GET)
    if output == "json":
        return JsonResponse(exports.list_json(request, page, facets))
    context = {
        "filter": filterset,
        "page": page,
        "facets": facets,
        "chart": display.month_chart(monthly_counts(filterset.qs)),
        "sorts": SORTS,
        "kept": kept_params(request),
        "links": export_links(request),
        "pages": page_links(request, page),
    }
    return render(request, "cables/cable_list.html", context)


@require_GET
def cable_detail(request: HttpRequest, refid: str) -> HttpResponse:
    cable = Cable.objects.for_detail().filter(refid=refid).first()
    if cable is None:
        return render(request, "cables/cable_missing.html", {"refid": refid}, status=404)
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
        "previous": Cable.objects.previous_in_post(cable),
        "next": Cable.objects.next_in_post(cable),
    }
    return render(request, "cables/cable_detail.html", context)


@require_GET
def cable_raw(request: HttpRequest, refid: str) -> HttpResponse:
    raw = Cable.objects.filter(refid=refid).values_list("raw", flat=True).first()
    if raw is None:
        return render(request, "cables/cable_missing.html", {"refid": refid}, status=404)
    return HttpResponse(raw, content_type="text/plain; charset=utf-8")


@require_GET
def origin_list(request: HttpRequest) -> HttpResponse:
    years: dict[int, dict[str, int]] = {}
    per_year = Cable.objects.annotate(year=Period("created", 4)).values("origin_id", "year")
    for row in per_year.annotate(n=Count("id")).order_by():
        years.setdefault(row["origin_id"], {})[row["year"]] = row["n"]
    origins = Origin.objects.annotate(count=Count("cables")).filter(count__gt=0).order_by("name")
    rows = [(o, display.sparkline(years.get(o.pk, {}), FIRST_YEAR, LAST_YEAR)) for o in origins]
    return render(
        request, "cables/origin_list.html", {"rows": rows, "width": 2 * (LAST_YEAR - FIRST_YEAR)}
    )


@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    tags = Tag.objects.annotate(count=Count("cabletag")).filter(count__gt=0).order_by("code")
    return render(request, "cables/tag_list.html", {"tags": tags})


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


def export_links(request: HttpRequest) -> dict[str, str]:
    params = request.GET.copy()
    params.pop("page", None)
    links = {}
    for output in ("json", "csv", "atom"):
        params["format"] = output
        links[output] = "?" + params.urlencode()
    return links
