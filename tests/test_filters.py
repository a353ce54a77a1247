import pytest
from django.http import QueryDict

from cables.filters import CableFilter
from cables.models import Cable

pytest_plugins = ["tests.fixtures_web"]

pytestmark = pytest.mark.django_db


def cable_filter(query: str) -> CableFilter:
    return CableFilter(QueryDict(query), queryset=Cable.objects.all())


def test_without_a_query_the_list_sorts_newest_first(archive):
    assert cable_filter("").sort_order == "newest"


def test_with_a_query_the_list_sorts_by_relevance(archive):
    assert cable_filter("q=cocaine").sort_order == "relevance"


def test_relevance_without_a_query_falls_back_to_newest(archive):
    assert cable_filter("sort=relevance").sort_order == "newest"


def test_an_invalid_date_is_a_form_error_and_an_empty_result(archive):
    found = cable_filter("date_after=2007-02-30")
    assert "date" in found.errors
    assert found.qs.count() == 0


def test_an_unknown_tag_is_a_form_error_naming_it(archive):
    found = cable_filter("tag=SNAR&tag=XXXX")
    assert "XXXX" in str(found.errors["tag"])


def test_filters_combine(archive):
    found = cable_filter(
        "q=drugs&tag=SNAR&origin=embassy-lima&year=2007&classification=CONFIDENTIAL"
    )
    assert list(found.qs.values_list("refid", flat=True)) == ["07LIMA3673"]


def test_a_year_outside_the_archive_is_an_error_not_a_crash(archive):
    assert "year" in cable_filter("year=0").errors
