"""`reparse`: stored cables derived again from their raw text, in place, resumably."""

import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cables import search
from cables.importing import import_paths
from cables.importing.reparse import reparse
from cables.models import (
    Cable,
    CableAlias,
    CableTag,
    CableVersion,
    Origin,
    OriginAlias,
    Reference,
    ReparseRun,
)
from tests.conftest import DATA
from tests.test_import_command import ROOT, Database, child_env, corpus, manage

FILES = [DATA / "cables_tiny.csv", DATA / "import_07LIMA3673.txt"]


@pytest.fixture
def archive(db):
    import_paths(FILES)
    return Cable.objects.count()


def run_command(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("reparse", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_an_archive_parsed_by_this_parser_is_left_as_it_is(archive):
    before = {c.pk: c.updated_at for c in Cable.objects.all()}
    summary, run = reparse(batch_size=4, workers=1)
    assert (summary.records, summary.changed, summary.unchanged) == (archive, 0, archive)
    assert run.finished_at is not None and run.report["records"] == archive
    assert {c.pk: c.updated_at for c in Cable.objects.all()} == before


def test_fields_an_older_parser_derived_otherwise_are_derived_again(archive):
    lima = Cable.objects.get(refid="07LIMA3673")
    tags = [link.tag.code for link in lima.cabletag_set.all()]
    search.unindex_cables([lima.pk])
    Cable.objects.filter(pk=lima.pk).update(subject="stale", classification="SECRET")
    search.index_cables([lima.pk])  # as an older parser would have left it
    assert search.matching(Cable.objects.all(), "stale").count() == 1
    CableTag.objects.filter(cable=lima).delete()
    Reference.objects.filter(citing=lima).delete()
    status, out, _err = run_command("--batch-size", "3", "--workers", "1")
    lima.refresh_from_db()
    assert status == 0
    assert lima.subject != "stale" and lima.classification == "CONFIDENTIAL"
    assert [link.tag.code for link in lima.cabletag_set.all()] == tags
    assert list(lima.references.values_list("target_refid", flat=True)) == ["07LIMA3638"]
    assert f"{archive} cables reparsed" in out and "1 changed" in out
    assert "Fields that differ:" in out and "subject 1" in out and "TAGs 1" in out
    assert "references 1" in out and "classification 1" in out
    assert not CableVersion.objects.exists(), "a reparse changes no text: no versions"
    assert search.matching(Cable.objects.all(), "stale").count() == 0  # the index moved too
    assert search.matching(Cable.objects.all(), lima.subject).get() == lima


def test_a_dry_run_reports_and_writes_nothing(archive):
    Cable.objects.filter(refid="07LIMA3673").update(subject="stale")
    status, out, _err = run_command("--dry-run")
    assert status == 0 and "Dry run (nothing written)" in out and "1 would change" in out
    assert Cable.objects.get(refid="07LIMA3673").subject == "stale"
    assert not ReparseRun.objects.exists()


def test_a_renamed_post_keeps_its_old_links(archive, client):
    lima = Cable.objects.get(refid="07LIMA3673")
    old = Origin.objects.create(name="Embassy Lima Old", slug="embassy-lima-old")
    Cable.objects.filter(pk=lima.pk).update(origin=old)
    summary, _run = reparse(workers=1)
    assert summary.renamed_origins == {"Embassy Lima Old": "Embassy Lima"}
    assert not Origin.objects.filter(name="Embassy Lima Old").exists()
    assert OriginAlias.objects.get(slug="embassy-lima-old").origin.name == "Embassy Lima"
    response = client.get("/cables/?origin=embassy-lima-old&q=lima")
    assert response.status_code == 301
    assert response["Location"] == "/cables/?origin=embassy-lima&q=lima"


def test_a_cable_read_under_another_id_keeps_the_old_one_as_a_redirect(archive, client):
    Cable.objects.filter(refid="07LIMA3673").update(refid="07LIMA3673X")
    summary, _run = reparse(workers=1)
    assert summary.renamed_cables == 1
    assert CableAlias.objects.get(refid="07LIMA3673X").cable.refid == "07LIMA3673"
    response = client.get("/cables/07LIMA3673X/?q=lima")
    assert response.status_code == 301 and response["Location"] == "/cables/07LIMA3673/?q=lima"
    assert client.get("/cables/07LIMA3673X/raw/")["Location"] == "/cables/07LIMA3673/raw/"
    assert client.get("/cables/NOSUCHCABLE/").status_code == 404


def test_a_new_id_another_cable_holds_is_a_conflict_left_alone(archive):
    Cable.objects.filter(refid="07LIMA3673").update(refid="07LIMA3673X")
    Cable.objects.filter(refid="78KABUL3619").update(refid="07LIMA3673")
    status, _out, err = run_command("--workers", "1")
    assert status == 1
    assert "07LIMA3673X: now reads as 07LIMA3673, which another cable holds" in err
    assert Cable.objects.filter(refid="78KABUL3619").exists()  # renamed back, it frees the id
    status, _out, _err = run_command("--workers", "1")  # so the next run settles the other
    assert status == 0 and Cable.objects.filter(refid="07LIMA3673").exists()


def test_a_cable_that_no_longer_parses_is_kept_as_it_was_and_reported(archive):
    Cable.objects.filter(refid="07LIMA3673").update(raw="not a cable at all", source_format="raw")
    status, out, err = run_command("--workers", "1")
    assert status == 1
    assert "07LIMA3673: no longer parses:" in err and "1 no longer parse" in out
    assert Cable.objects.filter(refid="07LIMA3673").exists()
    assert ReparseRun.objects.get().report["failures"][0].startswith("07LIMA3673:")


def test_a_cable_an_import_rewrote_meanwhile_is_left_to_the_import(archive, monkeypatch):
    from cables.importing import reparse as module

    Cable.objects.filter(refid="07LIMA3673").update(subject="stale")
    real = module._still_current

    def import_in_between(changed, stored, summary):
        Cable.objects.filter(refid="07LIMA3673").update(
            updated_at=stored[changed[0][0]]["updated_at"].replace(year=2001)
        )
        return real(changed, stored, summary)

    monkeypatch.setattr(module, "_still_current", import_in_between)
    summary, _run = reparse(workers=1)
    assert summary.skipped == 1 and summary.changed == 0
    assert Cable.objects.get(refid="07LIMA3673").subject == "stale"


@pytest.mark.django_db(transaction=True)
def test_a_killed_run_resumes_where_it_stopped_and_counts_nothing_twice(tmp_path):
    db = Database(tmp_path)
    folder = corpus(tmp_path / "corpus")
    imported = manage(db.url, "import_cables", str(folder))
    assert imported.returncode == 0, imported.stderr
    total = db.value("SELECT count(*) FROM cables_cable")
    stale(db)
    args = ["manage.py", "reparse", "--batch-size", "25", "--workers", "1"]
    child = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=child_env(db.url), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not done_some(db) and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the reparse finished before it could be killed"
    left = db.value("SELECT count(*) FROM cables_cable WHERE subject = 'stale'")
    assert 0 < left < total and (total - left) % 25 == 0, "a batch was written in part"
    resumed = manage(db.url, "reparse", "--batch-size", "25", "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{total:,} cables reparsed" in resumed.stdout
    assert f"{total:,} changed, 0 unchanged" in resumed.stdout
    assert db.value("SELECT count(*) FROM cables_cable WHERE subject = 'stale'") == 0
    assert db.value("SELECT count(*) FROM cables_reparserun") == 1


def stale(db: Database) -> None:
    if db.vendor == "sqlite":
        import sqlite3

        with sqlite3.connect(db.path) as conn:
            conn.execute("UPDATE cables_cable SET subject = 'stale'")
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cables_cable SET subject = 'stale'")


def done_some(db: Database) -> bool:
    try:
        return db.value("SELECT coalesce(max(last_id), 0) FROM cables_reparserun") > 0
    except Exception:  # locked by the child's write, or the table not there yet
        return False


def test_only_what_differs_is_rewritten(archive):
    lima = Cable.objects.get(refid="07LIMA3673")
    links = list(CableTag.objects.filter(cable=lima).values_list("pk", flat=True))
    Cable.objects.filter(pk=lima.pk).update(summary="stale")
    reparse(workers=1)
    assert Cable.objects.get(pk=lima.pk).summary != "stale"
    assert list(CableTag.objects.filter(cable=lima).values_list("pk", flat=True)) == links


@pytest.mark.django_db(transaction=True)
def test_a_second_reparse_of_the_same_database_is_refused_at_once(tmp_path):
    import fcntl
    import zlib

    db = Database(tmp_path)
    if db.vendor == "sqlite":
        with open(f"{db.path}.reparse.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            busy = manage(db.url, "reparse")
    else:
        key = zlib.crc32(b"reparse")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            try:
                busy = manage(db.url, "reparse")
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    assert busy.returncode == 2
    assert "another reparse is running on this database" in busy.stderr
    assert manage(db.url, "reparse").returncode == 0  # the lock went with its holder
