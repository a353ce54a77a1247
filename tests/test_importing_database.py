"""The bulk SQL of each database: rows in, ids ahead, session settings, one writer at a time."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from cables.importing import database, import_paths
from cables.models import Cable, CableVersion, Origin, Recipient
from tests.lima_records import SEED

pytestmark = pytest.mark.django_db


def a_cable() -> Cable:
    origin = Origin.objects.create(name="Embassy Lima", slug="embassy-lima")
    return Cable.objects.create(refid="07LIMA3673", origin=origin, raw="text", content_hash="h")


def test_inserted_rows_read_back_as_the_orm_wrote_them_json_included():
    cable = a_cable()
    rows = [(cable.id, 0, "action", "RUEHC", "SECSTATE WASHDC", "", "", ["RUEHLP"])]
    columns = ("cable", "position", "role", "route", "name", "precedence", "serial", "excluded")
    database.for_connection().insert_rows(Recipient, columns, rows)
    recipient = Recipient.objects.get()
    assert (recipient.name, recipient.excluded) == ("SECSTATE WASHDC", ["RUEHLP"])


def test_inserted_dates_keep_their_time_zone():
    cable = a_cable()
    sent = datetime(2007, 11, 20, 13, 37, tzinfo=UTC)
    columns = ("cable", "raw", "content_hash", "source", "source_format", "source_position")
    row = (cable.id, "text", "h", "lima.txt", "raw", "file", sent, sent)
    database.for_connection().insert_rows(
        CableVersion, (*columns, "imported_at", "replaced_at"), [row]
    )
    assert CableVersion.objects.get().imported_at == sent


def test_no_rows_make_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        database.for_connection().insert_rows(Recipient, ("cable", "name"), [])
        database.for_connection().update_rows(Cable, ("subject",), [])


def test_updated_rows_take_dates_json_and_keys_in_one_query(django_assert_num_queries):
    cable = a_cable()
    other = Cable.objects.create(refid="07LIMA3674", origin=cable.origin, raw="t", content_hash="h")
    sent = datetime(2007, 11, 20, 13, 37, tzinfo=UTC)
    rows = [("one", sent, ["NOFORN"], cable.id), ("two", None, [], other.id)]
    with django_assert_num_queries(1):
        database.for_connection().update_rows(Cable, ("subject", "created", "caveats"), rows)
    cable.refresh_from_db()
    other.refresh_from_db()
    assert (cable.subject, cable.created, cable.caveats) == ("one", sent, ["NOFORN"])
    assert (other.subject, other.created, other.caveats) == ("two", None, [])


def test_ids_drawn_ahead_are_fresh_where_the_database_can_draw_them():
    ids = database.for_connection().new_ids(Cable, 3)
    if connection.vendor == "postgresql":
        assert len(set(ids)) == 3
        assert a_cable().id > max(ids)
    else:
        assert ids is None


def test_a_batch_that_fails_leaves_nothing_behind():
    with pytest.raises(RuntimeError), database.for_connection().batch():
        a_cable()
        raise RuntimeError("killed mid-batch")
    assert not Cable.objects.exists()


def test_a_sqlite_batch_takes_as_many_parameters_as_sqlite_allows():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's parameter limit")
    default = connection.features.max_query_params
    with database.for_connection().batch():
        assert connection.features.max_query_params > default
    assert connection.features.max_query_params == default


def test_connection_settings_are_put_back_after_an_import():
    query = "PRAGMA cache_size" if connection.vendor == "sqlite" else "SHOW gin_pending_list_limit"
    with connection.cursor() as cursor:
        cursor.execute(query)
        before = cursor.fetchone()[0]
        import_paths([SEED])
        cursor.execute(query)
        assert cursor.fetchone()[0] == before


def test_the_session_applies_its_settings_while_it_lasts():
    query = "PRAGMA cache_size" if connection.vendor == "sqlite" else "SHOW gin_pending_list_limit"
    expected = -database.SQLITE_IMPORT_CACHE_KIB if connection.vendor == "sqlite" else "64MB"
    with database.for_connection().session(), connection.cursor() as cursor:
        cursor.execute(query)
        assert cursor.fetchone()[0] == expected


def test_new_cables_are_searchable_as_they_go_in_without_a_second_write():
    from django.test.utils import CaptureQueriesContext

    from cables import search

    with CaptureQueriesContext(connection) as queries:
        import_paths([SEED])
    cable = Cable.objects.get()
    assert search.matching(Cable.objects.all(), "Lima").get() == cable
    if connection.vendor == "postgresql":
        updates = [q["sql"] for q in queries if "SET search_vector" in q["sql"]]
        assert updates == [] and cable.search_vector
