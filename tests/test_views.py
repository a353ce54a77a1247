from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cables import search
from cables.models import Cable
from cables.timelimit import OutOfTime
from tests.fixtures_web import make_cable

pytest_plugins = ["tests.fixtures_web"]

pytestmark = pytest.mark.django_db
LIST = reverse("cables:cable_list")
# A time limit on PostgreSQL is, inside a test's transaction, four statements: a savepoint, the
# setting, its undoing and the release. The list page runs under one (and its summary another).
LIMIT = 4 if connection.vendor == "postgresql" else 0


def listed(response) -> list[str]:
    return [cable.refid for cable in response.context["page"]]


def test_the_home_page_shows_totals_busiest_posts_and_recent_cables(client, archive):
    response = client.get(reverse("cables:home"))
    assert response.status_code == 200
    assert response.context["totals"]["count"] == 14
    assert response.context["origins"][0][1] == "Embassy Tehran"
    assert "07LIMA3700" in response.content.decode()


def test_the_list_shows_newest_first_by_default(client, archive):
    assert listed(client.get(LIST))[:3] == ["07LIMA3700", "07LIMA3673", "78KABUL3619"]


def test_oldest_first_reverses_the_order(client, archive):
    assert listed(client.get(LIST, {"sort": "oldest"}))[0] == "66BUENOSAIRES2481"


def test_filtering_by_origin_keeps_only_that_post(client, archive):
    response = client.get(LIST, {"origin": "embassy-kabul"})
    assert listed(response) == ["78KABUL3619"]


def test_repeating_origin_accepts_either_post(client, archive):
    response = client.get(LIST, {"origin": ["embassy-kabul", "embassy-libreville"]})
    assert set(listed(response)) == {"78KABUL3619", "7575LIBREVILLE1895"}


def test_filtering_by_tag_snar_finds_both_lima_cables(client, archive):
    assert set(listed(client.get(LIST, {"tag": "SNAR"}))) == {"07LIMA3673", "07LIMA3700"}


def test_several_tags_must_all_be_present_by_default(client, archive):
    assert listed(client.get(LIST, {"tag": ["PTER", "PE"]})) == ["07LIMA3673"]


def test_tag_mode_any_accepts_either_tag(client, archive):
    response = client.get(LIST, {"tag": ["AF", "PE"], "tag_mode": "any"})
    assert set(listed(response)) == {"07LIMA3673", "07LIMA3700", "78KABUL3619"}


def test_filtering_by_classification(client, archive):
    assert set(listed(client.get(LIST, {"classification": "SECRET"}))) == {
        "73TEHRAN2077",
        "73TEHRAN8233",
    }


def test_a_date_range_includes_both_end_days(client, archive):
    response = client.get(LIST, {"date_after": "1973-04-02", "date_before": "1973-11-21"})
    assert listed(response) == ["73TEHRAN8233", "73TEHRAN7005", "73TEHRAN2077"]


def test_year_keeps_one_year(client, archive):
    assert set(listed(client.get(LIST, {"year": "1972"}))) == {
        "72TEHRAN1164",
        "72TEHRAN1381",
        "72TEHRAN4789",
        "72TEHRAN5055",
    }


def test_recipient_with_role_finds_action_addressees_only(client, archive):
    assert listed(client.get(LIST, {"recipient": "secstate washdc"})) == ["07LIMA3673"]
    action = client.get(LIST, {"recipient": "AMEMBASSY BOGOTA", "recipient_role": "action"})
    info = client.get(LIST, {"recipient": "AMEMBASSY BOGOTA", "recipient_role": "info"})
    assert (listed(action), listed(info)) == ([], ["07LIMA3673"])


def test_precedence_filters_on_the_transmission_precedence(client, archive):
    assert listed(client.get(LIST, {"precedence": "PRIORITY"})) == ["07LIMA3673"]


def test_a_text_search_is_sorted_by_relevance_and_shows_highlighted_snippets(client, archive):
    response = client.get(LIST, {"q": "coca eradication"})
    assert set(listed(response)) == {"07LIMA3700", "07LIMA3673"}
    assert response.context["filter"].sort_order == "relevance"
    assert "<mark>" in response.content.decode()


def test_a_text_search_can_be_sorted_by_date(client, archive):
    response = client.get(LIST, {"q": "shah", "sort": "oldest"})
    dates = [cable.created for cable in response.context["page"]]
    assert len(dates) > 1
    assert dates == sorted(dates)


def test_the_list_links_each_cable_with_the_search_terms(client, archive):
    response = client.get(LIST, {"q": "cocaine"})
    assert 'href="/cables/07LIMA3673/?q=cocaine"' in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"date_after": "2007-13-45"},
        {"year": "99999999999"},
        {"year": "nineteen"},
        {"origin": "embassy-atlantis"},
        {"tag": "NOSUCHTAG"},
        {"precedence": "WHENEVER"},
        {"sort": "sideways"},
        {"recipient_role": "cc"},
    ],
)
def test_bad_filter_values_show_the_error_and_an_empty_result(client, archive, params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert response.context["filter"].errors
    assert listed(response) == []
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "subject:shah",
        "(shah OR",
        "'; DROP TABLE cables_cable; --",
        "-",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR/5",
        "x NEAR/5",
        "**",
        "\u201cshah",
    ],
)
def test_odd_search_text_is_never_an_error(client, archive, q):
    assert client.get(LIST, {"q": q}).status_code == 200


@pytest.mark.parametrize(
    ("q", "reason"),
    [
        ("x" * 1001, "at most 1,000 characters"),
        (" ".join(f"w{i}" for i in range(65)), "at most 64 words"),
        ("na*", "at least 3 letters"),
        ("NEAR(shah, 3)", "NEAR takes two words"),
    ],
)
def test_a_search_that_cannot_run_says_why(client, archive, q, reason):
    response = client.get(LIST, {"q": q})
    assert response.status_code == 200
    assert reason in response.content.decode()
    cable = client.get(reverse("cables:cable_detail", args=["07LIMA3673"]), {"q": q})
    assert cable.status_code == 200


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "99999999999999999999"])
def test_a_page_past_the_end_is_a_404(client, archive, page):
    assert client.get(LIST, {"page": page}).status_code == 404


def test_pages_past_the_middle_read_from_the_other_end_in_the_same_order(client, db, monkeypatch):
    for day in range(1, 8):
        make_cable(f"09LIMA{day}", body="x", created=datetime(2009, 1, day, tzinfo=UTC))
    monkeypatch.setattr("cables.views.PAGE_SIZE", 2)
    pages = [listed(client.get(LIST, {"page": n})) for n in (1, 2, 3, 4)]
    assert pages == [
        ["09LIMA7", "09LIMA6"],
        ["09LIMA5", "09LIMA4"],
        ["09LIMA3", "09LIMA2"],
        ["09LIMA1"],
    ]


def test_facets_count_the_filtered_cables(client, archive):
    response = client.get(LIST, {"q": "shah"})
    facets = {f["name"]: f for f in response.context["facets"]}
    origins = [(v["label"], v["count"]) for v in facets["origin"]["values"]]
    assert origins == [("Embassy Tehran", len(listed(response)))]
    assert {v["value"] for v in facets["tag"]["values"]} >= {"IR"}


def test_a_facet_value_links_to_the_list_with_it_added(client, archive):
    facets = client.get(LIST, {"q": "shah"}).context["facets"]
    tehran = facets[0]["values"][0]
    assert tehran["toggle_url"] == "?q=shah&origin=embassy-tehran"
    assert tehran["selected"] is False


def test_a_selected_facet_value_links_to_the_list_without_it(client, archive):
    facets = client.get(LIST, {"origin": "embassy-tehran", "page": "1"}).context["facets"]
    tehran = facets[0]["values"][0]
    assert (tehran["selected"], tehran["toggle_url"]) == (True, "?")


def test_the_cable_page_shows_metadata_body_and_links(client, archive):
    response = client.get(reverse("cables:cable_detail", args=["07LIMA3673"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/cables/?origin=embassy-lima"' in html
    assert 'href="/cables/?tag=SNAR"' in html
    assert 'id="p3"' in html
    assert '<span class="marking">(C)</span>' in html
    assert "SECSTATE WASHDC" in html


def test_a_cited_cable_missing_from_the_archive_is_shown_as_such(client, archive):
    html = client.get(reverse("cables:cable_detail", args=["07LIMA3673"])).content.decode()
    assert '<span class="missing">07LIMA3638</span> <small>(not in the archive)</small>' in html


def test_the_cable_page_lists_the_cables_that_cite_it(client, archive):
    response = client.get(reverse("cables:cable_detail", args=["07LIMA3673"]))
    assert [r.citing.refid for r in response.context["cable"].cited_by.all()] == ["07LIMA3700"]
    assert 'href="/cables/07LIMA3700/"' in response.content.decode()


def test_the_cable_page_links_the_previous_and_next_cable_of_the_same_post(client, archive):
    response = client.get(reverse("cables:cable_detail", args=["73TEHRAN7005"]))
    assert (response.context["previous"].refid, response.context["next"].refid) == (
        "73TEHRAN2077",
        "73TEHRAN8233",
    )


def test_the_search_terms_are_highlighted_on_the_cable_page(client, archive):
    url = reverse("cables:cable_detail", args=["07LIMA3673"])
    html = client.get(url, {"q": "cocaine"}).content.decode()
    assert "<mark>cocaine</mark>" in html


def test_an_unknown_reference_id_is_a_404_that_offers_a_search(client, archive):
    response = client.get(reverse("cables:cable_detail", args=["07NOWHERE1"]))
    assert response.status_code == 404
    assert 'value="07NOWHERE1"' in response.content.decode()


def test_cable_text_is_escaped_not_run(client, db):
    make_cable("09XSS1", subject="<b>BOLD</b>", body="1. (U) <script>alert(1)</script> cocaine")
    detail = client.get(reverse("cables:cable_detail", args=["09XSS1"]), {"q": "cocaine"})
    listing = client.get(LIST, {"q": "<script>"})
    assert "<script>alert" not in detail.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.content.decode()
    assert "<script>" not in listing.content.decode().split("</header>", 1)[1]


def test_the_raw_text_is_served_as_plain_text(client, lima):
    response = client.get(reverse("cables:cable_raw", args=["07LIMA3673"]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == lima.raw


def test_the_embassies_page_lists_every_post_with_its_count(client, archive):
    rows = client.get(reverse("cables:origin_list")).context["rows"]
    assert [(origin.name, origin.count) for origin, _ in rows][:2] == [
        ("Embassy Buenos Aires", 1),
        ("Embassy Kabul", 1),
    ]


def test_the_tags_page_is_a_glossary_with_counts(client, archive):
    tags = {tag.code: tag.count for tag in client.get(reverse("cables:tag_list")).context["tags"]}
    assert tags["SNAR"] == 2
    assert tags["IR"] == 9


def test_the_list_issues_a_fixed_number_of_queries_whatever_the_page_size(
    client, archive, django_assert_num_queries
):
    # archive version, one summary (count, four facets, chart), page, tags of the page
    with django_assert_num_queries(4 + LIMIT):
        client.get(LIST)
    make_cable("09LIMA1", body="x", tags=["PE", "SNAR", "PGOV"])
    with django_assert_num_queries(4 + LIMIT):
        client.get(LIST)


def test_the_unfiltered_list_reads_its_summary_from_the_cache_until_the_archive_changes(
    client, archive, django_assert_num_queries
):
    client.get(LIST)
    with django_assert_num_queries(3 + LIMIT):
        client.get(LIST)
    make_cable("09LIMA1", body="x", tags=["PE"])
    assert client.get(LIST).context["page"].paginator.count == 15


def test_a_search_adds_only_the_snippets_query(client, archive, django_assert_num_queries):
    # one summary (count, four facets, chart), page, tags of the page, snippets; SQLite ranks
    # in its full-text index first, then reads the page's cables by id; PostgreSQL's time limit
    # on the summary adds, inside a test's transaction, a savepoint, the setting, its undoing and
    # the release; and the archive version its ETag is made of
    with django_assert_num_queries(1 + (5 if connection.vendor == "sqlite" else 4 + 2 * LIMIT)):
        client.get(LIST, {"q": "shah"})


def test_the_cable_page_issues_a_fixed_number_of_queries(
    client, archive, django_assert_num_queries
):
    # the archive version (its ETag), cable, tags, recipients, references, cited by, versions,
    # previous, next
    with django_assert_num_queries(9):
        client.get(reverse("cables:cable_detail", args=["07LIMA3673"]))
    with django_assert_num_queries(9):
        client.get(reverse("cables:cable_detail", args=["72TEHRAN1164"]))


def test_the_home_page_issues_a_fixed_number_of_queries(client, archive, django_assert_num_queries):
    # archive version, one summary (totals, chart, busiest posts and TAGs), recent, their tags
    with django_assert_num_queries(4):
        client.get(reverse("cables:home"))


def test_a_relevance_sort_continues_by_date_past_the_ranked_candidates(
    client, archive, monkeypatch
):
    newest = listed(client.get(LIST, {"q": "shah", "sort": "newest"}))
    monkeypatch.setattr("cables.search.postgres.RANK_CANDIDATES", 3)
    monkeypatch.setattr("cables.views.PAGE_SIZE", 2)
    pages = [listed(client.get(LIST, {"q": "shah", "page": n})) for n in (1, 2, 3, 4)]
    everything = [refid for page in pages for refid in page]
    assert sorted(everything) == sorted(newest)
    if connection.vendor == "postgresql":
        assert everything[3:] == newest[3:]


@pytest.mark.parametrize("sort", ["relevance", "oldest"])
def test_paging_through_a_search_visits_every_match_once_in_order(
    client, archive, monkeypatch, sort
):
    everything = listed(client.get(LIST, {"q": "shah", "sort": sort}))
    monkeypatch.setattr("cables.views.PAGE_SIZE", 2)
    pages = [listed(client.get(LIST, {"q": "shah", "sort": sort, "page": n})) for n in (1, 2, 3, 4)]
    assert [refid for page in pages for refid in page] == everything


def test_the_cable_page_shows_what_the_cable_wrote_beside_each_correction(client):
    from cables.importing import import_records
    from tests.lima_records import bare, lima_text

    text = lima_text().replace("TAGS: PGOV PREL", "TAGE: PGOV RU PHUMBA PREL")
    text = text.replace("REF: LIMA 3638", "REF: A. LIMA 3638")
    import_records([bare(text)])
    page = client.get(reverse("cables:cable_detail", args=["07LIMA3673"]))
    html = page.content.decode()
    assert [tag.code for tag in page.context["cable"].tag_list][:4] == ["PGOV", "RS", "PHUM", "BA"]
    assert "as written: PGOV, RU, PHUMBA, PREL" in html
    assert "as written: A. LIMA 3638" in html


def test_public_pages_name_the_source_file_never_the_folder_it_lies_in(client, archive):
    from cables.models import Cable, CableVersion

    cable = Cable.objects.get(refid="07LIMA3673")
    upload = "/srv/cablearchive/var/uploads/17-ab12/pages.zip!cable/2007/11/07LIMA3673.html"
    Cable.objects.filter(pk=cable.pk).update(source=upload, source_format="html")
    CableVersion.objects.create(
        cable=cable, raw="old", content_hash="h", source=upload, imported_at=cable.imported_at
    )
    page = client.get(cable.get_absolute_url()).content.decode()
    data = client.get(cable.get_absolute_url(), {"format": "json"}).json()
    assert "pages.zip!cable/2007/11/07LIMA3673.html" in page
    assert "/srv/" not in page and "uploads" not in page
    assert data["source"]["file"] == "pages.zip!cable/2007/11/07LIMA3673.html"


@pytest.fixture
def slow_facets(monkeypatch):
    @contextmanager
    def out_of_time(milliseconds):
        raise OutOfTime(f"stopped after {milliseconds} ms")
        yield

    monkeypatch.setattr("cables.facets.time_limit", out_of_time)


def test_facets_that_take_too_long_are_left_out_and_the_results_still_shown(
    client, archive, slow_facets
):
    response = client.get(LIST, {"q": "shah"})
    html = response.content.decode()
    assert "took too long" in html
    assert 'href="?q=shah&amp;facets=all"' in html
    assert set(listed(response)) == refids_matching("shah")
    assert response.context["page"].paginator.count == len(refids_matching("shah"))
    data = client.get(LIST, {"q": "shah", "format": "json"}).json()
    assert data["facets_complete"] is False and data["facets"] == []
    assert data["count"] == len(refids_matching("shah"))


def test_asking_for_all_facets_counts_them_without_a_limit(client, archive, slow_facets):
    response = client.get(LIST, {"q": "shah", "facets": "all"})
    assert "took too long" not in response.content.decode()
    assert response.context["facets"]


def refids_matching(text: str) -> set[str]:
    return set(search.matching(Cable.objects.all(), text).values_list("refid", flat=True))


@pytest.mark.parametrize(
    "url",
    [
        reverse("cables:home"),
        LIST,
        LIST + "?q=shah",
        LIST + "?tag=SNAR&format=csv",
        LIST + "?format=json",
        reverse("cables:cable_detail", args=["07LIMA3673"]),
        reverse("cables:cable_raw", args=["07LIMA3673"]),
        reverse("cables:origin_list"),
        reverse("cables:tag_list"),
    ],
)
def test_pages_are_revalidated_by_etag_until_the_archive_changes(client, archive, url):
    first = client.get(url)
    assert first.status_code == 200 and "no-cache" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    make_cable("09NEWCABLE1", body="A cable that changes the archive.")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_date_order_of_a_search_walks_the_date_index_on_sqlite(client, archive):
    with CaptureQueriesContext(connection) as queries:
        newest = listed(client.get(LIST, {"q": "shah", "sort": "newest"}))
    hinted = any("INDEXED BY cable_created_id" in q["sql"] for q in queries.captured_queries)
    assert hinted == (connection.vendor == "sqlite")
    shah = Cable.objects.filter(refid__in=refids_matching("shah"))
    assert newest == list(shah.order_by("-created", "-id").values_list("refid", flat=True))
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"q": "shah", "sort": "newest", "classification": "SECRET"})
    assert not any("INDEXED BY" in q["sql"] and "created_id" in q["sql"] for q in queries)


def test_public_pages_answer_head_with_their_etag(client, archive):
    head = client.head(LIST)
    assert head.status_code == 200 and not head.content
    assert head["ETag"] == client.get(LIST)["ETag"]


def test_a_search_past_the_time_limit_is_stopped_with_a_message(client, archive, monkeypatch):
    @contextmanager
    def out_of_time(milliseconds):
        raise OutOfTime(f"stopped after {milliseconds} ms")
        yield

    monkeypatch.setattr("cables.views.time_limit", out_of_time)
    response = client.get(LIST, {"q": "shah"})
    assert response.status_code == 503
    assert "took too long" in response.content.decode()
