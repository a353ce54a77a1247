"""Records out of every input format: bare cables, Scoop pages, cables.csv and WikiLeaks pages.

Inputs are files, folders, archives (.zip, .tar, .tar.gz, .gz) or "-" for stdin. Everything is
streamed: CSV and Scoop files line by line, archives member by member, so memory stays bounded
whatever the size. The format is sniffed from the content, never from the name. Anything that
cannot become a record comes out as a BadRecord naming where it stood, for the quarantine.
Pure Python, no Django.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import os
import re
import sys
import tarfile
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .archives import DEFAULT_LIMITS, ArchiveRejected, Limits, archive_kind, check_archive
from .archives import iter_members as _iter_members
from .parser.types import Metadata

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "BadRecord",
    "Limits",
    "RawRecord",
    "count_records",
    "read_records",
]


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
    position: str
    line: int | None
    format: str
    raw: str
    error: str


FORMATS = ("raw", "scoop", "csv", "html")

Record = RawRecord | BadRecord

_SNIFF_BYTES = 64 * 1024
_RAW_CAP = 4 * 1024 * 1024  # characters of raw text kept with a BadRecord
_READ_BUFFER = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_CSV_FIELDS = 8
_CSV_DATE_PARTS = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2})")
_ISO_DATE_PARTS = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)
_NUMBER = re.compile(r"[0-9]+")
_MAX_DUMP_ID = 2**63 - 1  # the widest integer column either database has

_CSV_CHUNK = 1024 * 1024
_CSV_START = re.compile(r'"[0-9]+","')
_CSV_SNIFF = re.compile(r'\A"[^"\n]{1,20}","[^"\n]{0,40}","')
_CSV_ROW_BYTES = re.compile(rb'\n"[0-9]{1,19}","')
_HTML_SNIFF = re.compile(r"<(?:!doctype html|html|table class=['\"]cable['\"])", re.I)
_SCOOP_ID = re.compile(r"id: ([0-9]+)(?:\s|$)")
_SCOOP_SNIFF = re.compile(r"^id: [0-9]+.*\n(?:.*\n){0,8}?refid: \S", re.M)
_SCOOP_ENDS = re.compile(r"=+\s*CABLE ENDS\s*=+")
_SCOOP_HEADER_ENDS = re.compile(r"-+ header ends -+")
_SCOOP_FOOTER = re.compile(r"©\s*Scoop Media|^View as:")
_CABLE_TEXT = re.compile(
    r"^\s*(?:VZCZC|FM |TO |INFO |SUBJECT:|SUBJ:|TAGS:?|E\.\s?O\.|UNCLAS|C O N F I D E N T I A L"
    r"|S E C R E T|CONFIDENTIAL|SECRET|UNCLASSIFIED|[OPRZ]{1,2} \d{6}Z)",
    re.M,
)
_REF_SPLIT = re.compile(r"[\s,|]+")
_CABLE_TABLE = re.compile(r"<table class=['\"]cable['\"]>(.*?)</table>", re.S | re.I)
_TABLE_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S | re.I)
_TABLE_HEAD = re.compile(r"<th[^>]*>(.*?)</th>", re.S | re.I)
_TABLE_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S | re.I)
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_PARAGRAPH_ANCHOR = re.compile(r"<a id=['\"]par\d+['\"][^>]*>.*?</a>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_PRELUDE = re.compile(
    r"\AID: (?P<id>.*)\nORIGIN: (?P<refid>.*)\nDATE: (?P<date>.*)\nSOURCE: (?P<origin>.*)\n"
    r"CLASSIFICATION: (?P<classification>.*)\nMISC: (?P<misc>.*)\nDESTINATION: .*\n*"
)


def read_records(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    stdin: BinaryIO | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[RawRecord | BadRecord]:
    """Yield one RawRecord per cable found in `paths`, or a BadRecord for what cannot be read.

    Folders are walked recursively in sorted order; "-" reads `stdin` (default sys.stdin.buffer).
    `format` forces one of FORMATS instead of sniffing each file.
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    for path in paths:
        if str(path) == "-":
            yield from _read_stream("-", stdin or sys.stdin.buffer, format, limits, nested=False)
            continue
        path = Path(path)
        if not path.exists():
            yield BadRecord(str(path), "file", None, format or "", "", "no such file or folder")
        for file in _walk(path):
            yield from _read_file(file, format, limits)


def count_records(paths: Iterable[str | Path], *, format: str | None = None) -> int | None:
    """A cheap estimate of the records in `paths`, for progress bars; None when unknown (stdin).

    CSV rows are counted by scanning for row starts; any other file or member counts as one.
    """
    total = 0
    for path in paths:
        if str(path) == "-":
            return None
        for file in _walk(Path(path)):
            total += _count_file(file, format)
    return total


def _walk(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        if path.exists():
            yield path
        return
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            yield Path(folder, name)


def _read_file(path: Path, format: str | None, limits: Limits) -> Iterator[Record]:
    source = str(path)
    try:
        with path.open("rb") as file:
            kind = archive_kind(file.read(512))
            file.seek(0)
            if kind:
                yield from _read_archive(file, source, format, limits, path=path)
            else:
                yield from _read_stream(source, file, format, limits, nested=False)
    except OSError as exc:
        yield BadRecord(source, "file", None, format or "", "", f"cannot read: {exc}")


def _read_archive(
    file: BinaryIO, source: str, format: str | None, limits: Limits, *, path: Path | None
) -> Iterator[Record]:
    name = path.name if path else source
    try:
        if path is not None:
            check_archive(path, limits)
        for member, stream in _iter_members(file, name, limits):
            yield from _read_stream(f"{source}!{member}", stream, format, limits, nested=True)
    except ArchiveRejected as exc:
        yield BadRecord(source, "archive", None, "", "", str(exc))
    except (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as exc:
        yield BadRecord(source, "archive", None, "", "", f"{name}: corrupt archive: {exc}")


def _read_stream(
    source: str, binary: BinaryIO, format: str | None, limits: Limits, *, nested: bool
) -> Iterator[Record]:
    head = _read_head(binary)
    stream = io.BufferedReader(_Prefixed(head, binary), buffer_size=_READ_BUFFER)
    kind = archive_kind(head)
    if kind and nested:
        yield _bad(source, "file", None, "", f"nested archive ({kind}) not read; extract it first")
    elif kind:
        yield from _read_archive(stream, source, format, limits, path=None)  # type: ignore[arg-type]
    elif _is_binary(head):
        yield _bad(source, "file", None, format or "", "binary file, not cable text", _lossy(head))
    else:
        text = _lossy(head.removeprefix(_BOM))
        if not text.strip() and len(head) < _SNIFF_BYTES:
            yield _bad(source, "file", 1, format or "", "empty file", text)
            return
        found = format or _sniff(text)
        if found is None:
            error = "unknown format: not a cable, a Scoop page, cables.csv or a WikiLeaks page"
            yield _bad(source, "file", 1, "", error, _lossy(stream.read(_RAW_CAP)))
        else:
            yield from _READERS[found](source, stream, limits)  # type: ignore[arg-type]


def _read_head(binary: BinaryIO) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < _SNIFF_BYTES:
        part = binary.read(_SNIFF_BYTES - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class _Prefixed(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _is_binary(head: bytes) -> bool:
    if b"\0" in head:
        return True
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return controls > len(head) // 10


def _sniff(text: str) -> str | None:
    if _CSV_SNIFF.match(text):
        return "csv"
    if _HTML_SNIFF.search(text):
        return "html"
    if _SCOOP_SNIFF.search(text):
        return "scoop"
    if _CABLE_TEXT.search(text):
        return "raw"
    return None


def _lossy(data: bytes) -> str:
    return data[:_RAW_CAP].decode("utf-8", errors="replace")


def _bad(
    source: str, position: str, line: int | None, format: str, error: str, raw: str = ""
) -> BadRecord:
    return BadRecord(source, position, line, format, raw[:_RAW_CAP], error)


def _not_utf8(line: int) -> str:
    return f"not UTF-8: decoded as cp1252 (first non-UTF-8 byte on line {line})"


def _decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    data = data.removeprefix(_BOM)
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return data.decode("cp1252", errors="replace"), (_not_utf8(line),)


def _decode_line(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n") if "\r" in text else text


def _dump_id(value: str) -> int | str:
    """The id as an int, or what is wrong with it: only ASCII digits, within 63 bits."""
    text = value.strip()
    if not (text.isdecimal() and _NUMBER.fullmatch(text)):
        return f"id is not a number: {value[:40]!r}"
    # Checked by length first: int() refuses strings of more than 4,300 digits.
    if len(text.lstrip("0")) > 19 or int(text) > _MAX_DUMP_ID:
        return f"dump id out of range: {text[:40]}"
    return int(text)


def _csv_date(value: str) -> datetime | None:
    """`12/28/1966 18:48`; a regex, because strptime is the slowest step of a CSV row."""
    found = _CSV_DATE_PARTS.fullmatch(value.strip())
    if found is None:
        return None
    month, day, year, hour, minute = map(int, found.groups())
    return _datetime(year, month, day, hour, minute)


def _iso_date(value: str) -> datetime | None:
    """`2009-02-05 16:36`, seconds optional, as the WikiLeaks pages write it."""
    found = _ISO_DATE_PARTS.fullmatch(value.strip())
    if found is None:
        return None
    return _datetime(*(int(part) for part in found.groups(default="0")))


def _datetime(*parts: int) -> datetime | None:
    try:
        return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
    except ValueError:
        return None


def _bad_date(value: str) -> str:
    return f"unparseable date: {value.strip()[:40]!r}"


def _references(value: str) -> tuple[str, ...]:
    return tuple(ref for ref in _REF_SPLIT.split(value) if ref)


def _whole(source: str, stream: BinaryIO, format: str, limits: Limits) -> bytes | BadRecord:
    """A single-record file, refused when it is larger than a record may be."""
    data = stream.read(limits.max_record_bytes + 1)
    if len(data) > limits.max_record_bytes:
        error = f"oversize record: more than {limits.max_record_bytes} bytes"
        return _bad(source, "file", 1, format, error, _lossy(data))
    return data


# Bare cable text ---------------------------------------------------------------------------


def _raw_records(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    data = _whole(source, stream, "raw", limits)
    if isinstance(data, BadRecord):
        yield data
        return
    text, warnings = _decode(data)
    body = _newlines(text)
    yield RawRecord(source, "file", 1, "raw", text, "", body, Metadata(), warnings)


# WikiLeaks cable-viewer pages --------------------------------------------------------------


def _html_records(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    data = _whole(source, stream, "html", limits)
    if isinstance(data, BadRecord):
        yield data
        return
    page, warnings = _decode(data)
    table = _CABLE_TABLE.search(page)
    pres = _PRE.findall(page)
    if table is None:
        yield _bad(source, "file", 1, "html", "unknown format: HTML without a cable table", page)
        return
    if not pres:
        yield _bad(source, "file", 1, "html", "WikiLeaks page without cable text (<pre>)", page)
        return
    header = _newlines(_html_text(pres[0])) if len(pres) > 1 else ""
    body = _newlines(_html_text(_PARAGRAPH_ANCHOR.sub("", pres[-1])))
    cells = _table_cells(table.group(1))
    prelude = _PRELUDE.match(body)
    if prelude:
        body = body[prelude.end() :]
    metadata = _html_metadata(cells, prelude)
    if isinstance(metadata, str):
        yield _bad(source, "file", 1, "html", metadata, page)
        return
    yield RawRecord(source, "file", 1, "html", page, header, body, metadata, warnings)


def _html_text(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment))


def _table_cells(table: str) -> dict[str, str]:
    heads: list[str] = []
    for row in _TABLE_ROW.findall(table):
        if not heads:
            heads = [_html_text(cell).strip().lower() for cell in _TABLE_HEAD.findall(row)]
            continue
        cells = [_html_text(cell).strip() for cell in _TABLE_CELL.findall(row)]
        if len(cells) == len(heads):
            return dict(zip(heads, cells, strict=True))
    return {}


def _html_metadata(cells: dict[str, str], prelude: re.Match[str] | None) -> Metadata | str:
    """The page's metadata, or what is wrong with it."""
    table_created = cells.get("created") or cells.get("date") or ""
    if not cells.get("reference id") or not table_created:
        return "WikiLeaks cable table without a row of Reference ID, Date… cells"
    created = _iso_date(table_created)
    if created is None:
        return _bad_date(table_created)
    if prelude is None:
        return Metadata(
            refid=cells["reference id"],
            created=created,
            origin=cells.get("origin") or None,
            classification=cells.get("classification") or None,
        )
    dump_id = _dump_id(prelude["id"])
    if isinstance(dump_id, str):
        return dump_id
    # The Dec-2010 pages show a wrong Created minute; the prelude's DATE is to the second.
    prelude_created = _iso_date(prelude["date"])
    if prelude_created is None:
        return _bad_date(prelude["date"])
    return Metadata(
        dump_id=dump_id,
        refid=cells["reference id"],
        created=prelude_created,
        origin=cells.get("origin") or prelude["origin"].strip() or None,
        classification=cells.get("classification") or prelude["classification"].strip() or None,
        references=_references(prelude["misc"]),
    )


# Scoop "Cablegate" pages -------------------------------------------------------------------


def _text_lines(stream: BinaryIO, limits: Limits) -> Iterator[tuple[int, str, bool]]:
    """(line number, text with its line ending, not UTF-8) for each line; long lines in pieces."""
    number = 1
    first = True
    while chunk := stream.readline(limits.max_record_bytes + 1):
        if first:
            chunk, first = chunk.removeprefix(_BOM), False
        text, fallback = _decode_line(chunk)
        yield number, text, fallback
        if chunk.endswith(b"\n"):
            number += 1


@dataclass(slots=True)
class _Page:
    start: int = 0
    lines: list[str] | None = None
    size: int = 0
    block: int | None = None  # index of the `id:` line that opens the metadata block
    not_utf8: int | None = None  # first line needing cp1252
    end: int | None = None  # index just past the CABLE ENDS line; the page footer follows

    def add(self, number: int, text: str, fallback: bool) -> None:
        if self.lines is None:
            self.start, self.lines, self.size = number, [], 0
        self.lines.append(text)
        self.size += len(text)
        if fallback and self.not_utf8 is None:
            self.not_utf8 = number

    @property
    def text(self) -> str:
        return "".join(self.lines or ())


def _scoop_records(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    page = _Page()
    ended: _Page | None = None  # a page past CABLE ENDS, still taking its footer lines
    pages = 0
    skipping = False
    for number, text, fallback in _text_lines(stream, limits):
        line = text.rstrip("\r\n")
        if skipping:
            # An oversize page may lack its CABLE ENDS; the next page's block ends the skip.
            skipping = not _SCOOP_ENDS.fullmatch(line)
            if not _SCOOP_ID.match(line):
                continue
            skipping = False
        if ended is not None:
            if not line.strip() or _SCOOP_FOOTER.search(line):
                ended.add(number, text, fallback)
                if _SCOOP_FOOTER.search(line):
                    yield _scoop_page(source, ended, pages)
                    ended = None
                continue
            yield _scoop_page(source, ended, pages)
            ended = None
        if page.block is not None and _SCOOP_ID.match(line):
            pages += 1
            yield _truncated_page(source, page, pages)
            page = _Page()
        page.add(number, text, fallback)
        if page.block is None and _SCOOP_ID.match(line):
            page.block = len(page.lines or ()) - 1
        if page.size > limits.max_record_bytes:
            pages += 1
            error = f"oversize record: more than {limits.max_record_bytes} bytes"
            yield _bad(source, f"page {pages}", page.start, "scoop", error, page.text)
            page, skipping = _Page(), not _SCOOP_ENDS.fullmatch(line)
        elif _SCOOP_ENDS.fullmatch(line):
            pages += 1
            page.end = len(page.lines or ())
            ended, page = page, _Page()
    if ended is not None:
        yield _scoop_page(source, ended, pages)
    if page.block is not None:
        yield _truncated_page(source, page, pages + 1)


def _truncated_page(source: str, page: _Page, number: int) -> BadRecord:
    error = "truncated Scoop page: no CABLE ENDS line"
    return _bad(source, f"page {number}", page.start, "scoop", error, page.text)


def _scoop_page(source: str, page: _Page, number: int) -> Record:
    position = f"page {number}"
    lines = page.lines or []
    if page.block is None:
        error = "Scoop page without a metadata block (id:, refid:, …)"
        return _bad(source, position, page.start, "scoop", error, page.text)
    block = [line.rstrip("\r\n") for line in lines[page.block : (page.end or len(lines)) - 1]]
    fields: dict[str, str] = {}
    header_at = ends_at = None
    for index, line in enumerate(block):
        if header_at is None:
            key, _, value = line.partition(":")
            if key == "header":
                header_at = index
            else:
                fields.setdefault(key.strip(), value.strip())
        elif _SCOOP_HEADER_ENDS.fullmatch(line.strip()):
            ends_at = index
            break
    if header_at is None or ends_at is None:
        error = "Scoop page without its header: … header ends markers"
        return _bad(source, position, page.start, "scoop", error, page.text)
    header_lines = block[header_at + 1 : ends_at]
    first = block[header_at].partition(":")[2].strip()
    header = "".join(f"{line}\n" for line in ([first] if first else []) + header_lines)
    body = "".join(f"{line}\n" for line in block[ends_at + 1 :])
    warnings = (_not_utf8(page.not_utf8),) if page.not_utf8 else ()
    metadata = _scoop_metadata(fields)
    if isinstance(metadata, str):
        return _bad(source, position, page.start, "scoop", metadata, page.text)
    return RawRecord(
        source, position, page.start, "scoop", page.text, header, body, metadata, warnings
    )


def _scoop_metadata(fields: dict[str, str]) -> Metadata | str:
    """The block's metadata, or what is wrong with it; the `id:` line opened the block."""
    dump_id = _dump_id(fields["id"].split(maxsplit=1)[0])
    if isinstance(dump_id, str):
        return dump_id
    date = fields.get("date", "")
    created = _csv_date(date) if date else None
    if date and created is None:
        return _bad_date(date)
    return Metadata(
        dump_id=dump_id,
        refid=fields.get("refid") or None,  # the parser derives it from the text if it can
        created=created,
        origin=fields.get("origin") or None,
        classification=fields.get("classification") or None,
        references=_references(fields.get("destination", "")),
    )


# cables.csv --------------------------------------------------------------------------------


class _CsvLines:
    """The lines csv.reader consumes, keeping each row's lines exactly as they stood.

    It stops early when a row outgrows the record limit (typically an unterminated quote),
    and can replay lines to resynchronise after a malformed row, or skip to the next row start.
    """

    def __init__(self, stream: BinaryIO, limits: Limits, line: int) -> None:
        self._readline = stream.readline
        self._max = limits.max_record_bytes
        self.next_number = line  # of the next line read from the stream
        self.lines: list[str] = []
        self.start = 1
        self.not_utf8: int | None = None
        self.replay: deque[tuple[str, int]] = deque()
        self.skipping = False
        self.oversize = False
        self.done = False
        self.eof = False

    def feed(self) -> Iterator[str]:
        readline, piece, limit = self._readline, self._max + 1, self._max
        lines, replay, row_start = self.lines, self.replay, _CSV_START.match
        source_number = self.next_number
        size = sum(map(len, lines))
        self.done = False
        while True:
            if replay:
                text, number = replay.popleft()
            else:
                chunk = readline(piece)
                if not chunk:
                    self.eof = True
                    break
                number = source_number
                if chunk[-1:] == b"\n":
                    source_number += 1
                try:
                    text = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    text = chunk.decode("cp1252", errors="replace")
                    if self.not_utf8 is None:
                        self.not_utf8 = number
                if self.skipping:
                    if not row_start(text):
                        continue
                    self.skipping = False
            if not lines:
                size = 0
                self.start = number
            lines.append(text)
            size += len(text)
            if size > limit:
                self.oversize = True
                break
            yield text
        self.next_number = source_number
        self.done = True

    def take(self) -> tuple[int, list[str], int | None]:
        taken = (self.start, self.lines[:], self.not_utf8)
        self.lines.clear()
        self.not_utf8 = None
        return taken

    def resynchronise(self, lines: list[str], start: int) -> list[str]:
        """Keep the lines of the bad row; replay from the next row start, or skip to one."""
        number = start
        for index, line in enumerate(lines):
            if index and _CSV_START.match(line):
                replayed: list[tuple[str, int]] = []
                for text in lines[index:]:
                    replayed.append((text, number))
                    number += text.endswith("\n")
                self.replay.extendleft(reversed(replayed))
                return lines[:index]
            number += line.endswith("\n")
        self.skipping = True
        return lines


def _csv_line_records(
    source: str, data: bytes, limits: Limits, *, line: int, rows: int
) -> Iterator[Record]:
    """The careful path, line by line: for spans that are not one clean row."""
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    lines = _CsvLines(stream, limits, line)
    feed = lines.feed()
    while True:
        reader = csv.reader(feed, escapechar="\\", doublequote=False, strict=False)
        try:
            for fields in reader:
                if lines.oversize:
                    break
                start, taken, not_utf8 = lines.take()
                if not fields:
                    continue
                rows += 1
                record = _csv_row(source, rows, start, taken, fields, not_utf8)
                if isinstance(record, BadRecord) and len(fields) != _CSV_FIELDS:
                    kept = lines.resynchronise(taken, start)
                    record = _bad(source, f"row {rows}", start, "csv", record.error, "".join(kept))
                yield record
        except csv.Error as exc:
            rows += 1
            yield _csv_bad_row(source, rows, lines, f"malformed CSV: {exc}")
        if lines.oversize:
            lines.oversize = False
            rows += 1
            error = (
                f"oversize record: more than {limits.max_record_bytes} bytes "
                "(unterminated quoted field?)"
            )
            yield _csv_bad_row(source, rows, lines, error)
        if lines.done:
            if lines.eof and not lines.replay:
                return
            feed = lines.feed()


def _csv_records(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    """Rows of cables.csv: a fast path for well-formed rows, the line reader for the rest."""
    if csv.field_size_limit() < limits.max_record_bytes:
        csv.field_size_limit(limits.max_record_bytes)  # cable bodies exceed the 128 KB default
    rows = 0
    pending: list[bytes] = []  # spans joined while a quoted field is still open
    pending_line = 0
    for line, span in _csv_spans(stream, limits):
        if pending:
            pending.append(span)
            group = b"".join(pending)
            if not _closes(group) and len(group) <= limits.max_record_bytes:
                continue
            pending = []
            for record in _csv_line_records(source, group, limits, line=pending_line, rows=rows):
                rows += 1
                yield record
            continue
        if len(span) > limits.max_record_bytes:
            rows += 1
            error = (
                f"oversize record: more than {limits.max_record_bytes} bytes "
                "(unterminated quoted field?)"
            )
            yield _bad(source, f"row {rows}", line, "csv", error, _lossy(span))
            continue
        if not span.strip():
            continue
        if not _closes(span):
            pending, pending_line = [span], line
            continue
        record = _csv_fast(source, rows + 1, line, span)
        if record is not None:
            rows += 1
            yield record
            continue
        for record in _csv_line_records(source, span, limits, line=line, rows=rows):
            rows += 1
            yield record
    if pending:
        group = b"".join(pending)
        yield from _csv_line_records(source, group, limits, line=pending_line, rows=rows)


def _csv_spans(stream: BinaryIO, limits: Limits) -> Iterator[tuple[int, bytes]]:
    """(first line, bytes) from each row start to the next, found by a regex over big chunks.

    Python then runs once per row rather than once per line. A span that outgrows the record
    limit (an unterminated quote, typically) is cut there and the rest of it dropped up to the
    next row start: that is the resynchronisation.
    """
    if stream.peek(3)[:3] == _BOM:  # type: ignore[attr-defined]
        stream.read(3)
    buffer = b""
    line = 1
    dropping = False
    while True:
        chunk = stream.read(_CSV_CHUNK)
        scan_from = max(len(buffer) - 32, 0)
        buffer += chunk
        cut = 0
        for match in _CSV_ROW_BYTES.finditer(buffer, scan_from):
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
        if dropping and len(buffer) > 32:
            line += buffer.count(b"\n", 0, len(buffer) - 32)
            buffer = buffer[-32:]  # a row start may straddle the chunk boundary


def _closes(span: bytes) -> bool:
    """Whether the span ends with a closing quote, not with an escaped one."""
    tail = span.rstrip()
    if not tail.endswith(b'"'):
        return False
    inside = tail[:-1]
    return (len(inside) - len(inside.rstrip(b"\\"))) % 2 == 0


def _csv_fast(source: str, row: int, line: int, span: bytes) -> Record | None:
    """The record of a span holding exactly one complete row of 8 fields, else None."""
    try:
        text, not_utf8 = span.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = span.decode("cp1252", errors="replace")
        not_utf8 = line + span.count(b"\n", 0, exc.start)
    rows = csv.reader(
        io.StringIO(text, newline="\n"), escapechar="\\", doublequote=False, strict=False
    )
    try:
        parsed = [fields for fields in rows if fields]
    except csv.Error:
        return None  # the line reader names the error and resynchronises
    if len(parsed) != 1 or len(parsed[0]) != _CSV_FIELDS:
        return None
    return _csv_row(source, row, line, [text], parsed[0], not_utf8)


def _csv_bad_row(source: str, row: int, lines: _CsvLines, error: str) -> BadRecord:
    start, taken, _ = lines.take()
    kept = lines.resynchronise(taken, start)
    return _bad(source, f"row {row}", start, "csv", error, "".join(kept))


def _ends_with_closing_quote(raw: str) -> bool:
    tail = raw.rstrip()
    if not tail.endswith('"'):
        return False
    inside = tail[:-1]
    return (len(inside) - len(inside.rstrip("\\"))) % 2 == 0


def _csv_row(
    source: str, row: int, start: int, lines: list[str], fields: list[str], not_utf8: int | None
) -> Record:
    position = f"row {row}"
    raw = "".join(lines)
    if len(fields) != _CSV_FIELDS:
        error = f"wrong number of fields: {len(fields)} instead of {_CSV_FIELDS}"
        return _bad(source, position, start, "csv", error, raw)
    if not _ends_with_closing_quote(raw):
        return _bad(source, position, start, "csv", "unterminated quoted field at end of file", raw)
    dump_id, created, refid, origin, classification, references, header, body = fields
    number = _dump_id(dump_id)
    if isinstance(number, str):
        return _bad(source, position, start, "csv", number, raw)
    when = _csv_date(created)
    if when is None:
        return _bad(source, position, start, "csv", _bad_date(created), raw)
    metadata = Metadata(
        dump_id=number,
        refid=refid.strip() or None,  # the parser derives it from the text if it can
        created=when,
        origin=origin or None,
        classification=classification or None,
        references=tuple(ref.strip() for ref in references.split("|") if ref.strip()),
    )
    warnings = (_not_utf8(not_utf8),) if not_utf8 else ()
    return RawRecord(
        source, position, start, "csv", raw, _newlines(header), _newlines(body), metadata, warnings
    )


_READERS = {
    "raw": _raw_records,
    "scoop": _scoop_records,
    "csv": _csv_records,
    "html": _html_records,
}


# Counting for progress bars ----------------------------------------------------------------


def _count_file(path: Path, format: str | None) -> int:
    try:
        with path.open("rb") as file:
            if not archive_kind(file.read(512)):
                file.seek(0)
                return _count_stream(file, format)
            file.seek(0)
            return sum(
                _count_stream(stream, format) for _, stream in _iter_members(file, path.name)
            )
    except (OSError, ValueError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error):
        return 1


def _count_stream(stream: BinaryIO, format: str | None) -> int:
    head = _read_head(stream)
    if (format or _sniff(_lossy(head.removeprefix(_BOM)))) != "csv":
        return 1
    count = 0
    tail = b"\n"
    chunk = head
    # A row start is short, so a 64-byte overlap between chunks finds each exactly once.
    while chunk:
        data = tail + chunk
        limit = len(data) - 64
        count += sum(1 for match in _CSV_ROW_BYTES.finditer(data) if match.start() < limit)
        tail = data[max(limit, 0) :]
        chunk = stream.read(_READ_BUFFER * 8)
    return count + len(_CSV_ROW_BYTES.findall(tail))
