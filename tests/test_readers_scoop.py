"""Scoop "Cablegate" pages: one record per page, metadata from its block, bad pages named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cables.readers import Limits, RawRecord, read_records
from tests.test_readers import bad, good, read

LIMA_ID = b"id: 130835"


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


def test_oversize_scoop_page_is_bad(data_dir: Path) -> None:
    record = bad(data_dir / "seed.txt", limits=Limits(max_record_bytes=5000))
    assert (record.position, record.error) == ("page 1", "oversize record: more than 5000 bytes")


def write_seed(data_dir: Path, tmp_path: Path, old: bytes, new: bytes) -> Path:
    seed = (data_dir / "seed.txt").read_bytes()
    assert old in seed
    path = tmp_path / "seed.txt"
    path.write_bytes(seed.replace(old, new, 1))
    return path


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


def test_a_page_with_a_nul_byte_is_bad_and_the_next_page_read(
    data_dir: Path, tmp_path: Path
) -> None:
    seed = (data_dir / "seed.txt").read_bytes()
    path = tmp_path / "pages.txt"
    path.write_bytes(seed.replace(b"ONDCP Director", b"ONDCP\0Director", 1) + b"\n" + seed)
    records = read(path)
    assert [type(r).__name__ for r in records] == ["BadRecord", "RawRecord"]
    assert records[0].error.endswith(": binary data, not cable text")  # type: ignore[union-attr]
