"""Background jobs (django-tasks): the database queue in production, in-process in the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone
from django_tasks import task

from .importing import cable_json, count_records, import_paths
from .models import ImportJob, RejectedRecord
from .parser.types import ParsedCable
from .readers import RawRecord
from .uploads import remove_stored

PREVIEW_LIMIT = 20


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
        )
    except Exception as exc:
        _fail(job, exc)
        raise
    _finish(job, summary, preview.items)
    remove_stored(paths)
    return {"new": summary.new, "updated": summary.updated, "rejected": summary.rejected}


def enqueue_import(job: ImportJob) -> None:
    """Queue a job; with the immediate backend it has run by the time this returns."""
    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def retry_job(job: ImportJob) -> None:
    """Run a failed job again on its kept files; its earlier rejections will be found again."""
    job.rejections.filter(status=RejectedRecord.Status.PENDING).delete()
    _reset(job)
    enqueue_import(job)


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
