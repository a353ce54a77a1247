"""Raw cable text in, frozen dataclasses out. Pure Python: nothing here imports Django.

`parse_cable(header, body, metadata)` is the entry point; the field extractors live in the
modules beside it (header, canonical, references, tags, subject, body) and can be used alone.
"""

from __future__ import annotations

import re
from datetime import datetime

from . import body as body_mod
from . import canonical, references, subject, tags
from .header import Header, parse_header
from .types import (
    ClassifiedBy,
    Metadata,
    Paragraph,
    ParsedCable,
    ParseError,
    Recipient,
    Reference,
)

__all__ = [
    "ClassifiedBy",
    "Metadata",
    "Paragraph",
    "ParseError",
    "ParsedCable",
    "Recipient",
    "Reference",
    "parse_cable",
    "split_cable",
]

_HEADER_LINE = re.compile(
    r"^\s*(FM|TO|INFO|XMT|BT|ZEX|ZFF|ZNR|ZNY|ZZH|VZCZC|DE |[OPRZ]{1,2} \d{6}Z)"
)
_MAX_CLOCK_SKEW_MINUTES = 59
_REDACTED = re.compile(r"X{3,}")
_REFID_SHAPE = re.compile(r"[0-9]{2}(?=[0-9]*[A-Z])[0-9A-Z]{2,60}")
_LONG_SERIALS = frozenset({"STATE", "SECDEF"})  # serials past 9999: the DE line cuts them
# The footer of partial extracts: "2004CARACA02200 - CONFIDENTIAL".
_EXTRACT_FOOTER = re.compile(r"(?m)^[ \t]*((?:19|20)\d\d)[A-Z]{3,}\d{5}[ \t]+-[ \t]+[A-Z]")


def split_cable(text: str) -> tuple[str, str]:
    """Split a bare cable into its transmission header and its body (classification line on)."""
    lines = text.splitlines(keepends=True)
    found = body_mod.classification_line(text)
    if found is None or found.line <= 1:
        return "", text
    head = "".join(lines[: found.line - 1])
    if not any(_HEADER_LINE.match(line) for line in head.splitlines()):
        return "", text
    return head, "".join(lines[found.line - 1 :])


def parse_cable(
    header: str,
    body: str,
    metadata: Metadata | None = None,
    *,
    warnings: tuple[str, ...] = (),
) -> ParsedCable:
    """Build a cable from its header and body, preferring `metadata` where a format states it.

    Disagreements between the metadata and the text are kept as warnings, never silently dropped.
    """
    metadata = metadata or Metadata()
    if not header and not body.strip():
        raise ParseError("empty record: no cable text", line=1)
    if not header:
        header, body = split_cable(body)
    notes = list(warnings)
    head = parse_header(header) if header else Header()
    notes.extend(head.warnings)
    if header and not body.strip():
        raise ParseError(
            "truncated cable: the header is not followed by any text", line=header.count("\n") + 1
        )

    cls_line = body_mod.classification_line(body)
    created = _created(metadata, head, notes)
    refid = _refid(metadata, head, cls_line, _year(created, body), notes)
    origin = _origin(metadata, head, cls_line, notes)
    classification = _classification(metadata, head, cls_line, notes)
    refs = tuple(references.parse_references(body, created.year if created else None, refid))
    refs += _metadata_only_references(metadata, refs, notes)
    classified_by = body_mod.parse_classified_by(body, normalize=True)

    return ParsedCable(
        refid=refid,
        dump_id=metadata.dump_id,
        created=created,
        origin=origin,
        classification=classification,
        header=header,
        body=body,
        precedence=head.precedence,
        transmission_id=head.transmission_id,
        subject=subject.parse_subject(body, clean=True),
        summary=" ".join(body_mod.parse_summary(body).split()),  # the breaks are hard wraps
        signed_by=body_mod.signed_by(body, classified_by.names if classified_by else ()),
        classified_by=classified_by,
        decl_date=body_mod.nondisclosure_deadline(body),
        decl_text=body_mod.decl_line(body),
        caveats=tuple(body_mod.caveats(body)),
        tags=tuple(tags.parse_tags(body, canonicalize=True)),
        references=refs,
        recipients=head.recipients,
        paragraphs=tuple(body_mod.paragraphs(body)),
        warnings=tuple(dict.fromkeys(notes)),
    )


def _created(metadata: Metadata, head: Header, notes: list[str]) -> datetime | None:
    """The header's date-time group when the metadata agrees on the day, else the metadata.

    The Dec 2010 release garbled the times of its dates (18:06 for a cable of 1848Z); the
    date-time group typed on the cable is the exact one.
    """
    if metadata.created and head.created:
        skew = abs((metadata.created - head.created).total_seconds()) / 60
        if skew > _MAX_CLOCK_SKEW_MINUTES:
            notes.append(
                f"date: metadata says {metadata.created:%Y-%m-%d %H:%M}, "
                f"the header's date-time group {head.created:%Y-%m-%d %H:%M}"
            )
        if metadata.created.date() == head.created.date():
            return head.created
    return metadata.created or head.created


def _year(created: datetime | None, body: str) -> int | None:
    if created:
        return created.year
    footer = _EXTRACT_FOOTER.search(body, max(0, len(body) - 500))
    return int(footer.group(1)) if footer else None


def _refid(
    metadata: Metadata,
    head: Header,
    cls_line: body_mod.ClassificationLine | None,
    year: int | None,
    notes: list[str],
) -> str:
    derived = _derived_refid(head, cls_line, year)
    if metadata.refid:
        refid = metadata.refid.strip()
        if not _REFID_SHAPE.fullmatch(refid):
            # It names the cable's page and its links: text outside [0-9A-Z] would break them.
            raise ParseError(f"malformed reference id {refid[:80]!r}: expected e.g. 07LIMA3673")
        canonical_refid = canonical.canonical_id(refid)
        if derived and derived != canonical_refid:
            notes.append(f"reference id: metadata says {refid}, the text suggests {derived}")
        elif canonical_refid != refid:
            notes.append(f"reference id: published as {refid}, canonical form {canonical_refid}")
        return refid
    if derived:
        return derived
    station = canonical.station(head.sender) if head.sender else ""
    if year and station and station not in _LONG_SERIALS and head.sequence and not cls_line:
        # The DE line's message number is the serial's last four digits: a last resort.
        notes.append("reference id: serial taken from the DE line's message number")
        return canonical.make_refid(year, station, head.sequence)
    raise ParseError(
        "no reference id: none given and none derivable (needs a classification line "
        "with post and serial, and a date-time group)",
        line=cls_line.line if cls_line else None,
    )


def _derived_refid(
    head: Header, cls_line: body_mod.ClassificationLine | None, year: int | None
) -> str | None:
    if not (cls_line and cls_line.serial and year):
        return None
    station = cls_line.station
    if _REDACTED.fullmatch(station):
        if not head.sender:
            return None
        station = canonical.station(head.sender)  # the post was redacted, its FM line was not
    return canonical.make_refid(year, station, cls_line.serial)


def _origin(
    metadata: Metadata,
    head: Header,
    cls_line: body_mod.ClassificationLine | None,
    notes: list[str],
) -> str:
    derived = canonical.origin_name(head.sender) if head.sender else ""
    if not derived and cls_line and not _REDACTED.fullmatch(cls_line.station):
        derived = canonical.station_origin(cls_line.station)
    if metadata.origin:
        if derived and derived.casefold() != metadata.origin.casefold():
            notes.append(f"origin: metadata says {metadata.origin}, the header FM line {derived}")
        return metadata.origin
    if derived:
        return derived
    raise ParseError("no origin: none given, no FM line and no post on a classification line")


def _classification(
    metadata: Metadata,
    head: Header,
    cls_line: body_mod.ClassificationLine | None,
    notes: list[str],
) -> str:
    derived = cls_line.classification if cls_line else head.security
    if metadata.classification:
        stated = metadata.classification.strip()
        if derived and derived.split("//")[0] != stated.split("//")[0]:
            notes.append(f"classification: metadata says {stated}, the text says {derived}")
        return stated
    if derived:
        return derived
    notes.append("classification: not stated and no classification line found")
    return "UNKNOWN"


def _metadata_only_references(
    metadata: Metadata, refs: tuple[Reference, ...], notes: list[str]
) -> tuple[Reference, ...]:
    """The format's own reference list is authoritative; keep what the REF lines missed."""
    parsed = {r.refid for r in refs if r.refid}
    missing = [ref for ref in metadata.references if ref and ref not in parsed]
    if missing:
        notes.append("references: metadata lists " + ", ".join(missing) + " not found on REF lines")
    return tuple(Reference(value=ref, refid=ref, kind="CABLE") for ref in missing)
