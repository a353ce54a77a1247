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


@pytest.mark.django_db(transaction=True)
def test_text_stored_once_rewrites_an_archive_and_undoes_it():
    from django.core.management import call_command

    from cables import search
    from cables.importing import import_paths
    from cables.models import Cable
    from tests.conftest import DATA

    import_paths([DATA / "cables_tiny.csv", DATA / "import_07LIMA3673.txt"])
    texts = {c.refid: (c.header, c.body) for c in Cable.objects.all()}
    hits = search.matching(Cable.objects.all(), "shah").count()
    assert hits and all(c.body_start is not None for c in Cable.objects.all())
    try:
        call_command("migrate", "cables", "0009", verbosity=0)
        with connection.cursor() as cursor:  # the text is back in its columns, whole
            cursor.execute("SELECT refid, header, body FROM cables_cable")
            assert {refid: (header, body) for refid, header, body in cursor} == texts
    finally:
        call_command("migrate", verbosity=0)
    assert {c.refid: (c.header, c.body) for c in Cable.objects.all()} == texts
    assert all(c.body_stored == "" for c in Cable.objects.all())
    assert search.matching(Cable.objects.all(), "shah").count() == hits


def test_sqlite_keeps_the_long_texts_after_every_short_column():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's row layout")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pragma_table_info('cables_cable')")
        columns = [row[0] for row in cursor.fetchall()]
    assert columns[-4:] == ["header", "body", "raw", "search_vector"]
    assert columns.index("origin_id") < columns.index("header")


@pytest.mark.django_db(transaction=True)
def test_jobs_that_named_their_uploads_by_path_name_them_by_storage_key(settings, tmp_path):
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    from cables.models import ImportJob, RejectedRecord
    from tests.conftest import DATA
    from tests.stored import is_kept

    settings.UPLOAD_ROOT = tmp_path / "uploads"
    kept = settings.UPLOAD_ROOT / "20250101-old" / "000" / "pages.zip"
    kept.parent.mkdir(parents=True)
    kept.write_bytes((DATA / "import_07LIMA3673.txt").read_bytes())
    try:
        call_command("migrate", "cables", "0016", verbosity=0)
        old = (
            MigrationExecutor(connection)
            .loader.project_state(("cables", "0016_archive_state"))
            .apps
        )
        job = old.get_model("cables", "ImportJob").objects.create(
            status="done",
            files=[{"name": "pages.zip", "path": str(kept), "kind": "zip", "size": 1}],
        )
        old.get_model("cables", "RejectedRecord").objects.create(
            source=f"{kept}!cable/a.html", error="e", job_id=job.pk
        )
    finally:
        call_command("migrate", verbosity=0)
    job = ImportJob.objects.get()
    assert job.files == [
        {"name": "pages.zip", "key": "20250101-old/000/pages.zip", "kind": "zip", "size": 1}
    ]
    assert is_kept("20250101-old/000/pages.zip")
    assert RejectedRecord.objects.get().source == "20250101-old/000/pages.zip!cable/a.html"
