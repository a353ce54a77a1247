"""One record in, a parsed cable and its Cable column values out, or the reason it was rejected."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple, TypedDict, cast

from django.db.models import Field, Model

from .. import readers, storedtext
from ..models import Cable, Origin, RejectedRecord
from ..models import Recipient as RecipientRow
from ..parser import ParsedCable, ParseError, parse_cable
from ..readers import BadRecord, RawRecord
from ..readers.records import MAX_RECORD_BYTES
from .summary import Rejection

# The readers' record limit (far above the largest cable, about 600 KB), in characters here.
MAX_RECORD_CHARS = MAX_RECORD_BYTES

Record = RawRecord | BadRecord
ROLES = {"to": RecipientRow.Role.ACTION.value, "info": RecipientRow.Role.INFO.value}


class RetryError(Exception):
    """A rejected record that still cannot be imported."""


class CableFields(TypedDict):
    """The Cable column values of a parsed record, minus its origin, id and timestamps."""

    refid: str
    dump_id: int | None
    created: datetime | None
    classification: str
    precedence: str
    transmission_id: str
    subject: str
    summary: str
    signed_by: str
    classified_by: str
    classified_by_title: str
    classification_reasons: str
    decl_date: date | None
    decl_text: str
    caveats: list[str]
    header_stored: str
    header_start: int | None
    header_end: int | None
    body_stored: str
    body_start: int | None
    body_end: int | None
    raw: str
    source: str
    source_format: str
    source_position: str
    content_hash: str
    warnings: list[str]
    tags_as_written: list[str]
    corrections: list[dict[str, str]]


class Parsed(NamedTuple):
    record: RawRecord
    cable: ParsedCable
    fields: CableFields


class Batch(NamedTuple):
    """A batch of records sorted into the ones that parsed and the ones that did not."""

    parsed: list[Parsed]
    rejected: list[tuple[Record, Rejection]]


def cable_fields(record: RawRecord, cable: ParsedCable) -> CableFields:
    """The Cable column values for a parsed record (no origin, no related rows)."""
    classified_by = cable.classified_by
    header = storedtext.store(record.raw, cable.header, record.format)
    body = storedtext.store(record.raw, cable.body, record.format)
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
        "header_stored": header.text,
        "header_start": header.start,
        "header_end": header.end,
        "body_stored": body.text,
        "body_start": body.start,
        "body_end": body.end,
        "raw": record.raw,
        "source": record.source,
        "source_format": record.format,
        "source_position": _position(record),
        "content_hash": content_hash(cable.header, cable.body),
        "warnings": list(dict.fromkeys((*cable.warnings, *record.warnings))),
        "tags_as_written": list(cable.tags_as_written),
        "corrections": [dataclasses.asdict(c) for c in cable.corrections],
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
        "tags_as_written": fields["tags_as_written"],
        "references": list(cable.reference_ids),
        "references_as_written": [
            {"refid": refid, "as_written": text} for refid, text in references_as_written(cable)
        ],
        "recipients": [
            {
                "role": ROLES.get(r.role, r.role),
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
        "corrections": fields["corrections"],
        "warnings": fields["warnings"],
        "source": record.source,
    }


def references_as_written(cable: ParsedCable) -> list[tuple[str, str]]:
    """Each cited id once, in order, with the REF item it was first read from."""
    found: dict[str, str] = {}
    for ref in cable.references:
        if ref.refid:
            found.setdefault(ref.refid, ref.text)
    return list(found.items())


def content_hash(header: str, body: str) -> str:
    """SHA-256 of the cable's own text, whatever wrapped it (a CSV row, a Scoop page, a file)."""
    lines = f"{header}\n{body}".splitlines()
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def parse_batch(records: list[Record]) -> Batch:
    batch = Batch([], [])
    for record in records:
        outcome = parse_one(record)
        if isinstance(outcome, Rejection):
            batch.rejected.append((record, outcome))
        else:
            batch.parsed.append(outcome)
    return batch


def parse_one(record: Record) -> Parsed | Rejection:
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
    return Parsed(record, cable, fields)


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


def _fit_lengths(cable: ParsedCable, fields: CableFields) -> None:
    """Refuse identifiers that do not fit; shorten descriptive fields, noting it in the warnings."""
    for label, key, limit in (
        ("reference id", cable.refid, max_length(Cable, "refid")),
        ("origin", cable.origin, max_length(Origin, "name")),
    ):
        if limit is not None and len(key) > limit:
            raise ParseError(f"{label} longer than {limit} characters: {key[:80]}")
    # Every key is a Cable field, and a cut string is still a string.
    columns = cast(dict[str, object], fields)
    for name, value in list(columns.items()):
        limit = max_length(Cable, name)
        if isinstance(value, str) and limit and len(value) > limit:
            columns[name] = value[:limit]
            fields["warnings"].append(f"{name}: cut to {limit} characters")


@cache
def max_length(model: type[Model], name: str) -> int | None:
    field = model._meta.get_field(name)
    return field.max_length if isinstance(field, Field) else None


def _position(record: Record) -> str:
    return f"{record.position}, line {record.line}" if record.line else record.position


def reread(record: RejectedRecord) -> Record:
    """The quarantined text as a record again, through the reader of its format."""
    fmt = record.source_format or None
    if fmt in readers.FORMATS:
        return readers.reread(
            record.raw,
            fmt,
            source=record.source,
            position=record.position,
            line=record.line or 1,
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
