"""Delete the uploaded files of finished import jobs that no pending rejection still needs."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from cables.models import ImportJob, RejectedRecord
from cables.tasks import release_uploads


class Command(BaseCommand):
    help = (
        "Delete the uploads of finished import jobs with no pending rejected record. Failed jobs "
        "keep theirs for a retry."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the jobs; delete nothing")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        jobs = [job for job in _releasable() if _has_files_on_disk(job)]
        for job in jobs:
            if not dry_run:
                release_uploads(job)
            self.stdout.write(f"{job}: {len(job.files)} file(s)")
        verb = "would be pruned" if dry_run else "pruned"
        self.stdout.write(self.style.SUCCESS(f"{len(jobs)} job(s) {verb}."))


def _releasable():
    return (
        ImportJob.objects.filter(status=ImportJob.Status.DONE)
        .exclude(rejections__status=RejectedRecord.Status.PENDING)
        .only("id", "status", "files")
        .iterator()
    )


def _has_files_on_disk(job: ImportJob) -> bool:
    return any(Path(entry["path"]).exists() for entry in job.files)
