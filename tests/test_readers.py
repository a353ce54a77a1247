"""Records come out of every input format, streamed, with bad inputs named and kept."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables.archives import Limits
from cables.readers import BadRecord, RawRecord, count_records, read_records

TINY_ROWS = 12


@pytest.fixture
def tiny_csv(data_dir: Path) -> Path:
    return data_dir / "cables_tiny.csv"


@pytest.fixture
def csv_rows(tiny_csv: Path) -> list[bytes]:
    """The rows of the real CSV, each with its line ending, split at row starts."""
    return re.split(rb'(?<=\n)(?="\d+",")', tiny_csv.read_bytes())


def read(*paths: str | Path, **kwargs: object) -> list[RawRecord | BadRecord]:
    return list(read_records(paths, **kwargs))  # type: ignore[arg-type]


def only(*paths: str | Path, **kwargs: object) -> RawRecord | BadRecord:
    [record] = read(*paths, **kwargs)
    return record


def good(*paths: str | Path, **kwargs: object) -> RawRecord:
    record = only(*paths, **kwargs)
    assert isinstance(record, RawRecord), record
    return record


def bad(*paths: str | Path, **kwargs: object) -> BadRecord:
    record = only(*paths, **kwargs)
    assert isinstance(record, BadRecord), record
    return record


# Scoop pages -------------------------------------------------------------------------------


def test_scoop_page_metadata_comes_from_its_block(data_dir: Path) -> None:
    record = good(data_dir / "seed.txt")
    assert (record.format, record.metadata.dump_id, record.metadata.refid) == (
        "scoop",
        130835,
        "07LIMA3673",
    )


def test_scoop_date_is_utc(data_dir: Path) -> None:
    record = good(data_dir / "seed.txt")
    assert record.metadata.created == datetime(2007, 11, 20, 13, 37, tzinfo=UTC)


def test_scoop_destination_becomes_the_references(data_dir: Path) -> None:
    assert good(data_dir / "seed.txt").metadata.references == ("07LIMA3638",)


def test_scoop_header_is_taken_once_from_the_block(data_dir: Path) -> None:
    header = good(data_dir / "seed.txt").header
    assert header.startswith("VZCZCXYZ0012\n") and header.count("VZCZCXYZ0012") == 1


def test_scoop_header_stops_before_header_ends(data_dir: Path) -> None:
    assert good(data_dir / "seed.txt").header.endswith("RUMIAAA/USSOUTHCOM MIAMI FL PRIORITY\n")


def test_scoop_body_runs_from_classification_to_cable_ends(data_dir: Path) -> None:
    body = good(data_dir / "seed.txt").body
    assert body.startswith("C O N F I D E N T I A L LIMA 003673\n")
    assert body.endswith("MCKINLEY\n")


def test_concatenated_scoop_pages_are_separate_records(data_dir: Path, tmp_path: Path) -> None:
    seed = (data_dir / "seed.txt").read_bytes()
    path = tmp_path / "pages.txt"
    path.write_bytes(seed + b"\n" + seed)
    records = read(path)
    assert [(r.position, r.metadata.refid) for r in records if isinstance(r, RawRecord)] == [
        ("page 1", "07LIMA3673"),
        ("page 2", "07LIMA3673"),
    ]


def test_truncated_scoop_page_is_bad_with_its_line(data_dir: Path, tmp_path: Path) -> None:
    seed = (data_dir / "seed.txt").read_text()
    path = tmp_path / "cut.txt"
    path.write_text(seed[: seed.index("=======================CABLE ENDS")])
    record = bad(path)
    assert (record.position, record.line, record.error) == (
        "page 1",
        1,
        "truncated Scoop page: no CABLE ENDS line",
    )


def test_truncated_scoop_page_keeps_its_raw_text(data_dir: Path, tmp_path: Path) -> None:
    seed = (data_dir / "seed.txt").read_text()
    cut = seed[: seed.index("=======================CABLE ENDS")]
    path = tmp_path / "cut.txt"
    path.write_text(cut)
    assert bad(path).raw == cut


# cables.csv --------------------------------------------------------------------------------


def test_csv_gives_one_record_per_row(tiny_csv: Path) -> None:
    records = read(tiny_csv)
    assert [r.position for r in records] == [f"row {n}" for n in range(1, TINY_ROWS + 1)]


def test_csv_row_metadata(tiny_csv: Path) -> None:
    record = read(tiny_csv)[1]
    assert isinstance(record, RawRecord)
    assert record.metadata.dump_id == 2
    assert record.metadata.refid == "72TEHRAN1164"
    assert record.metadata.created == datetime(1972, 2, 25, 9, 30, tzinfo=UTC)
    assert record.metadata.origin == "Embassy Tehran"
    assert record.metadata.classification == "UNCLASSIFIED"


def test_csv_references_are_split_on_pipes(tiny_csv: Path) -> None:
    record = read(tiny_csv)[1]
    assert record.metadata.references == ("72MOSCOW1603", "72TEHRAN1091", "72TEHRAN263")  # type: ignore[union-attr]


def test_csv_raw_is_each_row_exactly_as_it_stood(tiny_csv: Path) -> None:
    raw = "".join(record.raw for record in read(tiny_csv))
    assert raw == tiny_csv.read_bytes().decode()


def test_csv_records_know_their_starting_line(tiny_csv: Path) -> None:
    lines = [record.line for record in read(tiny_csv)]
    assert lines[:3] == [1, 116, 157]


def test_csv_header_and_body_have_unix_line_endings(tiny_csv: Path) -> None:
    record = read(tiny_csv)[0]
    assert isinstance(record, RawRecord)
    assert "\r" not in record.header + record.body
    assert record.body.startswith("UNCLASSIFIED BUENOS AIRES 2481 \n")


def test_csv_backslash_escapes_are_undone(tiny_csv: Path) -> None:
    bodies = "".join(r.body for r in read(tiny_csv) if isinstance(r, RawRecord))
    assert '\\"' not in bodies


def test_malformed_csv_row_is_bad_and_the_others_are_read(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[4] = b'"5","oops"\r\n'
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows))
    records = read(path)
    assert [(type(r).__name__, r.position) for r in records][3:6] == [
        ("RawRecord", "row 4"),
        ("BadRecord", "row 5"),
        ("RawRecord", "row 6"),
    ]
    assert len([r for r in records if isinstance(r, RawRecord)]) == TINY_ROWS - 1


def test_malformed_csv_row_names_its_row_line_and_error(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[4] = b'"5","oops"\r\n'
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows))
    record = read(path)[4]
    assert isinstance(record, BadRecord)
    assert (record.source, record.line, record.raw) == (str(path), 211, '"5","oops"\r\n')
    assert record.error == "wrong number of fields: 2 instead of 8"


def test_csv_row_with_unparseable_date_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[0] = csv_rows[0].replace(b"12/28/1966 18:48", b"12/28/1966 late", 1)
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows))
    assert read(path)[0].error == "unparseable date: '12/28/1966 late'"  # type: ignore[union-attr]


def test_csv_row_with_non_numeric_id_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', b'"2x",', 1)
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows))
    assert read(path, format="csv")[1].error == "id is not a number: '2x'"  # type: ignore[union-attr]


def test_escaped_closing_quote_does_not_swallow_the_next_rows(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[2] = csv_rows[2].replace(b'"\r\n', b'\\"\r\n')  # the closing quote now escaped
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows))
    refids = [r.metadata.refid for r in read(path) if isinstance(r, RawRecord)]
    assert "72TEHRAN1381" not in refids and len(refids) == TINY_ROWS - 1


def test_unterminated_quote_is_an_oversize_record_and_reading_resumes(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    runaway = b'"99","11/20/2007 13:37","07LIMA3673","Embassy Lima","C","","H","SUBJECT: \n'
    path = tmp_path / "cables.csv"
    path.write_bytes(csv_rows[0] + runaway + b"NO QUOTE HERE\n" * 2000 + b"".join(csv_rows[1:]))
    records = read(path, limits=Limits(max_record_bytes=10_000))
    assert [type(r).__name__ for r in records[:3]] == ["RawRecord", "BadRecord", "RawRecord"]
    assert records[1].error.startswith("oversize record")  # type: ignore[union-attr]
    assert records[2].metadata.refid == "72TEHRAN1164"  # type: ignore[union-attr]


def test_resumed_row_keeps_its_true_line_number(csv_rows: list[bytes], tmp_path: Path) -> None:
    runaway = b'"99","11/20/2007 13:37","07LIMA3673","Embassy Lima","C","","H","SUBJECT: \n'
    path = tmp_path / "cables.csv"
    path.write_bytes(csv_rows[0] + runaway + b"NO QUOTE HERE\n" * 2000 + b"".join(csv_rows[1:]))
    records = read(path, limits=Limits(max_record_bytes=10_000))
    assert records[2].line == 115 + 1 + 2000 + 1


def test_unterminated_quote_at_end_of_file_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows).rstrip(b'"\r\n'))
    assert read(path)[-1].error == "unterminated quoted field at end of file"  # type: ignore[union-attr]


def test_csv_from_stdin(tiny_csv: Path) -> None:
    records = read("-", stdin=io.BytesIO(tiny_csv.read_bytes()))
    assert (len(records), records[0].source) == (TINY_ROWS, "-")


# WikiLeaks pages ---------------------------------------------------------------------------


def test_html_2011_page_metadata(data_dir: Path) -> None:
    record = good(data_dir / "html/2011/66BUENOSAIRES2481.html")
    assert (record.format, record.metadata.refid, record.metadata.origin) == (
        "html",
        "66BUENOSAIRES2481",
        "Embassy Buenos Aires",
    )
    assert record.metadata.created == datetime(1966, 12, 28, 18, 48, tzinfo=UTC)


def test_html_classification_is_the_visible_text_not_the_title(data_dir: Path) -> None:
    # The link reads CONFIDENTIAL but its title attribute says 'unclassified'.
    record = good(data_dir / "html/2011/08BRASILIA93.html")
    assert record.metadata.classification == "CONFIDENTIAL"


def test_html_header_is_the_first_pre_decoded(data_dir: Path) -> None:
    header = good(data_dir / "html/2011/66BUENOSAIRES2481.html").header
    assert header.startswith("P R 281848Z DEC 66\nFM AMEMBASSY BUENOS AIRES\n")


def test_html_body_loses_tags_and_paragraph_anchors(data_dir: Path) -> None:
    body = good(data_dir / "html/dec2010/66BUENOSAIRES2481.html").body
    assert "\n1.  PRESS REPORTS" in body and "¶" not in body and "<a" not in body


def test_html_tags_line_keeps_its_text(data_dir: Path) -> None:
    body = good(data_dir / "html/dec2010/66BUENOSAIRES2481.html").body
    assert "TAGS: EFIS PBTS AR\n" in body


def test_html_dec2010_prelude_becomes_metadata(data_dir: Path) -> None:
    metadata = good(data_dir / "html/dec2010/09KUWAIT110.html").metadata
    assert (metadata.dump_id, metadata.refid, metadata.references) == (
        190648,
        "09KUWAIT110",
        ("09KUWAIT95",),
    )


def test_html_dec2010_prelude_date_wins_over_the_table(data_dir: Path) -> None:
    metadata = good(data_dir / "html/dec2010/09KUWAIT110.html").metadata
    assert metadata.created == datetime(2009, 2, 5, 16, 36, tzinfo=UTC)


def test_html_dec2010_prelude_is_stripped_from_the_body(data_dir: Path) -> None:
    body = good(data_dir / "html/dec2010/09KUWAIT110.html").body
    assert body.startswith("S E C R E T SECTION 01 OF 02 KUWAIT 000110\n")


def test_html_early_four_column_layout(data_dir: Path) -> None:
    metadata = good(data_dir / "html/early/10STATE17263.html").metadata
    assert (metadata.refid, metadata.created, metadata.classification) == (
        "10STATE17263",
        datetime(2010, 2, 24, 22, 10, tzinfo=UTC),
        "SECRET",
    )


def test_html_page_without_cable_table_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<!DOCTYPE html><html><body><p>Cablegate</p></body></html>")
    assert bad(path).error == "unknown format: HTML without a cable table"


# Bare cable text ---------------------------------------------------------------------------


def test_bare_cable_is_all_body_for_the_parser_to_split(data_dir: Path) -> None:
    path = data_dir / "raw/66BUENOSAIRES2481.txt"
    record = good(path)
    assert (record.format, record.header, record.body) == ("raw", "", path.read_text())


def test_format_can_be_forced(data_dir: Path) -> None:
    assert good(data_dir / "seed.txt", format="raw").format == "raw"


def test_unknown_forced_format_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        read(data_dir / "seed.txt", format="xml")


# Folders, archives, stdin ------------------------------------------------------------------


def test_folder_is_read_recursively_in_sorted_order(data_dir: Path) -> None:
    sources = [Path(r.source).relative_to(data_dir).as_posix() for r in read(data_dir / "html")]
    assert sources == [
        "html/2011/08BRASILIA93.html",
        "html/2011/66BUENOSAIRES2481.html",
        "html/dec2010/09KUWAIT110.html",
        "html/dec2010/66BUENOSAIRES2481.html",
        "html/early/10STATE17263.html",
    ]


def test_zip_members_are_read_with_their_formats(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(data_dir / "seed.txt", "seed.txt")
        archive.write(data_dir / "html/early/10STATE17263.html", "page.dat")
    records = read(path)
    assert [(r.source, r.format) for r in records] == [
        (f"{path}!seed.txt", "scoop"),
        (f"{path}!page.dat", "html"),
    ]


def test_tar_gz_members_are_read(data_dir: Path, tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.tgz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(tiny_csv, "dump/cables.csv")
        archive.add(data_dir / "seed.txt", "dump/seed.txt")
    assert len(read(path)) == TINY_ROWS + 1


def test_gz_file_is_read(tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip.compress(tiny_csv.read_bytes()))
    records = read(path)
    assert (len(records), records[0].source) == (TINY_ROWS, f"{path}!cables.csv")


def test_gz_on_stdin_is_read(data_dir: Path) -> None:
    stdin = io.BytesIO(gzip.compress((data_dir / "seed.txt").read_bytes()))
    assert good("-", stdin=stdin).metadata.refid == "07LIMA3673"


def test_refused_archive_is_one_bad_record_and_reading_goes_on(
    data_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("seed.txt", (data_dir / "seed.txt").read_bytes())
        archive.writestr("../evil", b"x")
    records = read(path, data_dir / "seed.txt")
    assert [(type(r).__name__, r.position) for r in records] == [
        ("BadRecord", "archive"),
        ("RawRecord", "page 1"),
    ]
    assert "'../evil' escapes the archive" in records[0].error  # type: ignore[union-attr]


def test_nested_archive_is_reported_not_opened(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.gz", gzip.compress((data_dir / "seed.txt").read_bytes()))
    assert bad(path).error == "nested archive (gzip) not read; extract it first"


# Bad inputs --------------------------------------------------------------------------------


def test_binary_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    assert bad(path).error == "binary file, not cable text"


def test_empty_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    record = bad(path)
    assert (record.position, record.error) == ("file", "empty file")


def test_blank_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n  \n")
    assert bad(path).error == "empty file"


def test_unknown_format_is_bad_with_its_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# shared/data — real cables for tests\n")
    record = bad(path)
    assert record.error.startswith("unknown format:")
    assert record.raw == "# shared/data — real cables for tests\n"


def test_missing_path_is_bad(tmp_path: Path) -> None:
    assert bad(tmp_path / "nowhere.csv").error == "no such file or folder"


def test_cp1252_text_is_decoded_with_a_warning(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "raw/66BUENOSAIRES2481.txt").read_text()
    path = tmp_path / "cable.txt"
    path.write_bytes(text.replace("ARGENTINE SENATE", "ARGENTINE SENATE’S", 1).encode("cp1252"))
    record = good(path)
    line = text[: text.index("ARGENTINE SENATE")].count("\n") + 1
    assert "SENATE’S" in record.body
    assert record.warnings == (
        f"not UTF-8: decoded as cp1252 (first non-UTF-8 byte on line {line})",
    )


def test_cp1252_csv_row_is_warned_with_its_source_line(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[1] = csv_rows[1].replace(b"F-4ES", b"F-4ES\x92", 1)
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(csv_rows))
    records = read(path)
    assert (records[0].warnings, records[1].warnings) == (  # type: ignore[union-attr]
        (),
        ("not UTF-8: decoded as cp1252 (first non-UTF-8 byte on line 126)",),
    )


def test_utf8_bom_is_stripped(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(b"\xef\xbb\xbf" + (data_dir / "seed.txt").read_bytes())
    assert good(path).raw.startswith("INDEPENDENT NEWS")


def test_oversize_bare_cable_is_bad(data_dir: Path) -> None:
    record = bad(data_dir / "raw/66BUENOSAIRES2481.txt", limits=Limits(max_record_bytes=1000))
    assert (record.error, len(record.raw)) == ("oversize record: more than 1000 bytes", 1001)


def test_oversize_scoop_page_is_bad(data_dir: Path) -> None:
    record = bad(data_dir / "seed.txt", limits=Limits(max_record_bytes=5000))
    assert (record.position, record.error) == ("page 1", "oversize record: more than 5000 bytes")


# Streaming and counting --------------------------------------------------------------------


def test_a_50_mb_csv_is_streamed_in_bounded_memory(tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    chunk = tiny_csv.read_bytes()
    with path.open("wb") as file:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            file.write(chunk)
    tracemalloc.start()
    try:
        rows = sum(1 for _ in read_records([path]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows > 10_000
    assert peak < 10 * 1024 * 1024 < path.stat().st_size // 5


def test_csv_rows_are_counted_without_parsing(tiny_csv: Path) -> None:
    assert count_records([tiny_csv]) == TINY_ROWS


def test_count_covers_folders_and_archives(data_dir: Path, tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip.compress(tiny_csv.read_bytes()))
    assert count_records([path, data_dir / "html", data_dir / "seed.txt"]) == TINY_ROWS + 5 + 1


def test_count_of_stdin_is_unknown(tiny_csv: Path) -> None:
    assert count_records([tiny_csv, "-"]) is None


# Malformed fields never raise --------------------------------------------------------------

LIMA_ID = b"id: 130835"
KUWAIT_ID = "ID: 190648"


def write_csv(tmp_path: Path, rows: list[bytes]) -> Path:
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(rows))
    return path


def write_page(data_dir: Path, tmp_path: Path, old: str, new: str) -> Path:
    page = (data_dir / "html/dec2010/09KUWAIT110.html").read_text()
    assert old in page
    path = tmp_path / "09KUWAIT110.html"
    path.write_text(page.replace(old, new, 1), encoding="utf-8")
    return path


def write_seed(data_dir: Path, tmp_path: Path, old: bytes, new: bytes) -> Path:
    seed = (data_dir / "seed.txt").read_bytes()
    assert old in seed
    path = tmp_path / "seed.txt"
    path.write_bytes(seed.replace(old, new, 1))
    return path


def test_csv_id_of_superscript_digits_is_bad_not_an_exception(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', '"²",'.encode(), 1)
    records = read(write_csv(tmp_path, csv_rows))
    assert (records[1].position, records[1].line, records[1].error) == (  # type: ignore[union-attr]
        "row 2",
        116,
        "id is not a number: '²'",
    )


def test_csv_id_of_arabic_indic_digits_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', '"٢",'.encode(), 1)
    assert read(write_csv(tmp_path, csv_rows))[1].error == "id is not a number: '٢'"  # type: ignore[union-attr]


def test_csv_id_beyond_63_bits_is_out_of_range(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', b'"9223372036854775808",', 1)
    record = read(write_csv(tmp_path, csv_rows))[1]
    assert record.error == "dump id out of range: 9223372036854775808"  # type: ignore[union-attr]


def test_csv_id_beyond_32_bits_is_read(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', b'"2147483648",', 1)
    assert read(write_csv(tmp_path, csv_rows))[1].metadata.dump_id == 2_147_483_648  # type: ignore[union-attr]


def test_csv_id_of_thousands_of_digits_is_out_of_range(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', b'"' + b"9" * 5000 + b'",', 1)
    records = read(write_csv(tmp_path, csv_rows))
    assert [type(r).__name__ for r in records[:3]] == ["RawRecord", "BadRecord", "RawRecord"]
    assert records[1].error.startswith("dump id out of range: 99999")  # type: ignore[union-attr]


def test_csv_date_out_of_the_calendar_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[0] = csv_rows[0].replace(b"12/28/1966 18:48", b"13/45/2007 99:99", 1)
    assert read(write_csv(tmp_path, csv_rows))[0].error == "unparseable date: '13/45/2007 99:99'"  # type: ignore[union-attr]


def test_csv_date_in_arabic_indic_digits_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[0] = csv_rows[0].replace(b"12/28/1966", "١٢/28/1966".encode(), 1)
    assert read(write_csv(tmp_path, csv_rows))[0].error.startswith("unparseable date:")  # type: ignore[union-attr]


def test_csv_row_with_empty_reference_id_leaves_it_to_the_parser(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"72TEHRAN1164"', b'""', 1)
    record = read(write_csv(tmp_path, csv_rows))[1]
    assert isinstance(record, RawRecord)
    assert record.metadata.refid is None


def test_csv_carriage_return_in_an_unquoted_field_is_bad_not_an_exception(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"Embassy Tehran"', b"Embassy\rTehran", 1)
    records = read(write_csv(tmp_path, csv_rows))
    assert [type(r).__name__ for r in records[:3]] == ["RawRecord", "BadRecord", "RawRecord"]
    assert records[1].error.startswith("malformed CSV:")  # type: ignore[union-attr]


def test_csv_row_missing_columns_is_bad(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = b'"2","02/25/1972 09:30","72TEHRAN1164"\r\n'
    record = read(write_csv(tmp_path, csv_rows))[1]
    assert record.error == "wrong number of fields: 3 instead of 8"  # type: ignore[union-attr]


def test_html_prelude_id_of_superscript_digits_is_bad(data_dir: Path, tmp_path: Path) -> None:
    record = bad(write_page(data_dir, tmp_path, KUWAIT_ID, "ID: ²"))
    assert (record.position, record.line, record.error) == ("file", 1, "id is not a number: '²'")


def test_html_prelude_id_beyond_63_bits_is_out_of_range(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, KUWAIT_ID, "ID: 99999999999999999999")
    assert bad(path).error == "dump id out of range: 99999999999999999999"


def test_html_prelude_date_out_of_the_calendar_is_bad(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, "DATE: 2009-02-05 16:36:00", "DATE: 2009-13-45 99:99:00")
    assert bad(path).error == "unparseable date: '2009-13-45 99:99:00'"


def test_html_table_date_out_of_the_calendar_is_bad(data_dir: Path, tmp_path: Path) -> None:
    path = write_page(data_dir, tmp_path, ">2009-02-05 16:04<", ">2009-13-45 99:99<")
    assert bad(path).error == "unparseable date: '2009-13-45 99:99'"


def test_html_table_without_cable_cells_is_bad(data_dir: Path, tmp_path: Path) -> None:
    page = (data_dir / "html/early/10STATE17263.html").read_text()
    start = page.index("<tr>", page.index("</th>"))
    path = tmp_path / "page.html"
    path.write_text(page[:start] + page[page.index("</table>") :])
    assert bad(path).error == "WikiLeaks cable table without a row of Reference ID, Date… cells"


def test_html_page_without_pre_is_bad(data_dir: Path, tmp_path: Path) -> None:
    page = (data_dir / "html/early/10STATE17263.html").read_text()
    path = tmp_path / "page.html"
    path.write_text(re.sub(r"<pre[^>]*>.*?</pre>", "", page, flags=re.S))
    assert bad(path).error == "WikiLeaks page without cable text (<pre>)"


def test_scoop_id_of_arabic_indic_digits_opens_no_metadata_block(
    data_dir: Path, tmp_path: Path
) -> None:
    path = write_seed(data_dir, tmp_path, LIMA_ID, "id: ١٣٠٨٣٥".encode())
    assert bad(path, format="scoop").error == "Scoop page without a metadata block (id:, refid:, …)"


def test_scoop_id_beyond_63_bits_is_out_of_range(data_dir: Path, tmp_path: Path) -> None:
    path = write_seed(data_dir, tmp_path, LIMA_ID, b"id: 9223372036854775808")
    record = bad(path)
    assert (record.position, record.line, record.error) == (
        "page 1",
        1,
        "dump id out of range: 9223372036854775808",
    )


def test_scoop_date_out_of_the_calendar_is_bad(data_dir: Path, tmp_path: Path) -> None:
    path = write_seed(data_dir, tmp_path, b"date: 11/20/2007 13:37", b"date: 13/45/2007 99:99")
    assert bad(path).error == "unparseable date: '13/45/2007 99:99'"


def test_scoop_page_with_empty_reference_id_leaves_it_to_the_parser(
    data_dir: Path, tmp_path: Path
) -> None:
    path = write_seed(data_dir, tmp_path, b"refid: 07LIMA3673", b"refid: ")
    (record,) = list(read_records([path]))
    assert isinstance(record, RawRecord)
    assert record.metadata.refid is None


def test_pages_after_a_truncated_oversize_scoop_page_are_all_read(
    data_dir: Path, tmp_path: Path
) -> None:
    seed = (data_dir / "seed.txt").read_bytes()
    cut = seed[: seed.index(b"=======================CABLE ENDS")]
    path = tmp_path / "pages.txt"
    path.write_bytes(cut + b"PADDING\n" * 2000 + seed + b"\n" + seed)
    records = read(path, limits=Limits(max_record_bytes=20_000))
    assert [(type(r).__name__, r.position) for r in records] == [
        ("BadRecord", "page 1"),
        ("RawRecord", "page 2"),
        ("RawRecord", "page 3"),
    ]


def test_csv_row_with_the_largest_dump_id_is_counted(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', b'"9223372036854775807",', 1)
    assert count_records([write_csv(tmp_path, csv_rows)]) == TINY_ROWS
