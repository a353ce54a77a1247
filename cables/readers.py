"""PLACEHOLDER (crude, to be replaced by its owner): records out of files of every format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .parser.types import Metadata


@dataclass(frozen=True, slots=True)
class RawRecord:
    source: str  # file path; "archive.zip!member/path" inside archives; "-" for stdin
    position: str  # "row 12", "file", "record 1"
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


def read_records(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[RawRecord | BadRecord]:
    for path in paths:
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            text = file.read_text(encoding="utf-8")
            if not text.strip():
                yield BadRecord(str(file), "file", 1, "raw", text, "empty file")
                continue
            yield RawRecord(str(file), "file", 1, "raw", text, "", text, Metadata())
