from pathlib import Path

import pytest

from cables.search.query import STOP_WORDS, parse_query


def test_parse_query_reads_websearch_syntax():
    query = parse_query('coca "war on drugs" OR narcotics -brazil')
    assert query.clauses == ((("coca",),), (("war", "on", "drugs"), ("narcotics",)))
    assert query.excluded == (("brazil",),)
    assert query.terms == ("coca", "war", "on", "drugs", "narcotics")


def test_stop_words_are_dropped_outside_phrases_only():
    assert parse_query("the embassy").clauses == ((("embassy",),),)
    assert parse_query('"the embassy"').clauses == ((("the", "embassy"),),)
    assert not parse_query("the of and")


def test_the_stop_words_are_postgresqls_own_list():
    installed = sorted(Path("/usr/share/postgresql").glob("*/tsearch_data/english.stop"))
    if not installed:
        pytest.skip("PostgreSQL's tsearch_data is not installed here")
    words = {line.strip() for line in installed[-1].read_text().splitlines()} - {""}
    assert words == STOP_WORDS
