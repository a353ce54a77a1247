import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from cables.facets import facet_results, monthly_counts, summarize, toggle_url
from cables.models import Cable

pytest_plugins = ["tests.fixtures_web"]


def test_toggle_url_adds_a_value_and_drops_the_page():
    assert toggle_url(QueryDict("tag=PE&page=3"), "tag", "SNAR") == "?tag=PE&tag=SNAR"


def test_toggle_url_removes_a_selected_value():
    assert toggle_url(QueryDict("tag=PE&tag=SNAR"), "tag", "PE") == "?tag=SNAR"


def test_toggle_url_replaces_a_single_valued_parameter():
    assert toggle_url(QueryDict("year=1972"), "year", "1973", single=True) == "?year=1973"


@pytest.mark.django_db
def test_facet_values_are_plain_dicts(archive):
    year = facet_results(Cable.objects.filter(refid="07LIMA3673"), QueryDict(""))[3]
    assert year == {
        "name": "year",
        "title": "Year",
        "values": [
            {
                "value": "2007",
                "label": "2007",
                "count": 1,
                "toggle_url": "?year=2007",
                "selected": False,
            }
        ],
        "truncated": False,
    }


@pytest.mark.django_db
def test_a_facet_with_more_values_than_its_size_says_it_is_truncated(archive):
    tags = facet_results(Cable.objects.all(), QueryDict(""))[1]
    assert len(tags["values"]) == 15
    assert tags["truncated"] is True
    assert tags["values"][0] == {
        "value": "IR",
        "label": "IR",
        "count": 9,
        "toggle_url": "?tag=IR",
        "selected": False,
    }


@pytest.mark.django_db
def test_facets_mark_the_values_already_chosen(archive):
    chosen = QueryDict("classification=SECRET")
    facet = facet_results(Cable.objects.filter(classification="SECRET"), chosen)[2]
    assert facet["values"] == [
        {"value": "SECRET", "label": "SECRET", "count": 2, "toggle_url": "?", "selected": True}
    ]


@pytest.mark.django_db
def test_monthly_counts_group_cables_by_calendar_month(archive):
    assert monthly_counts(Cable.objects.filter(created__year=1972)) == [
        ("1972-02", 1),
        ("1972-03", 1),
        ("1972-08", 2),
    ]


def test_a_sqlite_summary_reads_the_summary_index_not_the_rows(archive):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner")
    with CaptureQueriesContext(connection) as queries:
        summary = summarize(Cable.objects.filter(classification="SECRET"))
    assert summary.count == Cable.objects.filter(classification="SECRET").count()
    assert "INDEXED BY cable_summary" in queries[-1]["sql"]


@pytest.mark.django_db
def test_a_change_to_the_archive_changes_the_key(archive):
    from cables import facets
    from tests.fixtures_web import make_cable

    before = facets.cache_key("summary")
    make_cable("09NEWCABLE1", body="A cable that changes the archive.")
    assert facets.cache_key("summary") != before


@pytest.mark.django_db
def test_an_upgrade_changes_the_key_of_whole_archive_figures(monkeypatch):
    from cables import facets

    before = facets.cache_key("summary")
    monkeypatch.setattr(facets, "release", lambda: "another release")
    assert facets.cache_key("summary") != before
