"""The values the parser produces: frozen, typed, free of Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class ParseError(ValueError):
    """A record that cannot become a cable; `line` is 1-based within the record."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True, slots=True)
class Recipient:
    role: str  # "to" (action) or "info"
    name: str  # "SECSTATE WASHDC"
    route: str | None = None  # routing indicator, "RUEHC"
    precedence: str | None = None  # "PRIORITY", "NIACT IMMEDIATE"
    serial: str | None = None  # message control number, "7349"
    excluded: tuple[str, ...] = ()  # XMT lines after a collective


@dataclass(frozen=True, slots=True)
class ClassifiedBy:
    names: tuple[str, ...]
    title: str = ""  # "DCM", "Ambassador", "Acting Deputy Chief of Mission"
    reasons: str = ""  # "1.4 (b) and (d)"
    text: str = ""  # the whole line(s) as written


@dataclass(frozen=True, slots=True)
class Reference:
    value: str  # canonical id for cables ("07LIMA3638"); the text as written otherwise
    refid: str | None  # canonical id when it names a cable: "07LIMA3638"
    kind: str = "CABLE"  # CABLE, EMAIL, MEMCON, … (Cablemap's kinds)
    bullet: str | None = None  # "A"
    title: str | None = None
    text: str = ""  # the REF item it was read from, as written: "A. 07 LIMA 3638"


@dataclass(frozen=True, slots=True)
class Correction:
    """A value the parser normalised, kept beside what the cable wrote: provenance, not an error.

    `field` is one of "tag", "tags label", "station", "reference", "origin", "classification".
    """

    field: str
    written: str  # "RU", "PHUMBA", "TAGE:", "05 RIO 123", "AMEMBASSY KIEV"
    value: str  # "RS", "PHUM BA", "TAGS:", "05RIODEJANEIRO123", "Embassy Kyiv"


@dataclass(frozen=True, slots=True)
class Paragraph:
    number: str | None  # "3"
    marking: str | None  # "C", "S/NF", "SBU"
    line: int  # first line of the paragraph within the body


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a container format states about a cable beside its text (Scoop block, CSV, HTML)."""

    dump_id: int | None = None
    refid: str | None = None
    created: datetime | None = None
    origin: str | None = None
    classification: str | None = None
    references: tuple[str, ...] = ()
    redacted: tuple[str, ...] = ()  # fields the format blacked out (XXXXXXXXXXXX): "created"

    def __post_init__(self) -> None:
        if self.created is not None and self.created.utcoffset() is None:
            raise ValueError(
                f"Metadata.created must be timezone-aware (UTC), not the naive {self.created}"
            )


@dataclass(frozen=True, slots=True)
class ParsedCable:
    refid: str
    created: datetime | None  # aware, UTC
    origin: str  # published naming: "Embassy Lima"
    classification: str  # as published: "SECRET//NOFORN"
    header: str
    body: str
    dump_id: int | None = None
    precedence: str = ""
    transmission_id: str = ""  # VZCZC…
    subject: str = ""
    summary: str = ""
    signed_by: tuple[str, ...] = ()
    classified_by: ClassifiedBy | None = None
    decl_date: date | None = None
    decl_text: str = ""  # the DECL line as written, for "DECLASSIFIED BY NARA" and the like
    caveats: tuple[str, ...] = ()  # SIPDIS, NOFORN, …
    tags: tuple[str, ...] = ()
    tags_as_written: tuple[str, ...] = ()  # the TAGS line's items before any correction
    references: tuple[Reference, ...] = ()
    recipients: tuple[Recipient, ...] = ()
    paragraphs: tuple[Paragraph, ...] = ()
    corrections: tuple[Correction, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def reference_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for ref in self.references:
            if ref.refid:
                seen.setdefault(ref.refid, None)
        return tuple(seen)
