"""The schema after every migration: indexes the pages depend on must survive table rebuilds."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, info in constraints.items() if info["index"]}


def test_cable_indexes_for_lists_and_the_cache_key_exist():
    assert {"cable_created_id", "cable_origin_created", "cable_updated_at"} <= index_names(
        "cables_cable"
    )


def test_the_full_text_index_exists_on_this_database():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'cable_search_vector_gin'"
            )
            assert "gin" in cursor.fetchone()[0].lower()
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'cables_cable_fts'")
            assert "fts5" in cursor.fetchone()[0].lower()


def test_postgresql_keeps_no_statistics_for_the_search_vector():
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'cables_cable'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone()[0] == 0
