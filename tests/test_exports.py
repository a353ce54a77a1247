import csv
import io
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from cables import exports
from tests.fixtures_web import make_cable

pytest_plugins = ["tests.fixtures_web"]

pytestmark = pytest.mark.django_db
LIST = reverse("cables:cable_list")
ATOM = "{http://www.w3.org/2005/Atom}"


def csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_list_answers_as_json_with_count_results_and_facets(client, archive):
    data = client.get(LIST, {"tag": "SNAR", "format": "json"}).json()
    assert data["count"] == 2
    assert [row["refid"] for row in data["results"]] == ["07LIMA3700", "07LIMA3673"]
    assert data["results"][1]["tags"] == ["PGOV", "PREL", "PTER", "SNAR", "PE"]  # the cable's order
    assert {facet["name"] for facet in data["facets"]} == {
        "origin",
        "tag",
        "classification",
        "year",
    }


def test_json_pages_link_to_the_next_page(client, archive, monkeypatch):
    monkeypatch.setattr("cables.views.PAGE_SIZE", 5)
    data = client.get(LIST, {"format": "json"}).json()
    assert data["next"] == "http://testserver/cables/?format=json&page=2"
    assert data["previous"] is None


def test_json_results_of_a_search_carry_the_highlighted_snippet(client, archive):
    data = client.get(LIST, {"q": "cocaine", "format": "json"}).json()
    assert "<mark>cocaine</mark>" in data["results"][0]["snippet"].lower()


def test_csv_streams_every_matching_row_not_only_the_page(client, archive, monkeypatch):
    monkeypatch.setattr("cables.views.PAGE_SIZE", 2)
    response = client.get(LIST, {"origin": "embassy-tehran", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cables.csv"'
    rows = csv_rows(response)
    assert len(rows) == 9
    assert rows[-1]["refid"] == "72TEHRAN1164"
    assert rows[-1]["tags"] == "MASS MARR IR"  # in the cable's order


def test_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(client, db):
    make_cable("09CSV1", body="x", subject='=HYPERLINK("http://example.org")')
    rows = csv_rows(client.get(LIST, {"format": "csv"}))
    assert rows[0]["subject"] == '\'=HYPERLINK("http://example.org")'


def test_csv_reads_its_rows_in_chunks_with_a_fixed_number_of_queries(
    client, archive, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(exports, "CSV_CHUNK", 100)
    with django_assert_max_num_queries(4):
        b"".join(client.get(LIST, {"format": "csv"}).streaming_content)


def test_the_list_answers_as_an_atom_feed_of_the_same_filter(client, archive):
    response = client.get(LIST, {"tag": "SNAR", "format": "atom"})
    feed = ElementTree.fromstring(response.content)
    titles = [entry.find(f"{ATOM}title").text for entry in feed.iter(f"{ATOM}entry")]
    assert response["Content-Type"].startswith("application/atom+xml")
    assert titles == [
        "07LIMA3700: FOLLOW-UP ON ONDCP DIRECTOR VISIT",
        "07LIMA3673: ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS",
    ]


def test_the_feed_links_back_to_the_html_list(client, archive):
    feed = ElementTree.fromstring(client.get(LIST, {"tag": "SNAR", "format": "atom"}).content)
    assert feed.find(f"{ATOM}link").get("href") == "http://testserver/cables/?tag=SNAR"


def test_a_cable_answers_as_json(client, archive):
    data = client.get(
        reverse("cables:cable_detail", args=["07LIMA3673"]), {"format": "json"}
    ).json()
    assert data["refid"] == "07LIMA3673"
    assert data["references"] == [{"refid": "07LIMA3638", "in_archive": False, "as_written": ""}]
    assert data["cited_by"] == ["07LIMA3700"]
    assert {"role": "action", "name": "SECSTATE WASHDC", "route": "", "precedence": ""} in data[
        "recipients"
    ]
