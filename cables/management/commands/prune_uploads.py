"""Delete the uploaded files of finished import jobs that no pending rejection still needs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cables.models import ImportJob
from cables.tasks import release_uploads
from cables.uploads import kept, remove_stored


class Command(BaseCommand):
    help = (
        "Delete the uploads of finished import jobs with no pending rejected record. Failed jobs "
        "keep theirs for a retry, unless --failed-older-than says how long is long enough."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the jobs; delete nothing")
        parser.add_argument(
            "--failed-older-than",
            type=int,
            metavar="DAYS",
            help="also delete the uploads of jobs that failed more than DAYS days ago",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        failed_days = options["failed_older_than"]
        jobs = [job for job in _releasable() if _has_kept_files(job)]
        stale = [job for job in _failed_before(failed_days) if _has_kept_files(job)]
        for job in jobs:
            if not dry_run:
                release_uploads(job)
            self.stdout.write(f"{job}: {len(job.files)} file(s)")
        for job in stale:
            if not dry_run:
                remove_stored(job.upload_keys())
            self.stdout.write(f"{job}, failed {job.finished_at:%Y-%m-%d}: {len(job.files)} file(s)")
        jobs += stale
        verb = "would be pruned" if dry_run else "pruned"
        self.stdout.write(self.style.SUCCESS(f"{len(jobs)} job(s) {verb}."))


def _releasable() -> Iterator[ImportJob]:
    return ImportJob.objects.releasable().only("id", "status", "files").iterator()


def _failed_before(days: int | None) -> list[ImportJob]:
    if days is None:
        return []
    cutoff = timezone.now() - timedelta(days=days)
    return list(
        ImportJob.objects.failed_before(cutoff).only("id", "status", "files", "finished_at")
    )


def _has_kept_files(job: ImportJob) -> bool:
    return bool(kept(job.upload_keys()))
