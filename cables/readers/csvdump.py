"""The `cables.csv` dump: eight quoted fields a row (id, date, refid, origin, classification,
references, header, body), backslash escapes, no header row, 1.7 GB for the whole release.

The fast path cuts the bytes at row starts (`\\n"123","`) with one regex over megabyte chunks
and hands each span to the csv module, so Python runs once per row, not once per line. A span
that is not one clean row takes the careful path, which names what is wrong and resynchronises
at the next row start, so one bad row never costs its neighbours.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from ..parser.types import Metadata
from .fields import bad_date, csv_date, dump_id
from .records import BadRecord, Limits, RawRecord, Record, bad, nul_error
from .sniff import decode_line, lossy, newlines, not_utf8

_FIELDS = 8
_CHUNK = 1024 * 1024
_OVERLAP = 32  # longer than any row start, so one straddling two chunks is still found
_ROW_START_BYTES = re.compile(rb'\n"[0-9]{1,19}","')
_ROW_START = re.compile(r'"[0-9]+","')
_AT_END = "unterminated quoted field at end of file"
_BEFORE_NEXT = "unterminated quoted field: no closing quote before the next row"


def read_csv(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    _allow_fields(limits.max_record_bytes)
    rows = 0
    group: list[bytes] = []  # spans of a row whose quoted field is still open
    group_line = group_size = 0
    for line, span in _spans(stream, limits):
        if len(span) > limits.max_record_bytes:
            for flushed in _flush(source, group, group_line, rows, _BEFORE_NEXT):
                rows += 1
                yield flushed
            group = []
            rows += 1
            yield _oversize(source, rows, line, lossy(span), limits)
            continue
        closes = _closes(span)
        record = _fast(source, rows + 1, line, span) if closes else None
        if group:
            if record is None:
                group.append(span)
                group_size += len(span)
                if group_size > limits.max_record_bytes:
                    rows += 1
                    yield _oversize(source, rows, group_line, lossy(b"".join(group)), limits)
                    group = []
                elif closes:
                    for flushed in _flush(source, group, group_line, rows, _BEFORE_NEXT):
                        rows += 1
                        yield flushed
                    group = []
                continue
            # The next span is a row by itself: the open group was one bad row.
            for bad_row in _flush(source, group, group_line, rows, _BEFORE_NEXT):
                rows += 1
                yield bad_row
            group = []
            record = _fast(source, rows + 1, line, span)
        if record is not None:
            rows += 1
            yield record
        elif closes:
            for careful in _careful(source, span, line, rows, _BEFORE_NEXT):
                rows += 1
                yield careful
        elif span.strip():
            group, group_line, group_size = [span], line, len(span)
    yield from _flush(source, group, group_line, rows, _AT_END)


def reread_csv(raw: str, source: str, position: str, line: int) -> RawRecord | BadRecord:
    """The record of one row's text, as the reader made it."""
    _allow_fields(len(raw))
    try:
        parsed = [fields for fields in _parse(raw) if fields]
    except csv.Error as exc:
        return bad(source, position, line, "csv", f"malformed CSV: {exc}", raw)
    if len(parsed) != 1:
        return bad(source, position, line, "csv", f"{len(parsed)} CSV rows, not one", raw)
    return _row(source, position, line, raw, parsed[0], None, _AT_END)


def count_rows(stream: BinaryIO) -> int:
    """Row starts in the stream, without parsing a row."""
    count = 0
    tail = b"\n"
    while chunk := stream.read(_CHUNK * 8):
        data = tail + chunk
        limit = len(data) - _OVERLAP
        count += sum(1 for match in _ROW_START_BYTES.finditer(data) if match.start() < limit)
        tail = data[max(limit, 0) :]
    return count + len(_ROW_START_BYTES.findall(tail))


def _allow_fields(size: int) -> None:
    if csv.field_size_limit() < size:
        csv.field_size_limit(size)  # cable bodies exceed the 128 KB default


def _parse(text: str) -> Iterator[list[str]]:
    stream = io.StringIO(text, newline="\n")
    return csv.reader(stream, escapechar="\\", doublequote=False, strict=False)


def _spans(stream: BinaryIO, limits: Limits) -> Iterator[tuple[int, bytes]]:
    """(first line, bytes) from each row start to the next.

    A span that outgrows the record limit (an unterminated quote, typically) is cut there and
    the rest of it dropped up to the next row start: that is the resynchronisation.
    """
    buffer = b""
    line = 1
    dropping = False
    while True:
        chunk = stream.read(_CHUNK)
        scan_from = max(len(buffer) - _OVERLAP, 0)
        buffer += chunk
        cut = 0
        for match in _ROW_START_BYTES.finditer(buffer, scan_from):
            end = match.start() + 1
            if not dropping:
                yield line, buffer[cut:end]
            dropping = False
            line += buffer.count(b"\n", cut, end)
            cut = end
        buffer = buffer[cut:]
        if not chunk:
            if buffer and not dropping:
                yield line, buffer
            return
        if len(buffer) > limits.max_record_bytes and not dropping:
            yield line, buffer[: limits.max_record_bytes + 1]
            dropping = True
        if dropping and len(buffer) > _OVERLAP:
            line += buffer.count(b"\n", 0, len(buffer) - _OVERLAP)
            buffer = buffer[-_OVERLAP:]


def _closes(span: bytes) -> bool:
    """Whether the span ends with a closing quote, not with an escaped one."""
    tail = span.rstrip()
    if not tail.endswith(b'"'):
        return False
    inside = tail[:-1]
    return (len(inside) - len(inside.rstrip(b"\\"))) % 2 == 0


def _fast(source: str, row: int, line: int, span: bytes) -> Record | None:
    """The record of a span holding exactly one row of eight fields, else None."""
    try:
        text, first_not_utf8 = span.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = span.decode("cp1252", errors="replace")
        first_not_utf8 = line + span.count(b"\n", 0, exc.start)
    try:
        parsed = [fields for fields in _parse(text) if fields]
    except csv.Error:
        return None  # the careful path names the error
    if len(parsed) != 1 or len(parsed[0]) != _FIELDS:
        return None
    return _row(source, f"row {row}", line, text, parsed[0], first_not_utf8, _AT_END)


def _flush(
    source: str, group: list[bytes], line: int, rows: int, unclosed: str
) -> Iterator[Record]:
    if group:
        yield from _careful(source, b"".join(group), line, rows, unclosed)


class _Feed:
    """Hands csv.reader one line at a time, so each row's lines are known by their indexes."""

    def __init__(self, lines: list[str], index: int) -> None:
        self.lines = lines
        self.index = index

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.index >= len(self.lines):
            raise StopIteration
        self.index += 1
        return self.lines[self.index - 1]


def _careful(source: str, data: bytes, line: int, rows: int, unclosed: str) -> Iterator[Record]:
    """Row by row, each with its own text and line. A row the csv module cannot split, or splits
    into the wrong number of fields, runs to the next line that starts like a row: its quoting
    broke, so what follows is its debris. Every line is read once."""
    pieces = data.split(b"\n")
    decoded = [decode_line(piece + b"\n") for piece in pieces[:-1]]
    if pieces[-1]:
        decoded.append(decode_line(pieces[-1]))
    lines = [text for text, _ in decoded]
    fallbacks = iter([number for number, (_, cp1252) in enumerate(decoded) if cp1252] + [-1])
    fallback = next(fallbacks)  # the next line that needed cp1252
    index = 0
    while index < len(lines):
        feed = _Feed(lines, index)
        reader = csv.reader(feed, escapechar="\\", doublequote=False, strict=False)
        start = index
        try:
            for fields in reader:
                end = feed.index
                if len(fields) not in (0, _FIELDS):
                    break
                if fields:
                    rows += 1
                    while 0 <= fallback < start:
                        fallback = next(fallbacks)
                    first = line + fallback if 0 <= fallback < end else None
                    raw = "".join(lines[start:end])
                    yield _row(source, f"row {rows}", line + start, raw, fields, first, unclosed)
                start = end
            else:
                return
            error = f"wrong number of fields: {len(fields)} instead of {_FIELDS}"
        except csv.Error as exc:
            error = f"malformed CSV: {exc}"
        end = feed.index
        while end < len(lines) and not _ROW_START.match(lines[end]):
            end += 1
        rows += 1
        yield bad(source, f"row {rows}", line + start, "csv", error, "".join(lines[start:end]))
        index = end


def _oversize(source: str, row: int, line: int, raw: str, limits: Limits) -> BadRecord:
    error = (
        f"oversize record: more than {limits.max_record_bytes} bytes (unterminated quoted field?)"
    )
    return bad(source, f"row {row}", line, "csv", error, raw)


def _ends_with_closing_quote(raw: str) -> bool:
    tail = raw.rstrip()
    if not tail.endswith('"'):
        return False
    inside = tail[:-1]
    return (len(inside) - len(inside.rstrip("\\"))) % 2 == 0


def _row(
    source: str,
    position: str,
    line: int,
    raw: str,
    fields: list[str],
    first_not_utf8: int | None,
    unclosed: str,
) -> Record:
    def refuse(error: str) -> BadRecord:
        return bad(source, position, line, "csv", error, raw)

    if len(fields) != _FIELDS:
        return refuse(f"wrong number of fields: {len(fields)} instead of {_FIELDS}")
    if not _ends_with_closing_quote(raw):
        return refuse(unclosed)
    nul = nul_error(raw, line)
    if nul:
        return refuse(nul)
    number, created, refid, origin, classification, references, header, body = fields
    dump = dump_id(number)
    if isinstance(dump, str):
        return refuse(dump)
    when = csv_date(created)
    if when is None:
        return refuse(bad_date(created))
    metadata = Metadata(
        dump_id=dump,
        refid=refid.strip() or None,  # the parser derives it from the text if it can
        created=when,
        origin=origin or None,
        classification=classification or None,
        references=tuple(ref.strip() for ref in references.split("|") if ref.strip()),
    )
    warnings = (not_utf8(first_not_utf8),) if first_not_utf8 else ()
    return RawRecord(
        source, position, line, "csv", raw, newlines(header), newlines(body), metadata, warnings
    )
