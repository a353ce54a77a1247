"""Records in, database rows out: the one write path, used by `import_cables` and the admin upload.

Each batch is written in one transaction with a fixed number of queries, whatever its size, so a
killed import loses at most the batch in flight and re-running it completes the job without
duplicates: identical text is left alone, changed text keeps the old text as a `CableVersion`.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import multiprocessing
import os
import sqlite3
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify

from . import readers, search
from .models import (
    Cable,
    CableTag,
    CableVersion,
    ImportJob,
    Origin,
    Recipient,
    Reference,
    RejectedRecord,
    Tag,
)
from .parser import ParsedCable, ParseError, parse_cable
from .parser import tags as tag_codes
from .parser.types import Metadata
from .readers import BadRecord, RawRecord

# Far above the largest cable of the release (about 600 KB); anything bigger is not one cable.
MAX_RECORD_CHARS = 5 * 1024 * 1024
NEW_REFIDS_KEPT = 100
REJECTIONS_KEPT = 1000
# Below this many records forking parse workers costs more than it saves (and tests stay serial).
PARALLEL_AFTER = 1000
SQLITE_IMPORT_CACHE_KIB = 32 * 1024

ProgressCallback = Callable[["ImportSummary"], None]
ParsedCallback = Callable[[RawRecord, ParsedCable], None]
RejectedCallback = Callable[["Rejection"], None]


class Rejection(NamedTuple):
    source: str
    position: str
    line: int | None
    error: str

    def __str__(self) -> str:
        where = f"{self.position}, line {self.line}" if self.line else self.position
        return f"{self.source}: {where}: {self.error}"


@dataclass
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    elapsed: float = 0.0
    new_refids: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.new + self.updated + self.unchanged + self.rejected

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.elapsed if self.elapsed > 0 else 0.0

    def _add_new(self, refid: str) -> None:
        self.new += 1
        if len(self.new_refids) < NEW_REFIDS_KEPT:
            self.new_refids.append(refid)

    def _add_rejection(self, rejection: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < REJECTIONS_KEPT:
            self.rejections.append(rejection)


class RetryError(Exception):
    """A rejected record that still cannot be imported."""


def import_paths(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    stdin: BinaryIO | None = None,
    **kwargs: Any,
) -> ImportSummary:
    """Read every record of these files (folders, archives, "-" for stdin) and import them."""
    records = readers.read_records(paths, format=format, stdin=stdin)
    return import_records(records, **kwargs)


def count_records(paths: Sequence[str | Path], *, format: str | None = None) -> int | None:
    """How many records the paths hold, for a progress total; None when the readers cannot tell."""
    return readers.count_records(paths, format=format)


def import_records(
    records: Iterable[RawRecord | BadRecord],
    *,
    dry_run: bool = False,
    batch_size: int = 500,
    workers: int | None = None,
    job: ImportJob | None = None,
    progress: ProgressCallback | None = None,
    on_parsed: ParsedCallback | None = None,
    on_rejected: RejectedCallback | None = None,
) -> ImportSummary:
    """Import records batch by batch; `dry_run` writes nothing yet reports the same figures.

    `workers` parse processes work ahead of the writer once PARALLEL_AFTER records are in: None
    means one per CPU, 0 or 1 parses in this process.
    """
    summary = ImportSummary()
    started = time.monotonic()
    batch_writer = _DryRun() if dry_run else _Writer(quarantine=True, job=job)
    workers = default_workers() if workers is None else workers
    with _import_session():
        for parsed, rejected in _parsed_batches(records, batch_size, workers):
            if on_parsed:
                for item in parsed:
                    on_parsed(item.record, item.cable)
            batch_writer.write(parsed, rejected, summary)
            for _record, rejection in rejected:
                summary._add_rejection(rejection)
                if on_rejected:
                    on_rejected(rejection)
            summary.elapsed = time.monotonic() - started
            if job is not None:
                _record_progress(job, summary)
            if progress:
                progress(summary)
        if not dry_run and (summary.new or summary.updated):
            _flush_search_index()
    summary.elapsed = time.monotonic() - started
    return summary


def retry_rejected(record: RejectedRecord) -> Cable:
    """Import a quarantined record again from its (possibly corrected) raw text."""
    if record.status == RejectedRecord.Status.RESOLVED:
        raise RetryError(f"{record} was already imported as {record.cable_id}")
    incoming = _reread(record)
    parsed, rejected = _parse_batch([incoming])
    record.retried_at = timezone.now()
    if rejected:
        record.error = str(rejected[0][1])
        record.save(update_fields=["error", "retried_at"])
        raise RetryError(rejected[0][1].error)
    with transaction.atomic():
        _Writer(quarantine=False, job=None).write(parsed, [], ImportSummary())
        cable = Cable.objects.get(refid=parsed[0][1].refid)
        record.status = RejectedRecord.Status.RESOLVED
        record.cable = cable
        record.save(update_fields=["status", "cable", "retried_at"])
    return cable


def cable_fields(record: RawRecord, cable: ParsedCable) -> dict[str, Any]:
    """The Cable column values for a parsed record (no origin, no related rows)."""
    classified_by = cable.classified_by
    return {
        "refid": cable.refid,
        "dump_id": cable.dump_id,
        "created": cable.created,
        "classification": cable.classification,
        "precedence": cable.precedence,
        "transmission_id": cable.transmission_id,
        "subject": cable.subject,
        "summary": cable.summary,
        "signed_by": ", ".join(cable.signed_by),
        "classified_by": " and ".join(classified_by.names) if classified_by else "",
        "classified_by_title": classified_by.title if classified_by else "",
        "classification_reasons": classified_by.reasons if classified_by else "",
        "decl_date": cable.decl_date,
        "decl_text": cable.decl_text,
        "caveats": list(cable.caveats),
        "header": cable.header,
        "body": cable.body,
        "raw": record.raw,
        "source": record.source,
        "source_format": record.format,
        "source_position": _position(record),
        "content_hash": content_hash(cable.header, cable.body),
        "warnings": list(dict.fromkeys((*cable.warnings, *record.warnings))),
    }


def cable_json(record: RawRecord, cable: ParsedCable) -> dict[str, Any]:
    """A parsed cable as plain JSON values (the `import_cables --dry-run --json` line)."""
    fields = cable_fields(record, cable)
    return {
        "refid": cable.refid,
        "date": cable.created.isoformat() if cable.created else None,
        "origin": cable.origin,
        "classification": cable.classification,
        "precedence": cable.precedence,
        "subject": cable.subject,
        "tags": list(dict.fromkeys(cable.tags)),
        "references": list(cable.reference_ids),
        "recipients": [
            {
                "role": _ROLES.get(r.role, r.role),
                "route": r.route or "",
                "name": r.name,
                "precedence": r.precedence or "",
                "serial": r.serial or "",
            }
            for r in cable.recipients
        ],
        "signed_by": fields["signed_by"],
        "classified_by": fields["classified_by"],
        "decl_date": cable.decl_date.isoformat() if cable.decl_date else None,
        "summary": cable.summary,
        "warnings": fields["warnings"],
        "source": record.source,
    }


def content_hash(header: str, body: str) -> str:
    """SHA-256 of the cable's own text, whatever wrapped it (a CSV row, a Scoop page, a file)."""
    lines = f"{header}\n{body}".splitlines()
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- parsing -------------------------------------------------------------------------------------

_ROLES = {"to": Recipient.Role.ACTION.value, "info": Recipient.Role.INFO.value}


class _Parsed(NamedTuple):
    record: RawRecord
    cable: ParsedCable
    fields: dict[str, Any]


def default_workers() -> int:
    """Parse processes for a large import: one per CPU the process may use."""
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(cpus) if cpus else os.cpu_count() or 1


def _batched(records: Iterable[RawRecord | BadRecord], size: int) -> Iterator[list]:
    iterator = iter(records)
    while batch := list(islice(iterator, max(size, 1))):
        yield batch


Outcomes = tuple[list[_Parsed], list[tuple[RawRecord | BadRecord, Rejection]]]


def _parsed_batches(
    records: Iterable[RawRecord | BadRecord], batch_size: int, workers: int
) -> Iterator[Outcomes]:
    """Parsed batches in input order: here at first, then (big inputs) in worker processes."""
    batches = _batched(records, batch_size)
    seen = 0
    for batch in batches:
        yield _parse_batch(batch)
        seen += len(batch)
        if workers > 1 and seen >= PARALLEL_AFTER and _can_fork():
            yield from _parse_in_pool(batches, workers)
            return


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _parse_in_pool(batches: Iterator[list], workers: int) -> Iterator[Outcomes]:
    """Parse batch N+1 in workers while the caller writes batch N.

    Workers are forked, so they start at once with the parser loaded; they never use the
    database connection they inherit. A worker that dies breaks the pool and stops the import
    with the batch in flight unwritten, as a killed import would.
    """
    pool = _start_pool(workers)
    pending: deque[tuple[list, list[Future]]] = deque()
    try:
        for batch in batches:
            chunks = [batch[i : i + _CHUNK] for i in range(0, len(batch), _CHUNK)]
            pending.append((batch, [pool.submit(_parse_chunk, chunk) for chunk in chunks]))
            if len(pending) > _BATCHES_AHEAD:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_CHUNK = 50  # records per task: small enough to share a batch among the workers
_BATCHES_AHEAD = 1


def _start_pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_watch_parent)
    # Frozen objects are skipped by the workers' garbage collector, so the memory they share
    # with this process stays shared instead of being copied page by page.
    gc.freeze()
    try:
        pool.submit(int).result()  # a fork pool starts all its workers on the first task
    finally:
        gc.unfreeze()
    return pool


def _watch_parent() -> None:
    """Exit when the importing process is gone, killed or not, rather than wait forever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _parse_chunk(
    records: list[RawRecord | BadRecord],
) -> list[tuple[ParsedCable, dict] | Rejection]:
    outcomes: list[tuple[ParsedCable, dict] | Rejection] = []
    for record in records:
        outcome = _parse_one(record)
        if isinstance(outcome, _Parsed):
            outcomes.append(_without_text(outcome))
        else:
            outcomes.append(outcome)
    return outcomes


def _without_text(item: _Parsed) -> tuple[ParsedCable, dict[str, Any]]:
    """What a worker sends back, minus the texts the importing process holds already."""
    record, cable, fields = item
    del fields["raw"]
    if cable.header is record.header and cable.body is record.body:
        cable = dataclasses.replace(cable, header="", body="")
        fields["header"] = fields["body"] = None
    return cable, fields


def _with_text(record: RawRecord, cable: ParsedCable, fields: dict[str, Any]) -> _Parsed:
    fields["raw"] = record.raw
    if fields["body"] is None:
        cable = dataclasses.replace(cable, header=record.header, body=record.body)
        fields["header"], fields["body"] = record.header, record.body
    return _Parsed(record, cable, fields)


def _collect(batch: list, futures: list[Future]) -> Outcomes:
    parsed: list[_Parsed] = []
    rejected: list[tuple[RawRecord | BadRecord, Rejection]] = []
    outcomes = (outcome for future in futures for outcome in future.result())
    for record, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, Rejection):
            rejected.append((record, outcome))
        else:
            parsed.append(_with_text(record, *outcome))
    return parsed, rejected


def _parse_batch(batch: Iterable[RawRecord | BadRecord]) -> Outcomes:
    parsed: list[_Parsed] = []
    rejected: list[tuple[RawRecord | BadRecord, Rejection]] = []
    for record in batch:
        outcome = _parse_one(record)
        if isinstance(outcome, Rejection):
            rejected.append((record, outcome))
        else:
            parsed.append(outcome)
    return parsed, rejected


def _parse_one(record: RawRecord | BadRecord) -> _Parsed | Rejection:
    if isinstance(record, BadRecord):
        return Rejection(record.source, record.position, record.line, record.error)
    try:
        _check_record(record)
        cable = parse_cable(record.header, record.body, record.metadata, warnings=record.warnings)
        fields = cable_fields(record, cable)
        _fit_lengths(cable, fields)
    except ParseError as exc:
        line = record.line + exc.line - 1 if exc.line and record.line else record.line
        return Rejection(record.source, record.position, line, exc.message)
    # A record the parser chokes on must not stop the import; it is quarantined like any other.
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return Rejection(record.source, record.position, record.line, message)
    return _Parsed(record, cable, fields)


def _check_record(record: RawRecord) -> None:
    if len(record.raw) > MAX_RECORD_CHARS:
        raise ParseError(
            f"oversize record: {len(record.raw):,} characters, more than the "
            f"{MAX_RECORD_CHARS:,} any cable has",
            line=1,
        )
    nul = record.raw.find("\x00")
    if nul >= 0:
        raise ParseError(
            "binary data: NUL byte in the text (not a cable)",
            line=record.raw.count("\n", 0, nul) + 1,
        )


def _fit_lengths(cable: ParsedCable, fields: dict[str, Any]) -> None:
    """Refuse identifiers that do not fit; shorten descriptive fields, noting it in the warnings."""
    for label, value, limit in (
        ("reference id", cable.refid, _max_length(Cable, "refid")),
        ("origin", cable.origin, _max_length(Origin, "name")),
    ):
        if len(value) > limit:
            raise ParseError(f"{label} longer than {limit} characters: {value[:80]}")
    for name, value in list(fields.items()):
        limit = _max_length(Cable, name)
        if isinstance(value, str) and limit and len(value) > limit:
            fields[name] = value[:limit]
            fields["warnings"].append(f"{name}: cut to {limit} characters")


@cache
def _max_length(model: type, name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def _position(record: RawRecord | BadRecord) -> str:
    return f"{record.position}, line {record.line}" if record.line else record.position


def _reread(record: RejectedRecord) -> RawRecord | BadRecord:
    """The quarantined text as a record again, through the reader of its format."""
    fmt = record.source_format or None
    if fmt == "raw":
        return RawRecord(
            record.source,
            record.position,
            record.line or 1,
            "raw",
            record.raw,
            "",
            record.raw,
            Metadata(),
        )
    stdin = io.BytesIO(record.raw.encode("utf-8"))
    try:
        found = list(readers.read_records(["-"], format=fmt, stdin=stdin))
    except Exception as exc:
        raise RetryError(f"cannot read the text as {fmt or 'any format'}: {exc}") from exc
    if len(found) != 1:
        raise RetryError(f"the text holds {len(found)} records; a retry takes exactly one")
    return dataclasses.replace(
        found[0], source=record.source, position=record.position, line=record.line or 1
    )


# --- writing -------------------------------------------------------------------------------------


@dataclass
class _Current:
    """What a reference id holds before an incoming record: the stored row or an earlier record."""

    hash: str
    cable_id: int | None = None
    incoming: _Parsed | None = None
    earlier: frozenset[str] = frozenset()  # hashes of the texts it held before
    dump_id: int | None = None
    source: str = ""
    source_format: str = ""
    source_position: str = ""
    imported_at: datetime | None = None


@dataclass
class _Plan:
    final: dict[str, _Current]
    versions: list[tuple[str, _Current]]
    new: list[str]


def _plan(parsed: Sequence[_Parsed], known: dict[str, _Current], summary: ImportSummary) -> _Plan:
    """Count each record as if imported one by one; only the last text of a reference id is kept."""
    state = dict(known)
    versions: list[tuple[str, _Current]] = []
    for item in parsed:
        refid, incoming_hash = item.cable.refid, item.fields["content_hash"]
        previous = state.get(refid)
        if previous is None:
            summary._add_new(refid)
        elif incoming_hash == previous.hash or incoming_hash in previous.earlier:
            # A text we already hold, current or earlier: re-running an import of several
            # releases must not flip the cable between them and pile up versions.
            summary.unchanged += 1
            continue
        else:
            summary.updated += 1
            versions.append((refid, previous))
        earlier = previous.earlier | {previous.hash} if previous else frozenset()
        # A format that does not state the dump's id must not erase one another format gave.
        dump_id = item.fields["dump_id"] or (previous.dump_id if previous else None)
        state[refid] = _Current(
            incoming_hash, previous.cable_id if previous else None, item, earlier, dump_id=dump_id
        )
    final = {refid: current for refid, current in state.items() if current.incoming}
    new = [refid for refid, current in final.items() if current.cable_id is None]
    return _Plan(final, versions, new)


class _DryRun:
    """Counts like a real import, remembering what earlier batches would have written."""

    def __init__(self) -> None:
        self.seen: dict[str, _Current] = {}

    def write(self, parsed: list[_Parsed], rejected: list, summary: ImportSummary) -> None:
        refids = {item.cable.refid for item in parsed}
        known = _stored(refids - self.seen.keys())
        known.update((r, c) for r, c in self.seen.items() if r in refids)
        plan = _plan(parsed, known, summary)
        self.seen.update(
            (refid, _Current(c.hash, earlier=c.earlier)) for refid, c in plan.final.items()
        )


class _Writer:
    def __init__(self, *, quarantine: bool, job: ImportJob | None) -> None:
        self.quarantine = quarantine
        self.job = job

    def write(self, parsed: list[_Parsed], rejected: list, summary: ImportSummary) -> None:
        with _full_sqlite_parameter_limit(), transaction.atomic():
            _one_writer_at_a_time()
            if self.quarantine and rejected:
                rows = [
                    _rejected_row(record, rejection, self.job) for record, rejection in rejected
                ]
                RejectedRecord.objects.bulk_create(_not_yet_quarantined(rows))
            if parsed:
                self._write_cables(parsed, summary)

    def _write_cables(self, parsed: list[_Parsed], summary: ImportSummary) -> None:
        plan = _plan(parsed, _stored({item.cable.refid for item in parsed}), summary)
        if not plan.final:
            return
        incoming = [current.incoming for current in plan.final.values()]
        origins = _origin_ids({item.cable.origin for item in incoming})
        changed = {r: c.cable_id for r, c in plan.final.items() if c.cable_id is not None}
        ids = {**changed, **_create_cables(plan, origins)}
        _save_versions(plan.versions, ids)  # before the update overwrites the stored text
        _update_cables(plan, origins)
        _replace_children(plan, ids, changed)
        _resolve_references_to(plan.new)
        search.index_cables(sorted(ids.values()))


def _record_progress(job: ImportJob, summary: ImportSummary) -> None:
    job.done = summary.records
    job.new, job.updated, job.unchanged = summary.new, summary.updated, summary.unchanged
    job.rejected = summary.rejected
    job.new_refids = list(summary.new_refids)
    job.save(
        update_fields=[
            "done",
            "new",
            "updated",
            "unchanged",
            "rejected",
            "new_refids",
            "updated_at",
        ]
    )


def _rejected_row(
    record: RawRecord | BadRecord, rejection: Rejection, job: ImportJob | None
) -> RejectedRecord:
    # PostgreSQL text cannot hold NUL; the operator still sees where the binary data was.
    raw = record.raw[:MAX_RECORD_CHARS].replace("\x00", "\ufffd")
    return RejectedRecord(
        source=record.source[:1000],
        source_format=record.format[:20],
        position=record.position[:200],
        line=rejection.line,
        error=str(rejection),
        raw=raw,
        job=job,
    )


_IMPORT_LOCK = 0x0CAB1E  # any constant: the key of PostgreSQL's advisory lock for imports


def _one_writer_at_a_time() -> None:
    """Concurrent imports take turns per batch, so they never race to create the same rows.

    SQLite's immediate transactions already serialise writers; PostgreSQL needs a lock, held
    until the batch's transaction ends.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])


def _not_yet_quarantined(rows: list[RejectedRecord]) -> list[RejectedRecord]:
    """A record already waiting in the quarantine with the same text is not kept twice."""
    waiting = set(
        RejectedRecord.objects.filter(
            status=RejectedRecord.Status.PENDING,
            source__in={row.source for row in rows},
            position__in={row.position for row in rows},
        ).values_list("source", "position", "raw")
    )
    fresh = {(row.source, row.position, row.raw): row for row in rows}
    return [row for key, row in fresh.items() if key not in waiting]


_STORED_FIELDS = (
    "id",
    "refid",
    "dump_id",
    "content_hash",
    "source",
    "source_format",
    "source_position",
)


def _stored(refids: set[str]) -> dict[str, _Current]:
    rows = Cable.objects.filter(refid__in=refids).values(*_STORED_FIELDS, "updated_at")
    earlier: dict[str, set[str]] = defaultdict(set)
    versions = CableVersion.objects.filter(cable__refid__in=refids)
    for refid, text_hash in versions.values_list("cable__refid", "content_hash"):
        earlier[refid].add(text_hash)
    return {
        row["refid"]: _Current(
            row["content_hash"],
            row["id"],
            source=row["source"],
            source_format=row["source_format"],
            source_position=row["source_position"],
            imported_at=row["updated_at"],
            earlier=frozenset(earlier[row["refid"]]),
            dump_id=row["dump_id"],
        )
        for row in rows
    }


def _origin_ids(names: set[str]) -> dict[str, int]:
    existing = Origin.objects.filter(name__in=names).values_list("name", "id")
    ids = dict(existing)
    missing = sorted(names - ids.keys())
    if missing:
        slugs = _unique_slugs(missing)
        created = Origin.objects.bulk_create(
            Origin(name=name, slug=slugs[name]) for name in missing
        )
        ids.update(_ids_of(Origin, "name", created))
    return ids


def _unique_slugs(names: list[str]) -> dict[str, str]:
    """Slugs for new origins that collide neither with stored ones nor with each other."""
    wanted = {name: slugify(name)[:180] or "origin" for name in names}
    taken = set(
        Origin.objects.filter(
            Q(slug__in=wanted.values()) | Q(slug__regex=_slug_family(wanted.values()))
        ).values_list("slug", flat=True)
    )
    slugs = {}
    for name, slug in wanted.items():
        candidate, n = slug, 1
        while candidate in taken:
            n += 1
            candidate = f"{slug}-{n}"
        taken.add(candidate)
        slugs[name] = candidate
    return slugs


def _slug_family(slugs: Iterable[str]) -> str:
    return "^(" + "|".join(sorted(set(slugs))) + ")-[0-9]+$"


def _tag_ids(codes: set[str]) -> dict[str, int]:
    ids = dict(Tag.objects.filter(code__in=codes).values_list("code", "id"))
    missing = sorted(codes - ids.keys())
    if missing:
        created = Tag.objects.bulk_create(_new_tag(code) for code in missing)
        ids.update(_ids_of(Tag, "code", created))
    return ids


def _new_tag(code: str) -> Tag:
    entry = tag_codes.glossary().get(code.upper())
    kind = tag_codes.tag_kind(code)
    return Tag(
        code=code,
        kind=kind if kind in Tag.Kind.values else Tag.Kind.SUBJECT,
        description=entry.description if entry else "",
    )


def _ids_of(model: type, key: str, objs: list) -> dict[str, int]:
    """Primary keys of freshly bulk-created rows (re-read where the database cannot return them)."""
    if all(obj.pk is not None for obj in objs):
        return {getattr(obj, key): obj.pk for obj in objs}
    keys = [getattr(obj, key) for obj in objs]
    return dict(model.objects.filter(**{f"{key}__in": keys}).values_list(key, "id"))


def _create_cables(plan: _Plan, origins: dict[str, int]) -> dict[str, int]:
    """Insert the new cables: PostgreSQL numbers them from the sequence first, SQLite re-reads."""
    if not plan.new:
        return {}
    fields = [f for f in Cable._meta.concrete_fields if f.name not in ("id", "search_vector")]
    ids: dict[str, int] = {}
    if connection.vendor == "postgresql":
        fields.insert(0, Cable._meta.pk)
        ids = dict(zip(plan.new, _next_ids(Cable, len(plan.new)), strict=True))
    now = timezone.now()
    rows = []
    for refid in plan.new:
        item = plan.final[refid].incoming
        values = {**item.fields, "origin": origins[item.cable.origin], "id": ids.get(refid)}
        values["imported_at"] = values["updated_at"] = now
        rows.append(tuple(values[f.name] if f.name in values else f.get_default() for f in fields))
    _insert_rows(Cable, [f.name for f in fields], rows)
    if ids:
        return ids
    return dict(Cable.objects.filter(refid__in=plan.new).values_list("refid", "id"))


def _next_ids(model: type, count: int) -> list[int]:
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, count],
        )
        return [row[0] for row in cursor.fetchall()]


_UPDATED_FIELDS = [
    "dump_id",
    "created",
    "classification",
    "precedence",
    "transmission_id",
    "subject",
    "summary",
    "signed_by",
    "classified_by",
    "classified_by_title",
    "classification_reasons",
    "decl_date",
    "decl_text",
    "caveats",
    "header",
    "body",
    "raw",
    "source",
    "source_format",
    "source_position",
    "content_hash",
    "warnings",
    "origin",
    "updated_at",
]


def _update_cables(plan: _Plan, origins: dict[str, int]) -> None:
    """Rewrite cables whose text changed; their ids stay, so citations and versions still point."""
    now = timezone.now()
    cables = []
    for current in plan.final.values():
        if current.cable_id is None:
            continue
        item = current.incoming
        fields = {**item.fields, "dump_id": current.dump_id}
        cable = Cable(
            id=current.cable_id, origin_id=origins[item.cable.origin], updated_at=now, **fields
        )
        cables.append(cable)
    if cables:
        Cable.objects.bulk_update(cables, _UPDATED_FIELDS)


def _save_versions(versions: list[tuple[str, _Current]], ids: dict[str, int]) -> None:
    if not versions:
        return
    stored_ids = [current.cable_id for _refid, current in versions if current.incoming is None]
    stored_raw = dict(Cable.objects.filter(id__in=stored_ids).values_list("id", "raw"))
    now = timezone.now()
    rows = []
    for refid, current in versions:
        if current.incoming is None:
            raw, imported_at = stored_raw[current.cable_id], current.imported_at or now
            provenance = (current.source, current.source_format, current.source_position)
        else:
            fields = current.incoming.fields
            raw, imported_at = fields["raw"], now
            provenance = (fields["source"], fields["source_format"], fields["source_position"])
        rows.append(
            CableVersion(
                cable_id=ids[refid],
                raw=raw,
                content_hash=current.hash,
                source=provenance[0],
                source_format=provenance[1],
                source_position=provenance[2],
                imported_at=imported_at,
            )
        )
    CableVersion.objects.bulk_create(rows)


def _replace_children(plan: _Plan, ids: dict[str, int], changed: dict[str, int]) -> None:
    if changed:
        changed_ids = list(changed.values())
        Recipient.objects.filter(cable_id__in=changed_ids).delete()
        CableTag.objects.filter(cable_id__in=changed_ids).delete()
        Reference.objects.filter(citing_id__in=changed_ids).delete()
    cables = [(ids[refid], current.incoming.cable) for refid, current in plan.final.items()]
    _insert_rows(Recipient, _RECIPIENT_COLUMNS, _recipients(cables))
    tag_ids = _tag_ids({code for _id, cable in cables for code in _tags_of(cable)})
    _insert_rows(
        CableTag,
        ("cable", "tag", "position"),
        (
            (cable_id, tag_ids[code], position)
            for cable_id, cable in cables
            for position, code in enumerate(_tags_of(cable))
        ),
    )
    targets = {refid for _id, cable in cables for refid in cable.reference_ids}
    cited = dict(Cable.objects.filter(refid__in=targets).values_list("refid", "id"))
    _insert_rows(
        Reference,
        ("citing", "position", "target_refid", "cited"),
        (
            (cable_id, position, refid, cited.get(refid))
            for cable_id, cable in cables
            for position, refid in enumerate(_references_of(cable))
        ),
    )


def _insert_rows(model: type, names: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert plain value tuples in one go, skipping model instances and per-value ORM work.

    PostgreSQL gets a COPY (several times faster than any INSERT for 10 MB of cable text);
    SQLite one executemany of a prepared INSERT. Dates and JSON are adapted here.
    """
    rows = list(rows)
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    prepared_at = [i for i, f in enumerate(fields) if f.get_internal_type() not in _STORED_AS_IS]
    if prepared_at:
        rows = [_prepared(row, fields, prepared_at) for row in rows]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({columns}) FROM STDIN"
            # Logged like any query when queries are (DEBUG, or counted by the tests).
            logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
            with logged, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


# Python values of these fields are what both databases store; dates and JSON need adapting.
_STORED_AS_IS = frozenset(
    [
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    ]
)


def _prepared(row: tuple, fields: list, prepared_at: list[int]) -> tuple:
    values = list(row)
    for i in prepared_at:
        values[i] = fields[i].get_db_prep_save(values[i], connection)
    return tuple(values)


_RECIPIENT_COLUMNS = (
    "cable",
    "position",
    "role",
    "route",
    "name",
    "precedence",
    "serial",
    "excluded",
)


def _recipients(cables: list[tuple[int, ParsedCable]]) -> Iterator[tuple]:
    for cable_id, cable in cables:
        for position, r in enumerate(cable.recipients):
            yield (
                cable_id,
                position,
                _ROLES.get(r.role, Recipient.Role.INFO.value),
                (r.route or "")[:20],
                r.name[:300],
                (r.precedence or "")[:40],
                (r.serial or "")[:20],
                list(r.excluded),
            )


def _tags_of(cable: ParsedCable) -> list[str]:
    limit = _max_length(Tag, "code")
    return [code for code in dict.fromkeys(cable.tags) if code and len(code) <= limit]


def _references_of(cable: ParsedCable) -> list[str]:
    limit = _max_length(Reference, "target_refid")
    return [refid for refid in cable.reference_ids if len(refid) <= limit]


def _resolve_references_to(new_refids: list[str]) -> None:
    """Point earlier, still dangling citations at the cables this batch added (one UPDATE)."""
    if not new_refids:
        return
    Reference.objects.filter(cited__isnull=True, target_refid__in=new_refids).update(
        cited=Subquery(Cable.objects.filter(refid=OuterRef("target_refid")).values("id")[:1])
    )


@contextmanager
def _full_sqlite_parameter_limit() -> Iterator[None]:
    """Let SQLite take a whole batch per INSERT, as PostgreSQL does.

    Django 5.2 assumes SQLite's historical 999-variable limit and splits bulk inserts to fit it;
    SQLite 3.32+ allows 32,766, and reading the real limit keeps the queries per batch constant.
    """
    features = connection.features
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    limit_getter = getattr(connection.connection, "getlimit", None)
    if limit_getter is None:
        yield
        return
    features.max_query_params = limit_getter(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    try:
        yield
    finally:
        del features.max_query_params


@contextmanager
def _import_session() -> Iterator[None]:
    """Connection settings for a bulk import, put back afterwards; what is stored is the same.

    SQLite: a batch writes ~10 MB of pages (text, indexes, FTS) and the default 2 MB cache spills
    them to the WAL mid-transaction, then reads them back for the full-text insert.
    PostgreSQL: lz4 compresses the long text columns several times faster than pglz, and a
    bigger GIN pending list merges the search vectors into the index in fewer, larger passes.
    """
    settings = _SESSION_SETTINGS.get(connection.vendor, {})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not _has_lz4(cursor):
            settings = {k: v for k, v in settings.items() if k != "default_toast_compression"}
        previous = {}
        for name, value in settings.items():
            previous[name] = _setting(cursor, name)
            _set(cursor, name, value)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in previous.items():
                _set(cursor, name, value)


_SESSION_SETTINGS: dict[str, dict[str, int | str]] = {
    "sqlite": {"cache_size": -SQLITE_IMPORT_CACHE_KIB},
    "postgresql": {"default_toast_compression": "lz4", "gin_pending_list_limit": "64MB"},
}


def _setting(cursor: Any, name: str) -> int | str:
    cursor.execute(f"PRAGMA {name}" if connection.vendor == "sqlite" else f"SHOW {name}")
    return cursor.fetchone()[0]


def _set(cursor: Any, name: str, value: int | str) -> None:
    if connection.vendor == "sqlite":
        cursor.execute(f"PRAGMA {name} = {int(value)}")
    else:
        cursor.execute(f"SET {name} = '{value}'")


def _has_lz4(cursor: Any) -> bool:
    cursor.execute(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _flush_search_index() -> None:
    """Merge what the GIN pending list holds into the index, so searches need not scan it."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index AS i "
            "JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS am ON am.oid = c.relam "
            "WHERE i.indrelid = %s::regclass AND am.amname = 'gin'",
            [Cable._meta.db_table],
        )
