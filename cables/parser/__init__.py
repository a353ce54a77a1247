"""Raw cable text in, frozen dataclasses out. Pure Python: nothing here imports Django.

`parse_cable(header, body, metadata)` is the entry point; the field extractors live in the
modules beside it (header, canonical, references, tags, subject, body) and can be used alone.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

from . import body as body_mod
from . import canonical, references, subject, tags
from .header import Header, header_end, inline_date_time_group, parse_header
from .types import (
    ClassifiedBy,
    Correction,
    Metadata,
    Paragraph,
    ParsedCable,
    ParseError,
    Recipient,
    Reference,
)

__all__ = [
    "ClassifiedBy",
    "Correction",
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
_FM_LINE = re.compile(r"(?m)^[ \t]*FM[ \t]+[A-Z]")
_HEADER_LIMIT = 64 * 1024  # the longest address lists run to a few hundred lines
_MAX_CLOCK_SKEW_MINUTES = 59
_REDACTED = re.compile(r"X{3,}")
_REFID_SHAPE = re.compile(r"[0-9]{2}(?=[0-9]*[A-Z])[0-9A-Z]{2,60}")
_LONG_SERIALS = frozenset({"STATE", "SECDEF"})  # serials past 9999: the DE line cuts them
# The footer of partial extracts: "2004CARACA02200 - CONFIDENTIAL".
_EXTRACT_FOOTER = re.compile(r"(?m)^[ \t]*((?:19|20)\d\d)[A-Z]{3,}\d{5}[ \t]+-[ \t]+[A-Z]")
# The Dec 2010 pages open the text with the date: "Tuesday, 20 January 2004, 09:44" (UTC).
_DATE_LINE = re.compile(
    r"(?m)^[ \t]*(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,[ \t]+(?P<day>\d{1,2})[ \t]+"
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November"
    r"|December)[ \t]+(?P<year>(?:19|20)\d\d),[ \t]+(?P<hour>\d{1,2}):(?P<minute>\d\d)[ \t]*$"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("January", "February", "March", "April", "May", "June", "July", "August")
        + ("September", "October", "November", "December"),
        1,
    )
}
_PARTIAL_EXTRACT = "partial extract of the original cable"
_HEAD_LIMIT = 3000  # where the date line and the extract notice stand, above the text


def split_cable(text: str) -> tuple[str, str]:
    """Split a bare cable into its transmission header and its body (classification line on).

    The body starts at the classification line that follows the header's FM line (cover
    sheets of printed cables carry one above the header too); without one, after the header.
    """
    header, body, _line = _split(text)
    return header, body


def _split(text: str) -> tuple[str, str, body_mod.ClassificationLine | None]:
    """split_cable, with the body's classification line as found on the way."""
    fm = _FM_LINE.search(text, 0, _HEADER_LIMIT)
    found = body_mod.classification_line(text, fm.end()) if fm else None
    if fm and found is None:
        found = body_mod.classification_line(text)  # above the header, or none at all
        if found is None:
            end = header_end(text, fm.start())
            return (text[:end], text[end:], None) if end < len(text) else ("", text, None)
    elif found is None:
        found = body_mod.classification_line(text)
    if found is None or not text[: found.offset].strip():
        return "", text, found
    head = text[: found.offset]
    if fm is None and not any(_HEADER_LINE.match(line) for line in head.splitlines()):
        return "", text, found
    return head, text[found.offset :], dataclasses.replace(found, line=1, offset=0)


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
        header, body, cls_line = _split(body)
    else:
        cls_line = body_mod.classification_line(body)
    notes = list(warnings)
    head = parse_header(header) if header else Header()
    notes.extend(head.warnings)
    if header and not body.strip():
        raise ParseError(
            "truncated cable: the header is not followed by any text", line=header.count("\n") + 1
        )

    if cls_line and cls_line.garbled:
        notes.append(
            f"classification line: {cls_line.written!r} read as "
            f"{cls_line.classification.split('//')[0]}"
        )
    dated = _date_line(body, notes)
    if dated is None and head.created is None:
        dated = _flattened(body, notes)
    created = _created(metadata, head, dated, notes)
    refid = _refid(metadata, head, cls_line, _year(created, body), body, notes)
    origin, origin_fix = _origin(metadata, head, cls_line, notes)
    classification = _classification(metadata, head, cls_line, notes)
    refs, station_fixes = references.read_references(body, created.year if created else None, refid)
    refs += _metadata_only_references(metadata, tuple(refs), notes)
    classified_by = body_mod.parse_classified_by(body, normalize=True)
    tags_line = tags.read_tags(body, canonicalize=True)

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
        caveats=body_mod.caveats_near(body, cls_line),
        tags=tags_line.tags if tags_line else (),
        tags_as_written=tags_line.written if tags_line else (),
        references=tuple(refs),
        recipients=head.recipients,
        paragraphs=tuple(body_mod.paragraphs(body)),
        corrections=_corrections(tags_line, station_fixes, origin_fix, cls_line),
        warnings=tuple(dict.fromkeys(notes)),
    )


def _corrections(
    tags_line: tags.TagsLine | None,
    station_fixes: list[Correction],
    origin_fix: Correction | None,
    cls_line: body_mod.ClassificationLine | None,
) -> tuple[Correction, ...]:
    found: list[Correction] = []
    if tags_line:
        if tags_line.label.upper().rstrip(":;, ") not in ("TAG", "TAGS"):
            found.append(Correction("tags label", tags_line.label, "TAGS:"))
        found += [
            Correction("tag", written, " ".join(values))
            for written, values in tags_line.items
            if (written,) != values
        ]
    found += station_fixes
    if origin_fix:
        found.append(origin_fix)
    if cls_line and cls_line.garbled:
        found.append(
            Correction("classification", cls_line.written, cls_line.classification.split("//")[0])
        )
    return tuple(dict.fromkeys(found))


def _flattened(body: str, notes: list[str]) -> datetime | None:
    """A date-time group from a later section's header that a release flattened into the text."""
    found = inline_date_time_group(body)
    if found:
        notes.append(f"date: {found:%Y-%m-%d %H:%M} from a date-time group inside the text")
    return found


def _date_line(body: str, notes: list[str]) -> datetime | None:
    """The date the Dec 2010 pages print above the text: "Tuesday, 20 January 2004, 09:44"."""
    m = _DATE_LINE.search(body, 0, _HEAD_LIMIT) if "day," in body[:_HEAD_LIMIT] else None
    if m is None:
        return None
    try:
        return datetime(
            int(m["year"]),
            _MONTHS[m["month"]],
            int(m["day"]),
            int(m["hour"]),
            int(m["minute"]),
            tzinfo=UTC,
        )
    except ValueError:
        notes.append(f"date: impossible date line {m.group(0).strip()!r}")
        return None


def _created(
    metadata: Metadata, head: Header, dated: datetime | None, notes: list[str]
) -> datetime | None:
    """The header's date-time group when the metadata agrees on the day, else the metadata.

    The Dec 2010 release garbled the times of its dates (18:06 for a cable of 1848Z); the
    date-time group typed on the cable is the exact one. Without either, the date line the
    Dec 2010 pages print above the text.
    """
    if "created" in metadata.redacted:
        found = head.created or dated
        shown = f"{found:%Y-%m-%d %H:%M}" if found else "nothing"
        notes.append(f"date: redacted in the metadata (XXXXXXXXXXXX); the text gives {shown}")
    text_date = head.created or dated
    if head.created and dated and _skew(head.created, dated) > _MAX_CLOCK_SKEW_MINUTES:
        notes.append(
            f"date: the header's date-time group says {head.created:%Y-%m-%d %H:%M}, "
            f"the date line {dated:%Y-%m-%d %H:%M}"
        )
    if metadata.created and text_date:
        if _skew(metadata.created, text_date) > _MAX_CLOCK_SKEW_MINUTES:
            source = "the header's date-time group" if head.created else "the date line"
            notes.append(
                f"date: metadata says {metadata.created:%Y-%m-%d %H:%M}, "
                f"{source} {text_date:%Y-%m-%d %H:%M}"
            )
        if metadata.created.date() == text_date.date():
            return text_date
    return metadata.created or text_date


def _skew(a: datetime, b: datetime) -> float:
    return abs((a - b).total_seconds()) / 60


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
    body: str,
    notes: list[str],
) -> str:
    derived = _derived_refid(head, cls_line, year)
    if derived and cls_line and head.sequence and not _same_serial(cls_line.serial, head.sequence):
        notes.append(
            f"reference id: the classification line gives {cls_line.station} {cls_line.serial}, "
            f"the DE line's message number #{head.sequence}"
        )
        derived = _header_refid(head, cls_line, year) or derived
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
    raise ParseError(_no_refid(cls_line, year, body), line=cls_line.line if cls_line else None)


def _no_refid(cls_line: body_mod.ClassificationLine | None, year: int | None, body: str) -> str:
    """Why no reference id can be made, and what would make one."""
    if cls_line and cls_line.serial and not year:
        kind = (
            "a partial extract without a date"
            if _PARTIAL_EXTRACT in body[:_HEAD_LIMIT]
            else "no date"
        )
        return (
            f"no reference id: {kind}; the text names {cls_line.station} {cls_line.serial} but "
            "not when it was sent. Give the date (a date-time group such as 201617Z NOV 07 "
            "in the header, or a line such as 'Tuesday, 20 November 2007, 16:17' above the "
            "classification line), or import the WikiLeaks page itself, whose table has it"
        )
    return (
        "no reference id: none given and none derivable (needs a classification line "
        "with post and serial, such as 'C O N F I D E N T I A L LIMA 003673', and a date)"
    )


def _same_serial(serial: str, sequence: str) -> bool:
    return int(serial) % 10_000 == int(sequence) % 10_000


def _header_refid(
    head: Header, cls_line: body_mod.ClassificationLine, year: int | None
) -> str | None:
    """When the text under the header names another post and serial, the header names the
    message: the release attached some headers to the text of another cable."""
    station = canonical.station(head.sender) if head.sender else ""
    written = canonical.canonical_station(cls_line.station, guess=False) or cls_line.station
    if not (year and station) or station == written or station in _LONG_SERIALS:
        return None
    return canonical.make_refid(year, station, head.sequence)


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
) -> tuple[str, Correction | None]:
    written, derived = "", ""
    if head.sender:
        written, derived = head.sender, canonical.origin_name(head.sender)
    if cls_line and not _REDACTED.fullmatch(cls_line.station):
        from_line = canonical.station_origin(cls_line.station)
        if derived and from_line.casefold() != derived.casefold():
            notes.append(
                f"origin: the header FM line says {derived}, the classification line {from_line}"
            )
        if not derived:
            written, derived = cls_line.station, from_line
    if metadata.origin:
        if derived and derived.casefold() != metadata.origin.casefold():
            notes.append(f"origin: metadata says {metadata.origin}, the text {derived}")
        return metadata.origin, None
    if derived:
        return derived, canonical.origin_correction(written, derived)
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
