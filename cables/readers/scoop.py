"""Scoop "Cablegate" pages: the cable's metadata block (`id:`, `refid:` … `header ends`), its
body and a `CABLE ENDS` line, one page after another in a file, read line by line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..parser.types import Metadata
from .fields import bad_date, csv_date, dump_id, references
from .records import MAX_RECORD_BYTES, BadRecord, Limits, RawRecord, Record, bad, nul_error
from .sniff import decode_line, not_utf8

_ID = re.compile(r"id: ([0-9]+)(?:\s|$)")
_ENDS = re.compile(r"=+\s*CABLE ENDS\s*=+")
_HEADER_ENDS = re.compile(r"-+ header ends -+")
_FOOTER = re.compile(r"©\s*Scoop Media|^View as:")

Line = tuple[int, str, bool]  # number, text with its line ending, whether it needed cp1252


def read_scoop(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    return scoop_pages(source, _stream_lines(stream, limits), limits)


def scoop_lines(text: str, first: int = 1) -> Iterator[Line]:
    """The lines of decoded text as the stream reader cuts them: at "\\n" only."""
    pieces = text.split("\n")
    for offset, piece in enumerate(pieces[:-1]):
        yield first + offset, piece + "\n", False
    if pieces[-1]:
        yield first + len(pieces) - 1, pieces[-1], False


def _stream_lines(stream: BinaryIO, limits: Limits) -> Iterator[Line]:
    """Each line of the stream; a line longer than a record may be comes in pieces."""
    number = 1
    while chunk := stream.readline(limits.max_record_bytes + 1):
        text, fallback = decode_line(chunk)
        yield number, text, fallback
        if chunk.endswith(b"\n"):
            number += 1


@dataclass(slots=True)
class _Page:
    start: int = 0
    lines: list[str] = field(default_factory=list)
    size: int = 0
    block: int | None = None  # index of the `id:` line that opens the metadata block
    not_utf8: int | None = None  # first line needing cp1252
    end: int | None = None  # index just past the CABLE ENDS line; the page footer follows

    def add(self, number: int, text: str, fallback: bool) -> None:
        if not self.lines:
            self.start = number
        self.lines.append(text)
        self.size += len(text)
        if fallback and self.not_utf8 is None:
            self.not_utf8 = number

    @property
    def text(self) -> str:
        return "".join(self.lines)


def scoop_pages(source: str, lines: Iterable[Line], limits: Limits) -> Iterator[Record]:
    page = _Page()
    ended: _Page | None = None  # a page past CABLE ENDS, still taking its footer lines
    pages = 0
    skipping = False
    for number, text, fallback in lines:
        line = text.rstrip("\r\n")
        opens = line.startswith("id: ") and _ID.match(line) is not None
        ends = "CABLE ENDS" in line and _ENDS.fullmatch(line) is not None
        if skipping:
            # An oversize page may lack its CABLE ENDS; the next page's block ends the skip.
            skipping = not ends
            if not opens:
                continue
            skipping = False
        if ended is not None:
            footer = _FOOTER.search(line) is not None
            if footer or not line.strip():
                ended.add(number, text, fallback)
                if footer:
                    yield _scoop_page(source, ended, pages)
                    ended = None
                continue
            yield _scoop_page(source, ended, pages)
            ended = None
        if page.block is not None and opens:
            pages += 1
            yield _truncated(source, page, pages)
            page = _Page()
        page.add(number, text, fallback)
        if page.block is None and opens:
            page.block = len(page.lines) - 1
        if page.size > limits.max_record_bytes:
            pages += 1
            error = f"oversize record: more than {limits.max_record_bytes} bytes"
            yield bad(source, f"page {pages}", page.start, "scoop", error, page.text)
            page, skipping = _Page(), not ends
        elif ends:
            pages += 1
            page.end = len(page.lines)
            ended, page = page, _Page()
    if ended is not None:
        yield _scoop_page(source, ended, pages)
    if page.block is not None:
        yield _truncated(source, page, pages + 1)


def _truncated(source: str, page: _Page, number: int) -> BadRecord:
    error = "truncated Scoop page: no CABLE ENDS line"
    return bad(source, f"page {number}", page.start, "scoop", error, page.text)


def _scoop_page(source: str, page: _Page, number: int) -> Record:
    position = f"page {number}"
    raw = page.text

    def refuse(error: str) -> BadRecord:
        return bad(source, position, page.start, "scoop", error, raw)

    if page.block is None:
        return refuse("Scoop page without a metadata block (id:, refid:, …)")
    nul = nul_error(raw, page.start)
    if nul:
        return refuse(nul)
    block = [
        line.rstrip("\r\n") for line in page.lines[page.block : (page.end or len(page.lines)) - 1]
    ]
    fields: dict[str, str] = {}
    header_at = ends_at = None
    for index, line in enumerate(block):
        if header_at is None:
            key, _, value = line.partition(":")
            if key == "header":
                header_at = index
            else:
                fields.setdefault(key.strip(), value.strip())
        elif _HEADER_ENDS.fullmatch(line.strip()):
            ends_at = index
            break
    if header_at is None or ends_at is None:
        return refuse("Scoop page without its header: … header ends markers")
    first = block[header_at].partition(":")[2].strip()
    header = "".join(
        f"{line}\n" for line in ([first] if first else []) + block[header_at + 1 : ends_at]
    )
    body = "".join(f"{line}\n" for line in block[ends_at + 1 :])
    warnings = (not_utf8(page.not_utf8),) if page.not_utf8 else ()
    metadata = _metadata(fields)
    if isinstance(metadata, str):
        return refuse(metadata)
    return RawRecord(source, position, page.start, "scoop", raw, header, body, metadata, warnings)


def _metadata(fields: dict[str, str]) -> Metadata | str:
    """The block's metadata, or what is wrong with it; the `id:` line opened the block."""
    number = dump_id(fields["id"].split(maxsplit=1)[0])
    if isinstance(number, str):
        return number
    date = fields.get("date", "")
    created = csv_date(date) if date else None
    if date and created is None:
        return bad_date(date)
    return Metadata(
        dump_id=number,
        refid=fields.get("refid") or None,  # the parser derives it from the text if it can
        created=created,
        origin=fields.get("origin") or None,
        classification=fields.get("classification") or None,
        references=references(fields.get("destination", "")),
    )


def reread_scoop(raw: str, source: str, position: str, line: int) -> RawRecord | BadRecord:
    """The record of one page's text, as the reader made it."""
    limits = Limits(max_record_bytes=max(MAX_RECORD_BYTES, len(raw)))
    records = list(scoop_pages(source, scoop_lines(raw, line), limits))
    if len(records) != 1:
        return bad(source, position, line, "scoop", f"{len(records)} Scoop pages, not one", raw)
    return dataclasses.replace(records[0], position=position)
