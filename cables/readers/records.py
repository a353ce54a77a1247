"""What the readers produce, and the limits they read under.

`MAX_RECORD_BYTES` is the one home of the record size limit: the readers, the archive layer and
the importer all take it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..parser.types import Metadata

_MIB = 1024 * 1024

MAX_RECORD_BYTES = 5 * _MIB  # the longest real cable is well under 1 MiB
RAW_CAP = 4 * _MIB  # characters of raw text kept with a BadRecord

FORMATS = ("raw", "scoop", "csv", "html")


@dataclass(frozen=True, slots=True)
class RawRecord:
    source: str  # file path; "archive.zip!member/path" inside archives; "-" for stdin
    position: str  # "row 12", "file", "page 1"
    line: int  # 1-based line in the source where the record starts
    format: str  # "raw", "scoop", "csv", "html"
    raw: str  # the record's text exactly as it stood in the source (decoded)
    header: str  # transmission header; "" when the format does not separate it
    body: str  # the cable text from the classification line on
    metadata: Metadata
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BadRecord:
    source: str
    position: str  # as for RawRecord; "member" for a refused archive member, "archive" for all
    line: int | None
    format: str
    raw: str
    error: str


Record = RawRecord | BadRecord


@dataclass(frozen=True, slots=True)
class Limits:
    max_members: int = 500_000
    max_total_bytes: int = 8 * 1024 * _MIB  # uncompressed, over the whole archive
    max_ratio: float = 100.0  # uncompressed / compressed, per member (per stream for gzip)
    max_record_bytes: int = MAX_RECORD_BYTES


DEFAULT_LIMITS = Limits()


def bad(
    source: str, position: str, line: int | None, format: str, error: str, raw: str = ""
) -> BadRecord:
    return BadRecord(source, position, line, format, raw[:RAW_CAP], error)


def nul_error(text: str, first_line: int) -> str | None:
    """What is wrong with text holding a NUL character, or None: cables are never binary."""
    at = text.find("\0")
    if at < 0:
        return None
    line = first_line + text.count("\n", 0, at)
    return f"NUL byte on line {line}: binary data, not cable text"
