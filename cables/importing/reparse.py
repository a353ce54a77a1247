"""Every stored cable derived again from its raw text by the current parser, in place.

A parser change must reach archives already loaded. `reparse` reads the cables in id order,
in batches, re-reads each raw record through its reader, parses it (in worker processes, as an
import does) and rewrites only the cables whose derived fields changed. Each batch is written
in one transaction together with the run's checkpoint, so a killed run resumes after the last
batch it wrote and counts nothing twice. No version is kept and no text changes: the raw text
is the truth, and a reparse only re-derives what is read from it.

A cable whose reference id the parser now reads differently keeps its old one as a redirect
(`CableAlias`), unless another cable holds the new one (a conflict: left as it is, reported);
a post renamed by the parser keeps its old slug as a redirect (`OriginAlias`) once no cable is
left under the old name. A cable that no longer parses is left as it is and reported.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count
from django.utils import timezone

from .. import readers
from ..models import (
    Cable,
    CableAlias,
    CableTag,
    Origin,
    OriginAlias,
    Recipient,
    Reference,
    ReparseRun,
)
from ..readers import RawRecord
from ..readers.sniff import NOT_UTF8
from . import database
from .parsing import Parsed, Record
from .pool import default_workers, parsed_batches
from .writer import RECIPIENT_COLUMNS, Writer, recipient_rows, references_of, tags_of

FAILURES_KEPT = 50
# Written by the reader from the file's bytes: a re-read of the decoded text cannot see them.
_READER_WARNINGS = (NOT_UTF8,)
# Derived fields compared, with the name the summary gives them.
_FIELDS: dict[str, str] = {
    "refid": "reference id",
    "dump_id": "dump id",
    "created": "date",
    "classification": "classification",
    "precedence": "precedence",
    "transmission_id": "transmission id",
    "subject": "subject",
    "summary": "summary",
    "signed_by": "signed by",
    "classified_by": "classified by",
    "classified_by_title": "classified by",
    "classification_reasons": "classified by",
    "decl_date": "declassification",
    "decl_text": "declassification",
    "caveats": "caveats",
    "header_stored": "header",
    "header_start": "header",
    "header_end": "header",
    "body_stored": "body",
    "body_start": "body",
    "body_end": "body",
    "content_hash": "content hash",
    "warnings": "warnings",
    "tags_as_written": "TAGs as written",
    "corrections": "corrections",
}
# What differs decides what is rewritten beside the cable row: its related rows, its index entry.
_CHILDREN = frozenset({"TAGs", "references", "recipients"})
_SEARCHED = frozenset({"subject", "TAGs", "origin", "body"})
_READ = ("id", "raw", "source", "source_format", "source_position", "updated_at", "origin__name")


@dataclass
class ReparseSummary:
    """What a run did, so far or in all; `report()` is what the checkpoint stores."""

    records: int = 0
    changed: int = 0
    failed: int = 0
    conflicts: int = 0
    skipped: int = 0  # changed by an import while this run parsed them: already current
    fields: Counter[str] = field(default_factory=Counter)
    renamed_cables: int = 0
    renamed_origins: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.records - self.changed - self.failed - self.conflicts - self.skipped

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed else 0.0

    def fail(self, message: str) -> None:
        self.failed += 1
        self.keep(message)

    def conflict(self, message: str) -> None:
        self.conflicts += 1
        self.keep(message)

    def keep(self, message: str) -> None:
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(message)

    def report(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "changed": self.changed,
            "failed": self.failed,
            "conflicts": self.conflicts,
            "skipped": self.skipped,
            "fields": dict(self.fields),
            "renamed_cables": self.renamed_cables,
            "renamed_origins": self.renamed_origins,
            "failures": self.failures,
            "elapsed": round(self.elapsed, 3),
        }

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> ReparseSummary:
        summary = cls()
        for name in ("records", "changed", "failed", "conflicts", "skipped", "renamed_cables"):
            setattr(summary, name, int(report.get(name, 0)))
        summary.fields = Counter(report.get("fields", {}))
        summary.renamed_origins = dict(report.get("renamed_origins", {}))
        summary.failures = list(report.get("failures", []))
        summary.elapsed = float(report.get("elapsed", 0.0))
        return summary


class ReparseObserver:
    """Hears a run's progress; the command shows it."""

    def progress(self, summary: ReparseSummary, total: int) -> None:
        """After each batch is written."""

    def failed(self, message: str) -> None:
        """A cable that no longer parses, or whose new reference id another cable holds."""


def reparse(
    *,
    batch_size: int = 500,
    workers: int | None = None,
    restart: bool = False,
    dry_run: bool = False,
    observer: ReparseObserver | None = None,
) -> tuple[ReparseSummary, ReparseRun | None]:
    """Re-derive every cable; resume the last unfinished run unless `restart` (or `dry_run`)."""
    db = database.for_connection()
    with db.alone("reparse") as alone:
        if not alone:
            raise ReparseBusy("another reparse is running on this database; wait for it to end")
        return _reparse(db, batch_size, workers, restart, dry_run, observer)


class ReparseBusy(Exception):
    """A second reparse of the same database while one runs."""


def _reparse(
    db: database.BulkSQL,
    batch_size: int,
    workers: int | None,
    restart: bool,
    dry_run: bool,
    observer: ReparseObserver | None,
) -> tuple[ReparseSummary, ReparseRun | None]:
    observer = observer or ReparseObserver()
    run = None if dry_run else _run(restart)
    summary = ReparseSummary.from_report(run.report) if run else ReparseSummary()
    after = run.last_id if run else 0
    total = (run.total if run else 0) or Cable.objects.count()
    started, elapsed_before = time.monotonic(), summary.elapsed
    writer = Writer(db, quarantine=False, job=None)
    workers = default_workers() if workers is None else workers
    stored: dict[int, dict[str, Any]] = {}
    # Each record object → its cable, for the batches in flight: the outcome of a parse is
    # matched back to the cable by the record it came from, whatever that record says.
    cable_of: dict[int, int] = {}
    with db.session():
        records = _records(after, batch_size, stored, cable_of)
        for batch in parsed_batches(records, batch_size, workers):
            items = [(cable_of.pop(id(item.record)), item) for item in batch.parsed]
            failures = [(cable_of.pop(id(r)), rejection) for r, rejection in batch.rejected]
            ids = [cable_id for cable_id, _item in items] + [f[0] for f in failures]
            with db.batch():
                last = max(ids)
                summary.records += len(ids)
                for cable_id, rejection in failures:
                    message = f"{stored[cable_id]['refid']}: no longer parses: {rejection}"
                    summary.fail(message)
                    observer.failed(message)
                _write(writer, summary, observer, items, stored, dry_run)
                summary.elapsed = elapsed_before + time.monotonic() - started
                if run:
                    run.last_id = last
                    run.report = summary.report()
                    run.save(update_fields=["last_id", "report", "updated_at"])
            for cable_id in ids:
                stored.pop(cable_id, None)
            observer.progress(summary, total)
    summary.elapsed = elapsed_before + time.monotonic() - started
    if run:
        run.finished_at = timezone.now()
        run.report = summary.report()
        run.save(update_fields=["finished_at", "report", "updated_at"])
    return summary, run


def _run(restart: bool) -> ReparseRun:
    unfinished = ReparseRun.objects.filter(finished_at__isnull=True).order_by("-pk").first()
    if unfinished and not restart:
        return unfinished
    return ReparseRun.objects.create(total=Cable.objects.count())


def _records(
    after: int, size: int, stored: dict[int, dict[str, Any]], cable_of: dict[int, int]
) -> Iterator[Record]:
    """The stored cables as their readers made them, in id order, read a batch at a time.

    `stored` receives each cable's current values, for the comparison once it is parsed.
    """
    while True:
        rows = list(
            Cable.objects.filter(id__gt=after).order_by("id").values(*_READ, *_FIELDS)[:size]
        )
        if not rows:
            return
        _add_children(rows)
        for row in rows:
            stored[row["id"]] = row
            record = _record(row)
            cable_of[id(record)] = row["id"]
            yield record
        after = rows[-1]["id"]


def _record(row: dict[str, Any]) -> Record:
    position, _sep, line = row["source_position"].rpartition(", line ")
    if not position or not line.isdigit():
        position, line = row["source_position"] or "file", "1"
    record = readers.reread(
        row["raw"],
        row["source_format"] if row["source_format"] in readers.FORMATS else "raw",
        source=row["source"],
        position=position,
        line=int(line),
    )
    kept = tuple(w for w in row["warnings"] if w.startswith(_READER_WARNINGS))
    if kept and isinstance(record, RawRecord):
        record = dataclasses.replace(record, warnings=(*record.warnings, *kept))
    return record


def _add_children(rows: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in rows]
    tags: dict[int, list[str]] = defaultdict(list)
    for cable_id, code in (
        CableTag.objects.filter(cable_id__in=ids)
        .order_by("cable_id", "position")
        .values_list("cable_id", "tag__code")
    ):
        tags[cable_id].append(code)
    refs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for cable_id, target, text in (
        Reference.objects.filter(citing_id__in=ids)
        .order_by("citing_id", "position")
        .values_list("citing_id", "target_refid", "text")
    ):
        refs[cable_id].append((target, text))
    recipients: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    columns = [name for name in RECIPIENT_COLUMNS if name != "cable"]
    for row in (
        Recipient.objects.filter(cable_id__in=ids)
        .order_by("cable_id", "position")
        .values_list("cable_id", *columns)
    ):
        recipients[row[0]].append(tuple(row[1:]))
    for row in rows:
        row["tags"] = tags[row["id"]]
        row["references"] = refs[row["id"]]
        row["recipients"] = recipients[row["id"]]


def _changes(old: dict[str, Any], item: Parsed) -> set[str]:
    if not item.fields["dump_id"]:
        item.fields["dump_id"] = old["dump_id"]  # a format that does not state it keeps it
    new = cast(dict[str, Any], item.fields)
    changed = {label for name, label in _FIELDS.items() if old[name] != new[name]}
    if old["origin__name"] != item.cable.origin:
        changed.add("origin")
    if old["tags"] != tags_of(item.cable):
        changed.add("TAGs")
    if old["references"] != references_of(item.cable):
        changed.add("references")
    new_recipients = [row[1:] for row in recipient_rows([(0, item.cable)])]
    if old["recipients"] != new_recipients:
        changed.add("recipients")
    return changed


def _write(
    writer: Writer,
    summary: ReparseSummary,
    observer: ReparseObserver,
    items: list[tuple[int, Parsed]],
    stored: dict[int, dict[str, Any]],
    dry_run: bool,
) -> None:
    changed: list[tuple[int, Parsed]] = []
    children, searched = set(), set()
    for cable_id, item in items:
        fields = _changes(stored[cable_id], item)
        if fields:
            changed.append((cable_id, item))
            summary.fields.update(fields)
            if fields & _CHILDREN:
                children.add(cable_id)
            if fields & _SEARCHED:
                searched.add(cable_id)
    changed = _without_conflicts(changed, stored, summary, observer)
    if not dry_run:
        changed = _still_current(changed, stored, summary)
    summary.changed += len(changed)
    renamed = [
        (stored[cable_id]["refid"], cable_id, item.cable.refid)
        for cable_id, item in changed
        if item.cable.refid != stored[cable_id]["refid"]
    ]
    summary.renamed_cables += len(renamed)
    if dry_run or not changed:
        return
    moved = {
        stored[cable_id]["origin__name"]: item.cable.origin
        for cable_id, item in changed
        if stored[cable_id]["origin__name"] != item.cable.origin
    }
    CableAlias.objects.filter(refid__in=[new for _old, _id, new in renamed]).delete()
    kept = {cable_id for cable_id, _item in changed}
    writer.rewrite(
        changed,
        [new for _old, _id, new in renamed],
        children=children & kept,
        searched=searched & kept,
    )
    CableAlias.objects.bulk_create(
        [CableAlias(refid=old, cable_id=cable_id) for old, cable_id, _new in renamed],
        ignore_conflicts=True,
    )
    summary.renamed_origins.update(_retire_origins(moved))


def _without_conflicts(
    changed: list[tuple[int, Parsed]],
    stored: dict[int, dict[str, Any]],
    summary: ReparseSummary,
    observer: ReparseObserver,
) -> list[tuple[int, Parsed]]:
    """Drop the cables whose new reference id another cable holds (in the archive or batch)."""
    wanted = {
        item.cable.refid: cable_id
        for cable_id, item in changed
        if item.cable.refid != stored[cable_id]["refid"]
    }
    if not wanted:
        return changed
    holders = dict(Cable.objects.filter(refid__in=wanted).values_list("refid", "id"))
    claimed: Counter[str] = Counter(
        item.cable.refid for cable_id, item in changed if item.cable.refid in wanted
    )
    kept = []
    for cable_id, item in changed:
        refid = item.cable.refid
        holder = holders.get(refid)
        if refid in wanted and ((holder is not None and holder != cable_id) or claimed[refid] > 1):
            message = (
                f"{stored[cable_id]['refid']}: now reads as {refid}, which another cable holds"
            )
            summary.conflict(message)
            observer.failed(message)
            continue
        kept.append((cable_id, item))
    return kept


def _still_current(
    changed: list[tuple[int, Parsed]], stored: dict[int, dict[str, Any]], summary: ReparseSummary
) -> list[tuple[int, Parsed]]:
    """Leave out the cables an import rewrote while they were parsed here: theirs is newer."""
    ids = [cable_id for cable_id, _item in changed]
    now = dict(Cable.objects.filter(id__in=ids).values_list("id", "updated_at"))
    current = [(i, item) for i, item in changed if now.get(i) == stored[i]["updated_at"]]
    summary.skipped += len(changed) - len(current)
    return current


def _retire_origins(moved: dict[str, str]) -> dict[str, str]:
    """Posts the parser now names otherwise: once empty, their slugs redirect to the new name."""
    if not moved:
        return {}
    empty = (
        Origin.objects.filter(name__in=moved)
        .annotate(n=Count("cables"))
        .filter(n=0)
        .values_list("id", "name", "slug")
    )
    renamed = {}
    for origin_id, name, slug in list(empty):  # inside the batch's transaction
        target = Origin.objects.get(name=moved[name])
        OriginAlias.objects.filter(origin_id=origin_id).update(origin=target)
        OriginAlias.objects.filter(slug=target.slug).delete()
        OriginAlias.objects.create(slug=slug, origin=target)
        Origin.objects.filter(id=origin_id).delete()
        renamed[name] = target.name
    return renamed
