"""`reread` makes a record again from its raw text alone, exactly as the reader made it."""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import pytest

from cables.readers import BadRecord, RawRecord, read_records, reread
from tests.test_readers import good


def raw_records(folder: Path) -> list[RawRecord]:
    return [r for r in read_records([folder]) if isinstance(r, RawRecord)]


def assert_reread_gives_back(records: list[RawRecord]) -> None:
    for record in records:
        again = reread(record.raw, record.format)
        assert isinstance(again, RawRecord), (record.source, record.position, again)
        assert (again.header, again.body, again.metadata) == (
            record.header,
            record.body,
            record.metadata,
        ), (record.source, record.position)
        placed = reread(
            record.raw,
            record.format,
            source=record.source,
            position=record.position,
            line=record.line,
        )
        assert placed == record or record.warnings, (record.source, record.position)


def test_every_record_of_the_test_data_comes_back_from_its_raw_text(data_dir: Path) -> None:
    records = raw_records(data_dir)
    assert {r.format for r in records} == {"raw", "scoop", "csv", "html"}
    assert_reread_gives_back(records)


def test_every_record_of_the_shared_data_comes_back_from_its_raw_text(shared_dir: Path) -> None:
    records = raw_records(shared_dir / "data")
    assert len(records) > 200
    assert_reread_gives_back(records)


def test_reread_touches_no_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = raw_records(data_dir)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("reread opened a file")

    for module, name in ((builtins, "open"), (io, "open"), (os, "open")):
        monkeypatch.setattr(module, name, refuse)
    assert all(isinstance(reread(r.raw, r.format), RawRecord) for r in records)


def test_reread_defaults_place_the_record_nowhere(data_dir: Path) -> None:
    record = reread((data_dir / "seed.txt").read_text(), "scoop")
    assert (record.source, record.position, record.line) == ("-", "file", 1)


def test_reread_of_two_csv_rows_is_bad(data_dir: Path) -> None:
    text = (data_dir / "cables_tiny.csv").read_text()
    record = reread(text, "csv")
    assert isinstance(record, BadRecord) and record.error == "12 CSV rows, not one"


def test_reread_of_a_bad_text_says_what_is_wrong(data_dir: Path) -> None:
    page = (data_dir / "html/early/10STATE17263.html").read_text()
    record = reread(page.replace("<pre", "<p", 9), "html", source="page.html", line=7)
    assert isinstance(record, BadRecord)
    assert (record.source, record.line, record.error) == (
        "page.html",
        7,
        "WikiLeaks page without cable text (<pre>)",
    )


def test_reread_cannot_see_the_cp1252_fallback_of_the_file(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "cable.txt"
    text = (data_dir / "raw/66BUENOSAIRES2481.txt").read_text()
    path.write_bytes(text.replace("SENATE", "SENATE’S", 1).encode("cp1252"))
    record = good(path)
    again = reread(record.raw, "raw")
    assert (again.body, again.warnings) == (record.body, ())  # type: ignore[union-attr]
    assert record.warnings


def test_reread_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        reread("x", "xml")
