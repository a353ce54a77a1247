import pytest
from django.db import connection

from cables.models import Cable
from cables.timelimit import OutOfTime, time_limit

pytestmark = pytest.mark.django_db(transaction=True)

LONG = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000000) "
    "SELECT count(*) FROM n"
)


def test_a_query_past_the_limit_is_stopped_and_the_connection_still_works():
    with pytest.raises(OutOfTime), time_limit(50), connection.cursor() as cursor:
        cursor.execute(LONG)
    assert Cable.objects.count() == 0  # the connection is usable, with no limit left behind
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_query_within_the_limit_runs_and_the_limit_is_lifted_afterwards():
    with time_limit(5000), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)


def test_other_database_errors_pass_through():
    with pytest.raises(Exception) as caught, time_limit(5000), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert not isinstance(caught.value, OutOfTime)


def test_an_inner_limit_ends_and_the_outer_one_still_holds():
    with pytest.raises(OutOfTime), time_limit(100):
        with time_limit(5000), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with connection.cursor() as cursor:
            cursor.execute(LONG)
