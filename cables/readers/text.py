"""Bare cable text: one file, one record, all body; the parser finds the header in it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ..parser.types import Metadata
from .records import BadRecord, Limits, RawRecord, Record, bad, nul_error
from .sniff import newlines, read_whole


def read_text(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    whole = read_whole(source, stream, "raw", limits)
    if isinstance(whole, BadRecord):
        yield whole
        return
    text, warnings = whole
    yield text_record(text, source, "file", 1, warnings)


def text_record(
    raw: str, source: str, position: str, line: int, warnings: tuple[str, ...] = ()
) -> RawRecord | BadRecord:
    error = nul_error(raw, line)
    if error:
        return bad(source, position, line, "raw", error, raw)
    return RawRecord(source, position, line, "raw", raw, "", newlines(raw), Metadata(), warnings)
