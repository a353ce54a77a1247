"""Background jobs (django-tasks): the database queue in production, in-process in the demo."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django_tasks import task

from .importing import cable_json, count_records, import_paths
from .models import ImportJob, RejectedRecord
from .parser.types import ParsedCable
from .readers import RawRecord
from .uploads import remove_stored

PREVIEW_LIMIT = 20
# A running job that has shown no sign of life for this long has probably lost its worker.
STALLED_AFTER = timedelta(minutes=15)


@task()
def run_import_job(job_id: int) -> dict[str, int]:
    """Import a job's uploaded files through the one write path, recording progress on the job."""
    job = ImportJob.objects.get(pk=job_id)
    _start(job)
    preview = PreviewCollector(PREVIEW_LIMIT)
    paths = [entry["path"] for entry in job.files]
    try:
        _require_files(paths)
        _count(job, paths)
        summary = import_paths(
            paths,
            format=job_format(job),
            dry_run=job.dry_run,
            job=job,
            on_parsed=preview if job.dry_run else None,
            # Forking parse workers from a threaded process (the development server running
            # the job in-process) can deadlock on a lock held by another thread.
            workers=None if threading.active_count() == 1 else 1,
        )
    except Exception as exc:
        _fail(job, exc)
        raise
    _finish(job, summary, preview.items)
    release_uploads(job)
    return {"new": summary.new, "updated": summary.updated, "rejected": summary.rejected}


def enqueue_import(job: ImportJob) -> None:
    """Queue a job; with the immediate backend it has run by the time this returns."""
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def retry_job(job: ImportJob) -> None:
    """Run a failed or stalled job again on its kept files.

    Its untouched rejections are dropped, to be found again (or not, if now accepted); the ones
    an operator edited or retried are kept, since the re-run would only find the original text.
    """
    pending_rejections(job).exclude(pk__in=_touched_rejections(job)).delete()
    _reset(job)
    enqueue_import(job)


def is_stalled(job: ImportJob, now: datetime | None = None) -> bool:
    """A job marked running that has recorded no progress for a long while: its worker died."""
    if job.status != ImportJob.Status.RUNNING or job.started_at is None:
        return False
    return (now or timezone.now()) - max(job.started_at, job.updated_at) > STALLED_AFTER


def pending_rejections(job: ImportJob) -> QuerySet[RejectedRecord]:
    return job.rejections.filter(status=RejectedRecord.Status.PENDING)


def release_uploads(job: ImportJob) -> bool:
    """Delete a finished job's uploads once no pending rejection may need the original files.

    Rejections can hold incomplete text (refused archives, binary heads, truncated records), so
    the files are the only full copy until every rejection is resolved or deleted.
    """
    if job.status != ImportJob.Status.DONE or pending_rejections(job).exists():
        return False
    remove_stored(entry["path"] for entry in job.files)
    return True


def kept_files(job: ImportJob) -> list[dict[str, Any]]:
    """The job's uploads still on disk, each with how many pending rejections came from it."""
    on_disk = [entry for entry in job.files if Path(entry["path"]).exists()]
    if not on_disk:
        return []
    counts: Counter[str] = Counter()
    for source, count in _pending_by_source(job):
        counts[source.split("!", 1)[0]] += count
    return [{**entry, "pending": counts[entry["path"]]} for entry in on_disk]


def _pending_by_source(job: ImportJob) -> list[tuple[str, int]]:
    return list(
        pending_rejections(job)
        .order_by()
        .values("source")
        .annotate(count=Count("id"))
        .values_list("source", "count")
    )


def _touched_rejections(job: ImportJob) -> set[int]:
    """Pending rejections of the job that were retried, or saved in the admin (edited)."""
    pending = pending_rejections(job)
    retried = set(pending.filter(retried_at__isnull=False).values_list("pk", flat=True))
    saved = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RejectedRecord),
        action_flag=CHANGE,
        object_id__in=pending.annotate(key=Cast("pk", CharField())).values("key"),
    ).values_list("object_id", flat=True)
    return retried | {int(pk) for pk in saved}


class PreviewCollector:
    """Keeps the first cables a parse-only run produces, as plain values for the job page."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[dict[str, Any]] = []

    def __call__(self, record: RawRecord, cable: ParsedCable) -> None:
        if len(self.items) < self.limit:
            self.items.append(cable_json(record, cable) | {"position": record.position})


def job_format(job: ImportJob) -> str | None:
    """The format the uploader forced, stored beside each file; None lets the readers detect it."""
    return next((entry["format"] for entry in job.files if entry.get("format")), None)


def _require_files(paths: list[str]) -> None:
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise FileNotFoundError("the uploaded file is gone: " + ", ".join(missing))


def _count(job: ImportJob, paths: list[str]) -> None:
    job.total = count_records(paths, format=job_format(job))
    job.save(update_fields=["total"])


def _reset(job: ImportJob) -> None:
    job.status = ImportJob.Status.QUEUED
    job.error = ""
    job.started_at = job.finished_at = job.total = None
    job.done = job.new = job.updated = job.unchanged = job.rejected = 0
    job.new_refids = []
    job.preview = []
    job.save()


def _start(job: ImportJob) -> None:
    job.status = ImportJob.Status.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["status", "started_at"])


def _fail(job: ImportJob, exc: Exception) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        error=f"{type(exc).__name__}: {exc}",
        finished_at=timezone.now(),
    )


def _finish(job: ImportJob, summary, preview: list[dict[str, Any]]) -> None:
    job.status = ImportJob.Status.DONE
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        finished_at=timezone.now(),
        total=summary.records,
        done=summary.records,
        new=summary.new,
        updated=summary.updated,
        unchanged=summary.unchanged,
        rejected=summary.rejected,
        new_refids=list(summary.new_refids),
        preview=preview,
    )
