"""Records out of every input format: bare cables, Scoop pages, cables.csv and WikiLeaks pages.

Inputs are files, folders, archives (.zip, .tar, .tar.gz, .gz) or "-" for stdin. Everything is
streamed: CSV and Scoop files line by line, archives member by member, so memory stays bounded
whatever the size. The format is sniffed from the content, never from the name. Anything that
cannot become a record comes out as a BadRecord naming where it stood, for the quarantine, and
the records around it still come out: read_records never raises for bad content.
Pure Python, no Django.
"""

from __future__ import annotations

import dataclasses
import io
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

# The module, not its names: cables.archives imports Limits from .records, so it may still be
# half-initialised here; its functions are only looked up when a file is read.
from .. import archives
from . import csvdump, scoop, sniff
from .html import html_record, read_html
from .records import (
    DEFAULT_LIMITS,
    FORMATS,
    MAX_RECORD_BYTES,
    RAW_CAP,
    BadRecord,
    Limits,
    RawRecord,
    Record,
    bad,
)
from .text import read_text, text_record

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "MAX_RECORD_BYTES",
    "BadRecord",
    "Limits",
    "RawRecord",
    "Record",
    "count_records",
    "read_records",
    "reread",
]

_READ_BUFFER = 1024 * 1024
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)

_Reader = Callable[[str, BinaryIO, Limits], Iterator[Record]]
_READERS: dict[str, _Reader] = {
    "raw": read_text,
    "scoop": scoop.read_scoop,
    "csv": csvdump.read_csv,
    "html": read_html,
}


def read_records(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    stdin: BinaryIO | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Record]:
    """Yield one RawRecord per cable found in `paths`, or a BadRecord for what cannot be read.

    Folders are walked recursively in sorted order; "-" reads `stdin` (default sys.stdin.buffer).
    `format` forces one of FORMATS instead of sniffing each file.
    """
    _check_format(format)
    for path in paths:
        if str(path) == "-":
            records = _read_stream("-", stdin or sys.stdin.buffer, format, limits)
            yield from _safely("-", format, records)
            continue
        path = Path(path)
        if not (path.exists() or path.is_symlink()):
            yield bad(str(path), "file", None, format or "", "no such file or folder")
            continue
        for file in _walk(path):
            if isinstance(file, OSError):
                yield bad(str(file.filename), "file", None, format or "", _cannot_read(file))
            else:
                yield from _safely(str(file), format, _read_file(file, format, limits))


def count_records(paths: Iterable[str | Path], *, format: str | None = None) -> int | None:
    """A cheap estimate of the records in `paths`, for progress bars; None when unknown (stdin).

    CSV rows are counted by scanning for row starts; any other file or member counts as one.
    """
    total = 0
    for path in paths:
        if str(path) == "-":
            return None
        for file in _walk(Path(path)):
            total += 1 if isinstance(file, OSError) else _count_file(file, format)
    return total


def reread(
    raw: str, format: str, *, source: str = "-", position: str = "file", line: int = 1
) -> RawRecord | BadRecord:
    """The record a reader made of `raw` (a RawRecord's `raw`), made again from that text alone.

    One CSV row, Scoop page, WikiLeaks page or bare cable; no I/O, no sniffing. Header, body and
    metadata come out as they did from the file. Warnings about the file's bytes (the cp1252
    fallback) cannot be seen in decoded text and do not come back.
    """
    _check_format(format)
    if format == "csv":
        return csvdump.reread_csv(raw, source, position, line)
    if format == "scoop":
        return scoop.reread_scoop(raw, source, position, line)
    if format == "html":
        return html_record(raw, source, position, line)
    return text_record(raw, source, position, line)


def _check_format(format: str | None) -> None:
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def _safely(source: str, format: str | None, records: Iterator[Record]) -> Iterator[Record]:
    try:
        yield from records
    except OSError as exc:
        yield bad(source, "file", None, format or "", _cannot_read(exc))
    except Exception as exc:  # a reader's bug must cost one file, never the rest of an import
        yield bad(source, "file", None, format or "", f"reader error: {type(exc).__name__}: {exc}")


def _cannot_read(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or exc}"


def _walk(path: Path) -> Iterator[Path | OSError]:
    if not path.is_dir():
        yield path
        return
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(path, onerror=errors.append):
        yield from errors
        errors.clear()
        dirs.sort()
        for name in sorted(files):
            yield Path(folder, name)
    yield from errors


def _special(mode: int) -> str | None:
    """What a file that is not a regular one is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _SPECIAL if test(mode)), "a special file")


def _open_regular(path: Path) -> BinaryIO | str:
    """The file open for reading, or why it is not read: FIFOs, sockets and devices are never
    opened, since opening a FIFO blocks until something writes to it."""
    kind = _special(path.stat().st_mode)
    if kind:
        return f"not a regular file: {kind}"
    # O_NONBLOCK: a FIFO put in its place since the stat still does not block the open.
    descriptor = os.open(path, os.O_RDONLY | _NONBLOCK)
    try:
        kind = _special(os.fstat(descriptor).st_mode)
        if kind:
            os.close(descriptor)
            return f"not a regular file: {kind}"
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _read_file(path: Path, format: str | None, limits: Limits) -> Iterator[Record]:
    source = str(path)
    file = _open_regular(path)
    if isinstance(file, str):
        yield bad(source, "file", None, format or "", file)
        return
    with file:
        kind = archives.archive_kind(file.read(512))
        file.seek(0)
        if kind:
            yield from _read_archive(file, source, format, limits)
        else:
            yield from _read_stream(source, file, format, limits)


def _read_archive(
    file: BinaryIO, source: str, format: str | None, limits: Limits
) -> Iterator[Record]:
    name = Path(source).name if source != "-" else source
    for item in archives.iter_members(file, name, limits):
        if isinstance(item, archives.Refused):
            yield bad(f"{source}!{item.name}", "member", None, "", item.reason)
        elif isinstance(item, archives.Stopped):
            yield bad(source, "archive", None, "", item.reason)
        else:
            yield from _read_member(item, f"{source}!{item.name}", format, limits)


def _read_member(
    member: archives.Member, source: str, format: str | None, limits: Limits
) -> Iterator[Record]:
    """The member's records; the last is held back until its data is known to be whole."""
    last: Record | None = None
    for record in _read_stream(source, member.stream, format, limits, nested=True):
        if last is not None:
            yield last
        last = record
    cut = member.finish()
    if cut is None:
        if last is not None:
            yield last
    elif last is None:
        yield bad(source, "file", None, format or "", cut)
    elif isinstance(last, BadRecord):
        yield dataclasses.replace(last, error=f"{cut}: {last.error}")
    elif last.format == "raw":  # bare text cannot tell whether its end was reached
        error = f"{cut}: the text before the cut is kept, but the cable may be incomplete"
        yield bad(last.source, last.position, last.line, last.format, error, last.raw)
    else:
        yield last
        yield bad(source, "file", None, last.format, cut)


def _read_stream(
    source: str, binary: BinaryIO, format: str | None, limits: Limits, *, nested: bool = False
) -> Iterator[Record]:
    head = sniff.read_head(binary)
    stream: BinaryIO = io.BufferedReader(sniff.Prefixed(head, binary), _READ_BUFFER)
    kind = archives.archive_kind(head)
    if kind and nested:
        yield bad(source, "file", None, "", f"nested archive ({kind}) not read; extract it first")
        return
    if kind:
        yield from _read_archive(stream, source, format, limits)
        return
    encoding, bom = sniff.text_encoding(head)
    text = sniff.head_text(head, encoding, bom)
    if not text.strip() and len(head) < sniff.SNIFF_BYTES:
        yield bad(source, "file", 1, format or "", "empty file", text)
        return
    found = format or sniff.sniff_format(text)
    binary_head = sniff.looks_binary(text)
    if found is None or (format is None and found == "raw" and binary_head):
        if binary_head:
            yield bad(
                source, "file", None, format or "", "binary file, not cable text", sniff.lossy(head)
            )
        else:
            error = "unknown format: not a cable, a Scoop page, cables.csv or a WikiLeaks page"
            raw = sniff.lossy(sniff.utf8_stream(stream, encoding, bom).read(RAW_CAP))
            yield bad(source, "file", 1, "", error, raw)
        return
    yield from _READERS[found](source, sniff.utf8_stream(stream, encoding, bom), limits)


def _count_file(path: Path, format: str | None) -> int:
    try:
        file = _open_regular(path)
        if isinstance(file, str):
            return 1
        with file:
            if not archives.archive_kind(file.read(512)):
                file.seek(0)
                return _count_stream(file, format)
            file.seek(0)
            total = 0
            for item in archives.iter_members(file, path.name):
                if isinstance(item, archives.Member):
                    total += _count_stream(item.stream, format)
                    item.finish()
                else:
                    total += 1  # it will be one BadRecord
            return total
    except (OSError, ValueError):
        return 1


def _count_stream(binary: BinaryIO, format: str | None) -> int:
    head = sniff.read_head(binary)
    encoding, bom = sniff.text_encoding(head)
    if (format or sniff.sniff_format(sniff.head_text(head, encoding, bom))) != "csv":
        return 1
    stream = io.BufferedReader(sniff.Prefixed(head, binary), _READ_BUFFER)
    return csvdump.count_rows(sniff.utf8_stream(stream, encoding, bom))
