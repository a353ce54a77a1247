"""The cables.csv dump: one record per row, each bad row rejected alone, the rest read."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables.readers import BadRecord, Limits, RawRecord, count_records
from tests.test_readers import read

TINY_ROWS = 12


@pytest.fixture
def tiny_csv(data_dir: Path) -> Path:
    return data_dir / "cables_tiny.csv"


@pytest.fixture
def csv_rows(tiny_csv: Path) -> list[bytes]:
    """The rows of the real CSV, each with its line ending, split at row starts."""
    return re.split(rb'(?<=\n)(?="\d+",")', tiny_csv.read_bytes())


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


def write_csv(tmp_path: Path, rows: list[bytes]) -> Path:
    path = tmp_path / "cables.csv"
    path.write_bytes(b"".join(rows))
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


def test_csv_row_with_the_largest_dump_id_is_counted(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[1] = csv_rows[1].replace(b'"2",', b'"9223372036854775807",', 1)
    assert count_records([write_csv(tmp_path, csv_rows)]) == TINY_ROWS


# One bad row never costs its neighbours ----------------------------------------------------


def kinds(records: list[RawRecord | BadRecord]) -> list[str]:
    return [type(r).__name__ for r in records]


def test_a_row_with_a_nul_byte_is_rejected_alone(csv_rows: list[bytes], tmp_path: Path) -> None:
    csv_rows[3] = csv_rows[3].replace(b"TEHRAN", b"TEH\0RAN", 1)
    nul_line = 185 + csv_rows[3][: csv_rows[3].index(b"\0")].count(b"\n")
    records = read(write_csv(tmp_path, csv_rows))
    assert kinds(records) == ["RawRecord"] * 3 + ["BadRecord"] + ["RawRecord"] * 8
    assert (records[3].position, records[3].line) == ("row 4", 185)
    assert records[3].error == f"NUL byte on line {nul_line}: binary data, not cable text"  # type: ignore[union-attr]


def test_a_nul_byte_in_the_first_row_does_not_make_the_file_binary(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[0] = csv_rows[0].replace(b"BUENOS AIRES", b"BUENOS\0\0AIRES", 1)
    records = read(write_csv(tmp_path, csv_rows))
    assert kinds(records) == ["BadRecord"] + ["RawRecord"] * (TINY_ROWS - 1)
    assert records[0].error.startswith("NUL byte on line ")  # type: ignore[union-attr]


def test_a_row_without_its_closing_quote_ends_at_the_next_row(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[2] = csv_rows[2].replace(b'"\r\n', b'\\"\r\n')
    records = read(write_csv(tmp_path, csv_rows))
    assert kinds(records) == ["RawRecord"] * 2 + ["BadRecord"] + ["RawRecord"] * 9
    assert records[2].error == "unterminated quoted field: no closing quote before the next row"  # type: ignore[union-attr]
    assert records[2].raw == csv_rows[2].decode()


def test_a_row_whose_quoting_broke_is_one_bad_record_with_its_debris(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    csv_rows[1] = csv_rows[1].replace(b"F-4ES", b'F-4ES\n"99","QUOTED" SAID', 1)
    records = read(write_csv(tmp_path, csv_rows))
    assert kinds(records) == ["RawRecord", "BadRecord"] + ["RawRecord"] * 10
    assert records[1].error == "wrong number of fields: 9 instead of 8"  # type: ignore[union-attr]
    assert records[1].raw == csv_rows[1].decode()
    assert records[2].line == 158


def test_rows_that_never_close_are_one_bad_record(tmp_path: Path) -> None:
    # Their cost is measured in bench/read_worst.py; quadratic rejoining took hours.
    path = tmp_path / "hostile.csv"
    path.write_bytes(b'"1","a\n' * 200_000)
    assert kinds(read(path, format="csv")) == ["BadRecord"]


def test_a_run_of_bad_rows_between_good_ones_keeps_both_good_ones(
    csv_rows: list[bytes], tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [csv_rows[0], b'"2","x"\n' * 100_000, csv_rows[2]])
    records = read(path)
    assert len(records) == 100_002
    assert (kinds(records)[0], kinds(records)[-1]) == ("RawRecord", "RawRecord")
