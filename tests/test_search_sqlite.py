import re

import pytest
from django.db import connection

from cables.search.query import parse_query
from cables.search.sqlite import fts5_expression


def test_the_fts5_expression_quotes_every_term():
    query = parse_query('coca OR "war on drugs" -brazil')
    assert fts5_expression(query) == '(("coca" OR "war on drugs")) NOT "brazil"'


@pytest.mark.parametrize("text", ['a"b', "col:umn", "NEAR(x", "x) OR (y", "'; DROP TABLE"])
def test_the_fts5_expression_never_lets_syntax_through(text):
    outside_quotes = re.sub(r'"[^"]*"', " ", fts5_expression(parse_query(text)))
    assert set(outside_quotes.replace("(", " ").replace(")", " ").split()) <= {"AND", "OR", "NOT"}


def test_prefixes_and_near_are_written_in_fts5_syntax():
    query = parse_query('narco* NEAR("coca leaf" heroin, 5) -peru*')
    assert fts5_expression(query) == (
        '(("narco" *) AND (NEAR("coca leaf" "heroin", 5))) NOT "peru" *'
    )


@pytest.mark.django_db
def test_fts5_merges_index_segments_sixteen_at_a_time():
    if connection.vendor != "sqlite":
        pytest.skip("an FTS5 setting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM cables_cable_fts_config WHERE k = 'automerge'")
        assert cursor.fetchone() == (16,)
