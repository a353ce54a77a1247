"""ImportJob's lifecycle: queued, running, done or failed, reset; which jobs' uploads may go."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cables.importing import ImportSummary, Rejection
from cables.models import ImportJob, RejectedRecord

pytestmark = pytest.mark.django_db


def summary() -> ImportSummary:
    figures = ImportSummary(new=2, updated=1, unchanged=3, new_refids=["07LIMA1", "07LIMA2"])
    figures.add_rejection(Rejection("cut.txt", "file", 17, "truncated"))
    return figures


def stored(job: ImportJob) -> ImportJob:
    return ImportJob.objects.get(pk=job.pk)


def test_a_new_job_is_queued():
    assert ImportJob.objects.create().status == ImportJob.Status.QUEUED


def test_starting_a_job_marks_it_running_from_now():
    job = ImportJob.objects.create()
    before = timezone.now()
    job.start()
    assert stored(job).status == ImportJob.Status.RUNNING
    assert stored(job).started_at >= before


def test_a_job_expects_the_records_its_files_hold():
    job = ImportJob.objects.create()
    job.expect(13)
    assert stored(job).total == 13


def test_progress_stores_the_figures_so_far_and_shows_the_job_alive():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    long_ago = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=long_ago)
    job.record_progress(summary())
    job = stored(job)
    assert (job.done, job.new, job.updated, job.unchanged, job.rejected) == (7, 2, 1, 3, 1)
    assert job.new_refids == ["07LIMA1", "07LIMA2"]
    assert job.updated_at > long_ago
    assert job.status == ImportJob.Status.RUNNING


def test_finishing_a_job_stores_its_summary_and_preview():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, total=99)
    job.finish(summary(), [{"refid": "07LIMA1"}])
    assert job.status == ImportJob.Status.DONE
    job = stored(job)
    assert job.status == ImportJob.Status.DONE
    assert (job.total, job.done, job.new, job.rejected) == (7, 7, 2, 1)
    assert job.preview == [{"refid": "07LIMA1"}]
    assert job.finished_at is not None


def test_a_failed_job_records_the_error_and_when():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    job.fail(OSError("disk full"))
    job = stored(job)
    assert (job.status, job.error) == (ImportJob.Status.FAILED, "OSError: disk full")
    assert job.finished_at is not None


def test_failing_a_job_deleted_meanwhile_does_not_raise():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING)
    ImportJob.objects.filter(pk=job.pk).delete()
    job.fail(OSError("disk full"))
    assert not ImportJob.objects.exists()


def test_reset_puts_a_failed_job_back_in_the_queue_as_if_never_run():
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, files=[{"key": "x"}])
    job.start()
    job.record_progress(summary())
    job.fail(OSError("disk full"))
    job.reset()
    job = stored(job)
    assert (job.status, job.error, job.started_at, job.finished_at) == ("queued", "", None, None)
    assert (job.total, job.done, job.new, job.rejected, job.new_refids) == (None, 0, 0, 0, [])
    assert job.files == [{"key": "x"}]


def test_queueing_notes_the_task_and_leaves_what_the_job_has_done_alone():
    job = ImportJob.objects.create()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    job.queued_as("a" * 80)
    job = stored(job)
    assert (job.status, job.task_id) == (ImportJob.Status.DONE, "a" * 64)


def test_the_upload_keys_are_those_of_its_files():
    job = ImportJob(files=[{"key": "up/a.zip", "name": "a.zip"}, {"key": "up/b.csv"}])
    assert job.upload_keys() == ["up/a.zip", "up/b.csv"]


def test_pending_rejections_leave_out_the_resolved_ones():
    job = ImportJob.objects.create()
    pending = RejectedRecord.objects.create(source="a", error="e", job=job)
    RejectedRecord.objects.create(
        source="b", error="e", job=job, status=RejectedRecord.Status.RESOLVED
    )
    assert list(job.pending_rejections()) == [pending]


def test_releasable_jobs_are_done_with_no_pending_rejection():
    done = ImportJob.objects.create(status=ImportJob.Status.DONE)
    resolved = ImportJob.objects.create(status=ImportJob.Status.DONE)
    RejectedRecord.objects.create(
        source="a", error="e", job=resolved, status=RejectedRecord.Status.RESOLVED
    )
    waiting = ImportJob.objects.create(status=ImportJob.Status.DONE)
    RejectedRecord.objects.create(source="a", error="e", job=waiting)
    for status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.FAILED):
        ImportJob.objects.create(status=status)
    assert set(ImportJob.objects.releasable()) == {done, resolved}


def test_failed_before_finds_the_jobs_that_failed_before_the_cutoff():
    now = timezone.now()
    old = ImportJob.objects.create(
        status=ImportJob.Status.FAILED, finished_at=now - timedelta(days=40)
    )
    ImportJob.objects.create(status=ImportJob.Status.FAILED, finished_at=now - timedelta(days=2))
    ImportJob.objects.create(status=ImportJob.Status.DONE, finished_at=now - timedelta(days=40))
    assert list(ImportJob.objects.failed_before(now - timedelta(days=30))) == [old]
