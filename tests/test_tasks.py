"""The background import job: counts, preview, failure and retry, cleanup, the database queue."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.utils import timezone

from cables import tasks
from cables.importing import import_records
from cables.models import Cable, ImportJob, RejectedRecord
from cables.tasks import (
    JobObserver,
    enqueue_import,
    is_stalled,
    kept_files,
    release_uploads,
    retry_job,
    run_import_job,
)
from tests.lima_records import bare, lima_text, with_serial
from tests.stored import drop, is_kept, nothing_stored, store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
LIMA_RAW = DATA / "import_07LIMA3673.txt"
TINY_CSV = DATA / "cables_tiny.csv"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path) -> Path:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.TASKS = IMMEDIATE
    return settings.UPLOAD_ROOT


def job_for(
    upload_root: Path, *sources: Path, dry_run: bool = False, folder_name: str = "20250101-test"
) -> ImportJob:
    files = []
    for source in sources:
        key = store(source, f"{folder_name}/{source.name}")
        files.append({"name": source.name, "key": key, "kind": "text", "size": 1})
    return ImportJob.objects.create(files=files, dry_run=dry_run)


@pytest.mark.django_db
def test_a_job_imports_its_files_and_records_the_summary(upload_root):
    job = job_for(upload_root, TINY_CSV, LIMA_RAW)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.done, job.new) == (13, 13, 13)
    assert "07LIMA3673" in job.new_refids
    assert job.started_at <= job.finished_at


@pytest.mark.django_db
def test_a_second_run_of_the_same_file_finds_every_cable_unchanged(upload_root):
    run_import_job.call(job_for(upload_root, LIMA_RAW).pk)
    again = job_for(upload_root, LIMA_RAW)
    run_import_job.call(again.pk)
    again.refresh_from_db()
    assert (again.new, again.unchanged) == (0, 1)


@pytest.mark.django_db
def test_rejected_records_are_linked_to_their_job(upload_root, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    job = job_for(upload_root, LIMA_RAW, empty)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.rejected == 1
    assert RejectedRecord.objects.get().job == job


@pytest.mark.django_db
def test_a_parse_only_job_keeps_a_preview_and_writes_nothing(upload_root):
    job = job_for(upload_root, TINY_CSV, dry_run=True)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert not Cable.objects.exists()
    assert job.preview[0]["refid"] == "66BUENOSAIRES2481"
    assert job.preview[0]["origin"] == "Embassy Buenos Aires"
    assert job.new == 12


@pytest.mark.django_db
def test_the_preview_keeps_only_the_first_cables(upload_root, monkeypatch):
    monkeypatch.setattr(tasks, "PREVIEW_LIMIT", 3)
    job = job_for(upload_root, TINY_CSV, dry_run=True)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert [item["refid"] for item in job.preview] == [
        "66BUENOSAIRES2481",
        "72TEHRAN1164",
        "72TEHRAN1381",
    ]


@pytest.mark.django_db
def test_the_job_observer_records_the_counts_after_each_batch():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    stored_done = []

    class Watching(JobObserver):
        def progress(self, summary):
            super().progress(summary)
            stored_done.append(ImportJob.objects.get(pk=job.pk).done)

    records = [bare(with_serial(lima_text(), serial)) for serial in (1, 2, 3)]
    import_records(records, batch_size=2, observer=Watching(job, tasks.PREVIEW_LIMIT))
    job.refresh_from_db()
    assert stored_done == [2, 3]
    assert (job.done, job.new, job.new_refids) == (3, 3, ["07LIMA1", "07LIMA2", "07LIMA3"])


@pytest.mark.django_db
def test_the_job_observer_finishes_the_job_when_the_import_ends():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    import_records([bare(lima_text()), bare("")], observer=JobObserver(job, 5))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.new, job.rejected) == (2, 1, 1)


@pytest.mark.django_db
def test_the_job_observer_files_the_rejections_under_its_job():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    import_records([bare("")], observer=JobObserver(job, 5))
    assert job.rejections.count() == 1


@pytest.mark.django_db
def test_the_job_observer_keeps_no_preview_of_a_real_import():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    observer = JobObserver(job, 5)
    import_records([bare(lima_text())], observer=observer)
    assert observer.preview == []


@pytest.mark.django_db
def test_a_finished_job_deletes_its_upload(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    run_import_job.call(job.pk)
    assert nothing_stored()


@pytest.mark.django_db
def test_a_finished_job_keeps_its_upload_while_a_rejection_is_pending(upload_root, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    job = job_for(upload_root, LIMA_RAW, empty)
    run_import_job.call(job.pk)
    assert all(is_kept(key) for key in job.upload_keys())


@pytest.mark.django_db
def test_the_kept_upload_is_released_once_no_rejection_is_pending(upload_root, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    job = job_for(upload_root, LIMA_RAW, empty)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    job.rejections.update(status=RejectedRecord.Status.RESOLVED)
    assert release_uploads(job) is True
    assert nothing_stored()


@pytest.mark.django_db
def test_a_failed_job_keeps_its_upload_even_without_pending_rejections(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    job.status = ImportJob.Status.FAILED
    job.save()
    assert release_uploads(job) is False
    assert is_kept(job.files[0]["key"])


@pytest.mark.django_db
def test_the_kept_files_count_the_pending_rejections_from_each_file(upload_root, tmp_path):
    job = job_for(upload_root, LIMA_RAW, TINY_CSV)
    lima, tiny = job.upload_keys()
    RejectedRecord.objects.create(source=f"{lima}!inner/a.txt", error="e", job=job)
    RejectedRecord.objects.create(source=lima, error="e", job=job)
    kept = kept_files(job)
    assert [(entry["key"], entry["pending"]) for entry in kept] == [(lima, 2), (tiny, 0)]


@pytest.mark.django_db
def test_a_job_without_progress_past_the_threshold_is_stalled(upload_root):
    started = timezone.now() - tasks.STALLED_AFTER - timedelta(minutes=1)
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, started_at=started)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=started)
    job.refresh_from_db()
    assert is_stalled(job) is True


@pytest.mark.django_db
def test_a_long_job_still_recording_progress_is_not_stalled(upload_root):
    started = timezone.now() - tasks.STALLED_AFTER * 4
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, started_at=started)
    assert is_stalled(job) is False


@pytest.mark.django_db
def test_a_job_running_within_the_threshold_is_not_stalled(upload_root):
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    assert is_stalled(job) is False


@pytest.mark.django_db
def test_a_failed_job_records_why_and_keeps_its_file(upload_root, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tasks, "import_paths", broken)
    job = job_for(upload_root, LIMA_RAW)
    with pytest.raises(OSError):
        run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "OSError: disk full"
    assert is_kept(job.files[0]["key"])


@pytest.mark.django_db
def test_a_job_whose_file_is_gone_fails_saying_so(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    drop(job.files[0]["key"])
    with pytest.raises(FileNotFoundError):
        run_import_job.call(job.pk)
    job.refresh_from_db()
    assert "the uploaded file is gone" in job.error


@pytest.mark.django_db
def test_retrying_a_failed_job_replaces_its_earlier_rejections(upload_root, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    job = job_for(upload_root, LIMA_RAW, empty)
    RejectedRecord.objects.create(source="old", error="from the failed run", job=job)
    job.status = ImportJob.Status.FAILED
    job.save()
    retry_job(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert list(job.rejections.values_list("error", flat=True)) != ["from the failed run"]
    assert job.rejections.count() == 1


@pytest.mark.django_db
def test_retrying_a_job_keeps_a_rejection_that_was_already_retried(upload_root, tmp_path):
    job = job_for(upload_root, LIMA_RAW)
    retried = RejectedRecord.objects.create(
        source="x", error="e", raw="fixed by hand", job=job, retried_at=timezone.now()
    )
    job.status = ImportJob.Status.FAILED
    job.save()
    retry_job(job)
    assert RejectedRecord.objects.filter(pk=retried.pk).exists()


@pytest.mark.django_db
def test_retrying_a_job_keeps_a_rejection_edited_in_the_admin(upload_root, admin_user):
    job = job_for(upload_root, LIMA_RAW)
    edited = RejectedRecord.objects.create(source="x", error="e", raw="fixed by hand", job=job)
    LogEntry.objects.log_actions(admin_user.pk, [edited], CHANGE, change_message="Changed raw.")
    job.status = ImportJob.Status.FAILED
    job.save()
    retry_job(job)
    assert RejectedRecord.objects.filter(pk=edited.pk).exists()


# The prune_uploads command


@pytest.mark.django_db
def test_prune_uploads_removes_the_files_of_finished_jobs_with_nothing_pending(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    out = StringIO()
    call_command("prune_uploads", stdout=out)
    assert nothing_stored()
    assert "1 job" in out.getvalue()


@pytest.mark.django_db
def test_prune_uploads_keeps_the_files_of_a_job_with_a_pending_rejection(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    RejectedRecord.objects.create(source=job.files[0]["key"], error="e", job=job)
    call_command("prune_uploads", stdout=StringIO())
    assert is_kept(job.files[0]["key"])


@pytest.mark.django_db
def test_prune_uploads_dry_run_deletes_nothing(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    call_command("prune_uploads", "--dry-run", stdout=StringIO())
    assert is_kept(job.files[0]["key"])


@pytest.mark.django_db
def test_enqueueing_with_the_immediate_backend_runs_the_job_at_once(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    enqueue_import(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.task_id


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_holds_the_job_until_the_worker_runs_it(settings, upload_root):
    settings.TASKS = DATABASE
    job = job_for(upload_root, LIMA_RAW)
    enqueue_import(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Cable.objects.filter(refid="07LIMA3673").exists()


@pytest.mark.django_db
def test_prune_uploads_keeps_a_failed_jobs_files_for_a_retry_by_default(upload_root):
    job = job_for(upload_root, LIMA_RAW)
    long_ago = timezone.now() - timedelta(days=90)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, finished_at=long_ago)
    call_command("prune_uploads", stdout=StringIO())
    assert is_kept(job.files[0]["key"])


@pytest.mark.django_db
def test_prune_uploads_removes_files_of_jobs_that_failed_long_enough_ago(upload_root):
    old = job_for(upload_root, LIMA_RAW, folder_name="old")
    recent = job_for(upload_root, LIMA_RAW, folder_name="recent")
    now = timezone.now()
    ImportJob.objects.filter(pk=old.pk).update(
        status=ImportJob.Status.FAILED, finished_at=now - timedelta(days=40)
    )
    ImportJob.objects.filter(pk=recent.pk).update(
        status=ImportJob.Status.FAILED, finished_at=now - timedelta(days=2)
    )
    call_command("prune_uploads", "--failed-older-than", "30", stdout=StringIO())
    assert not is_kept(old.files[0]["key"])
    assert is_kept(recent.files[0]["key"])
