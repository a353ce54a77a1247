"""Background jobs (django-tasks): the database queue in production, in-process in the demo."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count
from django.db.models.functions import Cast
from django.utils import timezone
from django_tasks import task

from .importing import ImportObserver, ImportSummary, cable_json, count_records, import_paths
from .models import ImportJob, RejectedRecord
from .parser import ParsedCable
from .readers import RawRecord
from .uploads import fetched, kept, remove_stored

PREVIEW_LIMIT = 20
# A running job that has shown no sign of life for this long has probably lost its worker.
STALLED_AFTER = timedelta(minutes=15)


@task()
def run_import_job(job_id: int) -> dict[str, int]:
    """Import a job's uploaded files through the one write path, recording progress on the job."""
    job = ImportJob.objects.get(pk=job_id)
    job.start()
    keys = job.upload_keys()
    try:
        with fetched(keys) as paths:
            job.expect(count_records(paths, format=job_format(job)))
            summary = import_paths(
                paths,
                format=job_format(job),
                dry_run=job.dry_run,
                observer=JobObserver(job, PREVIEW_LIMIT),
                # Forking parse workers from a threaded process (the development server running
                # the job in-process) can deadlock on a lock held by another thread.
                workers=None if threading.active_count() == 1 else 1,
                # Rows name the upload by its storage key, the same on every machine.
                labels=dict(zip(map(str, paths), keys, strict=True)),
            )
    except Exception as exc:
        job.fail(exc)
        raise
    release_uploads(job)
    return {"new": summary.new, "updated": summary.updated, "rejected": summary.rejected}


class JobObserver(ImportObserver):
    """Records a job's figures after each batch and at the end, with a parse-only run's preview."""

    job: ImportJob

    def __init__(self, job: ImportJob, preview_limit: int) -> None:
        self.job = job
        self.preview_limit = preview_limit
        self.preview: list[dict[str, Any]] = []

    def parsed(self, record: RawRecord, cable: ParsedCable) -> None:
        if self.job.dry_run and len(self.preview) < self.preview_limit:
            self.preview.append(cable_json(record, cable) | {"position": record.position})

    def progress(self, summary: ImportSummary) -> None:
        self.job.record_progress(summary)

    def finished(self, summary: ImportSummary) -> None:
        self.job.finish(summary, self.preview)


def enqueue_import(job: ImportJob) -> None:
    """Queue a job; with the immediate backend it has run by the time this returns."""
    result = run_import_job.enqueue(job.pk)
    job.queued_as(str(result.id))


def retry_job(job: ImportJob) -> None:
    """Run a failed or stalled job again on its kept files.

    Its untouched rejections are dropped, to be found again (or not, if now accepted); the ones
    an operator edited or retried are kept, since the re-run would only find the original text.
    """
    job.pending_rejections().exclude(pk__in=_touched_rejections(job)).delete()
    job.reset()
    enqueue_import(job)


def is_stalled(job: ImportJob, now: datetime | None = None) -> bool:
    """A job marked running that has recorded no progress for a long while: its worker died."""
    if job.status != ImportJob.Status.RUNNING or job.started_at is None:
        return False
    return (now or timezone.now()) - max(job.started_at, job.updated_at) > STALLED_AFTER


def release_uploads(job: ImportJob) -> bool:
    """Delete a job's uploads if it is done and no pending rejection may need the original files."""
    if not ImportJob.objects.releasable().filter(pk=job.pk).exists():
        return False
    remove_stored(job.upload_keys())
    return True


def kept_files(job: ImportJob) -> list[dict[str, Any]]:
    """The job's uploads still stored, each with how many pending rejections came from it."""
    still = set(kept(job.upload_keys()))
    if not still:
        return []
    counts: Counter[str] = Counter()
    for source, count in _pending_by_source(job):
        counts[source.split("!", 1)[0]] += count
    return [
        {**entry, "pending": counts[entry["key"]]} for entry in job.files if entry["key"] in still
    ]


def _pending_by_source(job: ImportJob) -> list[tuple[str, int]]:
    return list(
        job.pending_rejections()
        .order_by()
        .values("source")
        .annotate(count=Count("id"))
        .values_list("source", "count")
    )


def _touched_rejections(job: ImportJob) -> set[int]:
    """Pending rejections of the job that were retried, or saved in the admin (edited)."""
    pending = job.pending_rejections()
    retried = set(pending.filter(retried_at__isnull=False).values_list("pk", flat=True))
    saved = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RejectedRecord),
        action_flag=CHANGE,
        object_id__in=pending.annotate(key=Cast("pk", CharField())).values("key"),
    ).values_list("object_id", flat=True)
    return retried | {int(pk) for pk in saved}


def job_format(job: ImportJob) -> str | None:
    """The format the uploader forced, stored beside each file; None lets the readers detect it."""
    return next((entry["format"] for entry in job.files if entry.get("format")), None)
