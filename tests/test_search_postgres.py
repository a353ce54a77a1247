import pytest
from django.db import connection

from cables.search.query import STOP_WORDS

pytestmark = pytest.mark.django_db


def test_postgresql_drops_exactly_the_stop_words_sqlite_drops():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's english configuration")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w FROM unnest(%s::text[]) AS w WHERE to_tsvector('english', w) <> ''",
            [sorted(STOP_WORDS | {"embassy", "cocaine", "shah"})],
        )
        kept = {row[0] for row in cursor.fetchall()}
    assert kept == {"embassy", "cocaine", "shah"}
