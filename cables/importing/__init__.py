"""Records in, database rows out: the one write path, used by `import_cables` and the admin upload.

Each batch is written in one transaction with a fixed number of queries, whatever its size, so a
killed import loses at most the batch in flight and re-running it completes the job without
duplicates: identical text is left alone, changed text keeps the old text as a `CableVersion`.

`summary` holds what an import reports and the observer that hears it; `parsing` turns one record
into column values; `pool` parses batches, in worker processes for big inputs; `writer` writes a
batch; `database` holds what differs between PostgreSQL and SQLite.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from .. import readers
from ..models import Cable, RejectedRecord
from . import database
from .database import SQLITE_IMPORT_CACHE_KIB
from .parsing import (
    MAX_RECORD_CHARS,
    CableFields,
    Record,
    RetryError,
    cable_fields,
    cable_json,
    content_hash,
    parse_batch,
    reread,
)
from .pool import PARALLEL_AFTER, default_workers, parsed_batches
from .summary import NEW_REFIDS_KEPT, REJECTIONS_KEPT, ImportObserver, ImportSummary, Rejection
from .writer import DryRun, Writer

__all__ = [
    "MAX_RECORD_CHARS",
    "NEW_REFIDS_KEPT",
    "PARALLEL_AFTER",
    "REJECTIONS_KEPT",
    "SQLITE_IMPORT_CACHE_KIB",
    "CableFields",
    "ImportObserver",
    "ImportSummary",
    "Rejection",
    "RetryError",
    "cable_fields",
    "cable_json",
    "content_hash",
    "count_records",
    "default_workers",
    "import_paths",
    "import_records",
    "retry_rejected",
]


def import_paths(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    stdin: BinaryIO | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    workers: int | None = None,
    observer: ImportObserver | None = None,
    labels: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Read every record of these files (folders, archives, "-" for stdin) and import them.

    `labels` names a file in the rows and rejections instead of its path (path → label).
    """
    records: Iterable[Record] = readers.read_records(paths, format=format, stdin=stdin)
    if labels:
        records = _labelled(records, labels)
    return import_records(
        records, dry_run=dry_run, batch_size=batch_size, workers=workers, observer=observer
    )


def _labelled(records: Iterable[Record], labels: Mapping[str, str]) -> Iterator[Record]:
    for record in records:
        path, bang, member = record.source.partition("!")
        label = labels.get(path)
        yield record if label is None else dataclasses.replace(record, source=label + bang + member)


def count_records(paths: Sequence[str | Path], *, format: str | None = None) -> int | None:
    """How many records the paths hold, for a progress total; None when the readers cannot tell."""
    return readers.count_records(paths, format=format)


def import_records(
    records: Iterable[Record],
    *,
    dry_run: bool = False,
    batch_size: int = 500,
    workers: int | None = None,
    observer: ImportObserver | None = None,
) -> ImportSummary:
    """Import records batch by batch; `dry_run` writes nothing yet reports the same figures.

    `workers` parse processes work ahead of the writer once PARALLEL_AFTER records are in: None
    means one per CPU, 0 or 1 parses in this process. The observer hears every cable, rejection
    and batch; the rejected records are filed under its job.
    """
    observer = ImportObserver() if observer is None else observer
    summary = ImportSummary()
    started = time.monotonic()
    db = database.for_connection()
    writer = DryRun() if dry_run else Writer(db, quarantine=True, job=observer.job)
    workers = default_workers() if workers is None else workers
    with db.session():
        for batch in parsed_batches(records, batch_size, workers):
            for item in batch.parsed:
                observer.parsed(item.record, item.cable)
            writer.write(batch, summary)
            for record, rejection in batch.rejected:
                summary.add_rejection(rejection)
                observer.rejected(record, rejection)
            summary.elapsed = time.monotonic() - started
            observer.progress(summary)
        if not dry_run and (summary.new or summary.updated):
            db.flush_search_index()
    summary.elapsed = time.monotonic() - started
    observer.finished(summary)
    return summary


def retry_rejected(record: RejectedRecord) -> Cable:
    """Import a quarantined record again from its (possibly corrected) raw text."""
    if record.status == RejectedRecord.Status.RESOLVED:
        raise RetryError(f"{record} was already imported as {record.cable_id}")
    batch = parse_batch([reread(record)])
    record.retried_at = timezone.now()
    if batch.rejected:
        rejection = batch.rejected[0][1]
        record.error = str(rejection)
        record.save(update_fields=["error", "retried_at"])
        raise RetryError(rejection.error)
    with transaction.atomic():
        writer = Writer(database.for_connection(), quarantine=False, job=None)
        writer.write(batch, ImportSummary())
        cable = Cable.objects.get(refid=batch.parsed[0].cable.refid)
        record.status = RejectedRecord.Status.RESOLVED
        record.cable = cable
        record.save(update_fields=["status", "cable", "retried_at"])
    return cable
